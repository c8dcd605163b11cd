"""The post-loan pages through the Flask test client: the officer's work surface, a loan page, the branch
portfolio; who may read them, and what they show for a seeded book of loans in every classification."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from credit.models import Application, GridCell, Loan, Org, User
from credit.postloan.models import LoanInspection, RiskSignal
from credit.postloan.repayments import Payment
from tests.conftest import FAST_HASH
from tests.helpers import ui_login
from tests.integration.driver import Driver
from webapp import postloan
from webapp.bootstrap import deploy_processes

DAY = 24 * 60  # minutes


def _loan(d: Driver, amount: str, village: str = "V01"):
    return d.loan(d.submit("SHANDAI", amount, 12, income="150000", village=village))


def seed(c) -> dict:
    """A small book, as of a business date 430 days after the clock's start: one loan in each classification
    (loss, doubtful, substandard with paid, partly paid, overdue and future instalments, special mention,
    normal paid, normal not yet due), one whose first inspection is a task in postloan1's inbox,
    a loan of another branch (BR02, with its own post-loan officer), signals and inspections."""
    d = Driver(c)
    ids: dict = {}
    start = c.clock.now()
    for key, at, amount in (("loss", 0, "20000"), ("doubtful", 110, "35000"), ("substandard", 250, "50000"),
                            ("special", 380, "15000"), ("paid", 396, "45000"), ("fresh", 405, "40000"), ("new", 420, "30000")):
        c.clock.advance(minutes=(start + timedelta(days=at) - c.clock.now()).total_seconds() / 60)
        ids[key] = _loan(d, amount).id
    other = _loan(d, "25000", village="V03")
    ids["other"] = other.id
    as_of = (start + timedelta(days=430)).date()
    c.clock.advance(minutes=(datetime.combine(as_of, datetime.min.time(), timezone.utc) + timedelta(hours=2)
                             - c.clock.now()).total_seconds() / 60)
    with c.uow() as uow:  # another branch, its village and its post-loan officer; the V03 loan moves there
        s = uow.session
        hq = s.scalars(select(Org.id).where(Org.code == "HQ")).one()
        br = Org(code="BR02", name="河西支行", level="branch", parent_id=hq)
        s.add(br)
        s.flush()
        s.add(GridCell(code="V99", name="河西村", level="village", org_id=br.id))
        s.add_all([User(username="hexi_postloan", name="陈贷后", password_hash=FAST_HASH, org_id=br.id, posts=["postloan"]),
                   User(username="dongfeng_postloan", name="褚贷后", password_hash=FAST_HASH,
                        org_id=s.scalars(select(Org.id).where(Org.code == "OUT01")).one(), posts=["postloan"])])
        s.flush()
        app_id = s.scalar(select(Loan.application_id).where(Loan.id == other.id))
        s.execute(update(Application).where(Application.id == app_id).values(village_code="V99", intake_user=None,
                                                                            submitted_by="partner"))
        uow.commit()
    sub = _reload(c, ids["substandard"])
    lines = sub.schedule
    _pay(c, sub.id, "SUB-1", lines[0].due_date, lines[0].total)
    _pay(c, sub.id, "SUB-2", lines[1].due_date + timedelta(days=3), lines[1].total / 2)
    special = _reload(c, ids["special"])
    _pay(c, special.id, "SPM-1", special.schedule[0].due_date, (special.schedule[0].total / 2).quantize(Decimal("0.01")))
    paid = _reload(c, ids["paid"])
    _pay(c, paid.id, "PAID-1", paid.schedule[0].due_date, paid.schedule[0].total)
    postloan.run(c, as_of=as_of)
    deploy_processes(c, files={"pages_inspection.bpmn": INSPECTION_TASK})
    with c.uow() as uow:
        s = uow.session
        # The book's signals and inspections are exactly those below, whatever the nightly run raises itself.
        s.execute(delete(LoanInspection))
        s.execute(delete(RiskSignal))
        s.execute(update(Loan).where(Loan.id != ids["other"]).values(officer="postloan1"))
        s.execute(update(Loan).where(Loan.id == ids["other"]).values(officer="hexi_postloan"))
        s.execute(update(Loan).where(Loan.id == ids["new"]).values(officer="dongfeng_postloan"))
        now = c.clock.now()

        def signal(key, code, days_ago, severity, evidence, loan=None):
            row = RiskSignal(loan_id=loan or ids[key], as_of=as_of - timedelta(days=days_ago), code=code,
                             rule_id=f"post_loan_signals.{code}", severity=severity, onsite=severity == "alert",
                             evidence=evidence, status="open", created_at=now)
            s.add(row)
            return row

        sigs = [signal("loss", "overdue_90", 300, "alert", {"days_past_due": 90}),
                signal("loss", "downgrade", 40, "warning", {"from": "doubtful", "to": "loss", "days_past_due": 361}),
                signal("doubtful", "court_enforcement", 70, "alert", {"provider": "法院执行信息", "cases": 1}),
                signal("substandard", "overdue_30", 89, "warning", {"days_past_due": 30}),
                signal("substandard", "overdue_90", 29, "alert", {"days_past_due": 90}),
                signal("special", "overdue_1", 18, "info", {"days_past_due": 1}),
                signal("paid", "maturity_30", 0, "info", {"maturity_date": "2027-06-01"}),
                signal("other", "overdue_1", 3, "info", {"days_past_due": 1})]
        s.flush()
        ids["signals"] = [x.id for x in sigs]
        ids["signal_other"] = sigs[-1].id

        def inspection(key, kind, mode, due_days, sla_days, officer="postloan1", status="open", **kw):
            row = LoanInspection(loan_id=ids[key], kind=kind, mode=mode, due_on=as_of + timedelta(days=due_days),
                                 raised_on=as_of + timedelta(days=min(due_days, 0)),
                                 sla_due_on=None if sla_days is None else as_of + timedelta(days=sla_days),
                                 status=status, officer=officer, result=kw.pop("result", {}), **kw)
            s.add(row)
            return row

        task = _inspection_task(c, s, ids["fresh"])
        ins = [inspection("fresh", "first", "onsite", -1, 5, instance_id=task.instance_id),
               inspection("substandard", "alert", "onsite", -12, -2, signal_id=sigs[4].id),
               inspection("loss", "alert", "onsite", -40, -30, escalated_on=as_of - timedelta(days=29),
                          escalated_to="head1"),
               inspection("doubtful", "periodic", "onsite", 0, 10),
               inspection("new", "first", "onsite", -5, -1, officer="dongfeng_postloan"),
               inspection("paid", "periodic", "offsite", -100, None, status="offsite",
                          result={"days_past_due": 0, "repayment_normal": True, "risk_signal": False}),
               inspection("paid", "first", "onsite", -25, -20, status="done",
                          result={"fund_usage": "as_agreed", "business_status": "normal", "risk_signal": False,
                                  "findings": "养殖场运转正常"}),
               inspection("other", "first", "onsite", -3, 4, officer="hexi_postloan")]
        s.flush()
        ids["inspections"] = [x.id for x in ins]
        ids["task_id"] = task.id
        uow.commit()
    ids["as_of"] = as_of
    return ids


INSPECTION_TASK = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="pages_inspection" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="postloan"><bpmn:flowNodeRef>visit</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="visit" name="On-site inspection"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="onsite_inspection" />
      <spiffworkflow:property name="assignee" value="&quot;postloan1&quot;" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="visit" />
    <bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def _inspection_task(c, s, loan_id):
    """An on-site inspection task in postloan1's inbox for the loan, whatever post_loan_inspection.bpmn does."""
    from engine.models import HumanTask

    app_id = s.scalar(select(Loan.application_id).where(Loan.id == loan_id))
    instance = c.runtime.start(s, "pages_inspection", {"loan_id": loan_id}, "nightly", str(app_id))
    s.flush()
    return s.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "ready")).one()


def _reload(c, loan_id):
    with c.uow() as uow:
        loan = uow.session.get(Loan, loan_id)
        _ = loan.schedule
        return loan


def _pay(c, loan_id, txn, paid_at: date, amount: Decimal):
    postloan.record_repayment(c, Payment(loan_id, txn, paid_at, Decimal(amount).quantize(Decimal("0.01"))), "admin")


@pytest.fixture
def book(container):
    return seed(container)


def page(app, user, path):
    client = app.test_client()
    ui_login(client, user)
    r = client.get(path)
    return r.status_code, r.get_data(as_text=True)


def test_the_work_surface_lists_my_inspections_signals_and_loans(app, book):
    status, html = page(app, "postloan1", "/postloan")
    assert status == 200
    assert "贷后工作台" in html and f"业务日期 {book['as_of'].isoformat()}" in html
    fresh, sub, loss, doubtful, new, offsite, done, other = book["inspections"]
    # open inspections of mine, soonest deadline first; the overdue ones marked; the one with a task links to it
    order = [int(m) for m in re.findall(r'data-testid="inspection-(\d+)"', html)]
    assert order == [loss, sub, fresh, doubtful]
    item = html[html.index(f'data-testid="inspection-{loss}"'):html.index(f'data-testid="inspection-{sub}"')]
    assert "item overdue" in html[html.rindex("<li", 0, html.index(f'data-testid="inspection-{loss}"')):][:80]
    assert "预警检查" in item and "现场" in item and "逾期 30 天" in item
    assert f'/tasks/{book["task_id"]}' in html and "处理检查任务" in html
    # signals on my loans, most severe first, their codes in Chinese with the evidence read
    assert str(book["signal_other"]) not in re.findall(r'data-testid="signal-(\d+)"', html)
    signals = re.findall(r'data-testid="signal-(\d+)"', html)
    assert len(signals) == 7 and "法院强制执行" in html and "逾期90天" in html and "逾期天数: 90" in html
    assert html.index("法院强制执行") < html.index("逾期1天")  # alerts before info
    # my loans, the latest first; the other branch's and dongfeng_postloan's are not mine
    loans = [int(m) for m in re.findall(r'data-testid="loan-(\d+)"', html)]
    assert loans[0] == book["loss"] and book["other"] not in loans and book["new"] not in loans
    assert {"损失", "可疑", "次级", "关注", "正常"} <= set(re.findall(r'class="grade g-\w+" data-testid="grade">([^<]+)<', html))
    status, html = page(app, "postloan1", "/postloan?lang=en")
    assert "Post-loan work" in html and "Court enforcement" in html


def test_the_work_surface_is_a_post_loan_officers_and_pages_bad_numbers_safely(app, book):
    for user in ("head1", "manager1", "designer1", "auditor1", "admin"):
        assert page(app, user, "/postloan")[0] == 403, user
    for q in ("ip=0", "ip=-1", "sp=abc", "lp=99999999999999999999", "lp=１", "ip=2"):
        assert page(app, "postloan1", f"/postloan?{q}")[0] == 200, q
    status, html = page(app, "hexi_postloan", "/postloan")
    assert status == 200 and re.findall(r'data-testid="loan-(\d+)"', html) == [str(book["other"])]


def test_the_loan_page_shows_schedule_repayments_history_signals_and_inspections(app, book):
    status, html = page(app, "postloan1", f"/loans/{book['substandard']}")
    assert status == 200
    states = dict(re.findall(r'data-testid="period-(\d+)" data-state="([a-z ]+)"', html))
    assert states["1"] == "paid" and states["2"] == "overdue partial"
    assert states["3"] == states["4"] == states["5"] == "overdue" and states["6"] == "due" and states["12"] == "due"
    assert "次级" in html and "正常" in html and "冯贷后" in html  # grade, status, the managing officer
    assert 'data-testid="repayment-' in html and "SUB-1" in html
    assert re.search(r"正常</span>\s*→\s*<span class=\"grade g-substandard\"", html)  # the history
    assert "逾期30天" in html and "逾期90天" in html  # its signals
    assert "预警检查" in html
    with_task = page(app, "postloan1", f"/loans/{book['fresh']}")[1]
    assert f'/tasks/{book["task_id"]}' in with_task and "首次跟踪检查" in with_task and "现场" in with_task
    offsite = page(app, "postloan1", f"/loans/{book['paid']}")[1]
    assert "已非现场检查" in offsite and "非现场" in offsite
    results = dict(re.findall(r'data-testid="result-(\d+)">([^<]+)<', offsite))
    assert results[str(book["inspections"][5])] == "还款正常: 是; 发现风险信号: 否; 逾期天数: 0"
    assert results[str(book["inspections"][6])] == "资金用途: 按约定用途; 经营/家庭状况: 正常; 发现风险信号: 否; 养殖场运转正常"
    paid = page(app, "postloan1", f"/loans/{book['paid']}")[1]
    assert 'data-state="paid"' in paid


def test_the_loan_page_is_read_within_scope_only(app, book):
    loan = book["substandard"]
    for user in ("postloan1", "head1", "manager1", "auditor1", "admin"):
        assert page(app, user, f"/loans/{loan}")[0] == 200, user
    for user in ("designer1", "hexi_postloan", "approver_hq"):
        assert page(app, user, f"/loans/{loan}")[0] == 404, user
    assert page(app, "hexi_postloan", f"/loans/{book['other']}")[0] == 200
    assert page(app, "head1", f"/loans/{book['other']}")[0] == 404
    for path in ("/loans/0", "/loans/999999", "/loans/99999999999999999999999", "/loans/abc", "/loans/-1"):
        assert page(app, "admin", path)[0] == 404, path
    assert page(app, "admin", f"/loans/{loan}?rp=x&sp=99999999999")[0] == 200


def test_the_application_page_links_its_loan(app, book):
    with app.extensions["creditfactory"].uow() as uow:
        app_id = uow.session.scalar(select(Loan.application_id).where(Loan.id == book["substandard"]))
    html = page(app, "manager1", f"/applications/{app_id}")[1]
    assert f'href="/loans/{book["substandard"]}"' in html


def test_the_portfolio_counts_the_branch_in_sql(app, book):
    status, html = page(app, "head1", "/portfolio")
    assert status == 200
    counts = dict(re.findall(r'data-testid="class-(\w+)"><td>.*?</td><td class="num">(\d+)</td>', html))
    # BR01: loss, doubtful, substandard, special mention and three normal (paid, fresh, new)
    assert counts == {"normal": "3", "special_mention": "1", "substandard": "1", "doubtful": "1", "loss": "1"}
    buckets = dict(re.findall(r'data-testid="bucket-([^"]+)"><td>.*?</td><td class="num">(\d+)</td>', html))
    assert buckets == {"1-30": "1", "31-90": "0", "91-180": "1", "181-360": "1", "&gt;360": "1"}
    officers = {o: (n, late) for o, n, late in re.findall(
        r'data-testid="officer-(\w+)"><td>.*?</td><td class="num">(\d+)</td><td class="num[^"]*">(\d+)', html)}
    assert officers == {"postloan1": ("4", "2"), "dongfeng_postloan": ("1", "1")}  # hexi_postloan's is in BR02
    assert 'data-testid="signal-overdue_90"' in html and 'data-testid="signal-court_enforcement"' in html
    assert 'id="chart-data"' in html and "/vendor/echarts.min.js" in html
    assert html.count('data-chart="') == 4
    whole = page(app, "admin", "/portfolio")[1]
    assert 'data-testid="class-normal"><td><span class="grade g-normal" data-testid="grade">正常</span></td><td class="num">4<' in whole
    status, branch2 = page(app, "hexi_postloan", "/portfolio")
    assert status == 200 and 'data-testid="class-normal"><td><span class="grade g-normal" data-testid="grade">正常</span></td><td class="num">1<' in branch2


def test_the_portfolio_is_for_post_loan_branch_heads_auditors_and_admins(app, book):
    for user in ("postloan1", "head1", "auditor1", "admin"):
        assert page(app, user, "/portfolio")[0] == 200, user
    for user in ("manager1", "investigator1", "designer1", "approver_hq", "multi1"):
        assert page(app, user, "/portfolio")[0] == 403, user
    assert page(app, "head1", "/portfolio?lang=en")[1].count("Balance by classification") >= 2


def test_nav_links_follow_the_posts(app, book):
    assert 'href="/postloan"' in page(app, "postloan1", "/inbox")[1]
    assert 'href="/portfolio"' in page(app, "head1", "/inbox")[1]
    assert 'href="/postloan"' not in page(app, "head1", "/inbox")[1]
    assert 'href="/portfolio"' not in page(app, "manager1", "/inbox")[1]


def test_echarts_is_served_from_our_origin(app):
    r = app.test_client().get("/vendor/echarts.min.js")
    assert r.status_code == 200 and b"echarts" in r.data[:2000]


def _classes(html):
    return dict(re.findall(r'data-testid="class-(\w+)"><td>.*?</td><td class="num">(\d+)</td>', html))


def test_the_portfolio_narrows_to_a_branch_or_outlet_within_reach(app, book):
    status, html = page(app, "head1", "/portfolio")
    assert status == 200 and 'name="org"' in html and "河西支行" not in html  # BR01 and its outlets only
    assert _classes(page(app, "head1", "/portfolio?org=OUT01")[1])["normal"] == "3"  # V01 is OUT01's
    status, html = page(app, "head1", "/portfolio?org=OUT02")
    assert status == 200 and set(_classes(html).values()) == {"0"} and "河湾分理处" in html
    assert page(app, "head1", "/portfolio?org=BR02")[0] == 404  # another branch: as if it did not exist
    status, html = page(app, "admin", "/portfolio?org=BR02")
    assert status == 200 and _classes(html) == {"normal": "1", "special_mention": "0", "substandard": "0",
                                                "doubtful": "0", "loss": "0"}
    for bad in ("HQ", "nope", "x" * 40, "%00", "BR01%0A", "%ED%A0%80"):
        assert page(app, "admin", f"/portfolio?org={bad}")[0] in (404, 422), bad  # a NUL is refused before
    assert 'name="org"' not in page(app, "hexi_postloan", "/portfolio")[1]  # one branch: nothing to choose
