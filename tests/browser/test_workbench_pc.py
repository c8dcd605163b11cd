"""The workbench on a PC (1280 px) and a phone (375 px), in real headless Chromium (issue 13): the inbox is a
sortable table with counts on its tabs; a task page has the form beside the application; the co-investigator
sees the lead's findings, the approver the report and the decisions, a returned task its reason.
Screenshots land in docs/screenshots/ (inbox-1280/375, task-cosign-1280, task-approve-1280/375,
task-returned-375)."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_workbench_phone import SHOTS, login, logout
from tests.conftest import applicant

PC = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1}
REPORT = {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee", "guarantor_name": "王保证",
          "household_members": [{"name": "李梅", "relation": "spouse"}],
          "findings": "养殖场运转正常,存栏生猪三百头,饲料款按月结清"}


@pytest.fixture
def pc(browser):
    context = browser.new_context(**PC)
    yield context
    context.close()


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def submit(api, seq, name, product="NONGHU", amount="100000", village="V01", term=12, income="150000"):
    person = {**applicant(seq, village=village, income=income), "name": name}
    body = {"product_code": product, "amount": amount, "term_months": term, "purpose": "扩大养殖规模",
            "channel": "manager_app", "applicant": person}
    r = api.post("/applications", "manager1", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def amounts(page):
    cells = page.locator("[data-testid=inbox-table] tbody td.c-amount")
    return [float(cells.nth(i).get_attribute("data-amount")) for i in range(cells.count())]


def test_inbox_table_sorts_on_a_pc_and_stays_cards_on_a_phone(live_server, api, container, pc, phone):
    submit(api, 1, "刘建国", amount="180000", village="V02")
    container.clock.advance(days=3)  # the first one is now overdue
    for seq, (name, amount, village) in enumerate([("陈秀英", "60000", "V01"), ("杨志强", "250000", "V03"),
                                                    ("黄丽", "95000", "V02"), ("周海", "120000", "V01")], start=2):
        submit(api, seq, name, amount=amount, village=village)
        container.clock.advance(minutes=40)
    page = pc.new_page()
    login(page, live_server, "investigator1")
    assert page.inner_text("[data-testid=tab-mine] .count") == "5"
    table = page.locator("[data-testid=inbox-table]")
    assert table.locator("thead").is_visible()  # a real table on a PC
    page.click("th.c-amount a")
    page.wait_for_url("**sort=amount**")
    assert amounts(page) == sorted(amounts(page)) and len(amounts(page)) == 5
    assert page.get_attribute("th.c-amount", "aria-sort") == "ascending"
    page.click("th.c-amount a")
    page.wait_for_url("**dir=desc**")
    assert amounts(page) == sorted(amounts(page), reverse=True)
    shot(page, "inbox-1280.png")
    page.click("[data-testid=overdue-filter]")
    page.wait_for_url("**overdue=1**")
    assert amounts(page) == [180000.0]  # the filter keeps the sort and shows only the overdue task
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.click("[data-testid=overdue-filter]")
    page.wait_for_url(lambda url: "overdue" not in url)
    # The filters swap the table's rows in place (htmx into the tbody), keeping the sort.
    page.click(".filters summary")
    page.select_option("select[name=village]", "V01")
    expect(page.locator("[data-testid=inbox-table] tbody tr.task")).to_have_count(2)  # (CSP: no eval'd wait)
    assert amounts(page) == [120000.0, 60000.0] and page.locator("[data-testid=inbox-table] thead").is_visible()

    mobile = phone.new_page()
    login(mobile, live_server, "investigator1")
    assert not mobile.locator("[data-testid=inbox-table] thead").is_visible()  # cards, as before
    first = mobile.locator("[data-testid=task-investigate]").first
    box = first.bounding_box()
    assert box["width"] > 300 and "剩余" in mobile.inner_text("[data-testid=inbox-table]")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    shot(mobile, "inbox-375.png")


def test_the_work_carries_forward_from_lead_to_co_investigator_to_approver(live_server, api, pc, phone):
    app_id = submit(api, 20, "刘小明")
    lead = api.my_task("investigator1", app_id, "investigate")
    api.complete("investigator1", lead["id"], REPORT)

    # The co-investigator, at a PC, sees the lead's findings beside the application, and disagrees.
    page = pc.new_page()
    login(page, live_server, "investigator2")
    page.click("[data-testid=task-cosign] a")
    page.wait_for_selector("form.task-form")
    report = page.locator("[data-testid=carried-report]")
    assert "养殖场运转正常" in report.inner_text() and "李调查" in report.inner_text()
    assert "王保证" in report.inner_text() and "配偶" in report.inner_text()
    work, side = page.locator(".task-work").bounding_box(), page.locator(".task-application").bounding_box()
    assert side["x"] >= work["x"] + work["width"] and abs(side["y"] - work["y"]) < 5  # two columns
    shot(page, "task-cosign-1280.png")
    page.select_option("select[name=agree]", "false")
    page.fill("textarea[name=opinion]", "家庭收入未提供银行流水,请补充近六个月流水后再报")
    page.click("button.primary")
    page.wait_for_url(f"**/applications/{app_id}")
    logout(page)

    # The lead gets it back on a phone: who returned it, when and why; the form starts from the report.
    mobile = phone.new_page()
    login(mobile, live_server, "investigator1")
    mobile.click("[data-testid=task-investigate] a")
    mobile.wait_for_selector("form.task-form")
    returned = mobile.locator("[data-testid=returned]")
    assert "张调查" in returned.inner_text()
    assert mobile.inner_text("[data-testid=returned-reason]") == "家庭收入未提供银行流水,请补充近六个月流水后再报"
    assert mobile.locator("textarea[name=findings]").input_value() == REPORT["findings"]
    assert mobile.locator("input[name=guarantor_name]").input_value() == "王保证"
    assert mobile.locator("select[name=site_rating]").input_value() == "good"
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    shot(mobile, "task-returned-375.png")
    mobile.fill("textarea[name=findings]", REPORT["findings"] + ";已补充近六个月银行流水")
    mobile.click("button.primary")
    mobile.wait_for_url(f"**/applications/{app_id}")
    logout(mobile)
    api.complete("investigator2", api.my_task("investigator2", app_id, "cosign")["id"],
                 {"agree": True, "opinion": "流水已核实,同意主调意见"})

    # The approver sees the report, the co-sign opinion and the decisions with their rules' words.
    login(page, live_server, "approver1")
    page.click("[data-testid=task-approve] a")
    page.wait_for_selector("form.task-form")
    assert "已补充近六个月银行流水" in page.inner_text("[data-testid=carried-report]")
    assert "流水已核实" in page.inner_text("[data-testid=carried-cosign]")
    terms = page.locator("[data-testid=carried-terms] li")
    assert terms.count() == 4
    assert all(terms.nth(i).locator(".why").count() == 1 for i in range(4))  # each with its rules' words
    assert page.locator("[data-testid=returned]").count() == 0
    work, side = page.locator(".task-work").bounding_box(), page.locator(".task-application").bounding_box()
    assert side["x"] >= work["x"] + work["width"]
    shot(page, "task-approve-1280.png")
    approve_url = page.url

    mobile = phone.new_page()
    login(mobile, live_server, "approver1")
    mobile.goto(approve_url)
    work, side = mobile.locator(".task-work").bounding_box(), mobile.locator(".task-application").bounding_box()
    assert side["y"] >= work["y"] + work["height"] - 1  # one column on a phone, the form first
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    shot(mobile, "task-approve-375.png")
