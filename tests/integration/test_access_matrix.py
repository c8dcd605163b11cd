"""Every demo role against every read and write endpoint of the REST API and the main pages (issue 11).

One bank is built once for the module (on SQLite or PostgreSQL, as CREDITFACTORY_DATABASE_URL says):
- A1 (V01, served by outlet OUT01): disbursed, with a loan, a contract, a document and a first inspection
  waiting for postloan1;
- A2 (V07, OUT02, multi1's outlet): investigation open with investigator2;
- A3 (V02): escalated to the head office: the approval waits in the queue, offered to approver_hq only;
- A4 (V04): at the credit committee, one vote committee1's;
- A5 (V05): its investigation released to the investigators' queue;
- T: designer1's test run, one task waiting for them.

Expected: a read out of scope is a 404; a forbidden write a 403 (every write for auditor1); a write that
is allowed is answered 2xx, or 409/422 where the test sends a deliberately conflicting or empty body
(so that an allowed write shows that permission was granted without changing the shared bank).
A write that succeeds and would change what other cases see is undone at once.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Callable

import pytest

from credit.demo import USERS
from engine.clock import Clock
from tests.browser.test_workbench_phone import png
from tests.conftest import FAST_HASH, START, applicant, database_url
from tests.helpers import Api, ui_login
from tests.integration.driver import GOOD_REPORT, Driver

ROLES = ["manager1", "investigator1", "approver1", "approver_hq", "committee1", "disburser1", "postloan1", "head1",
         "designer1", "auditor1", "admin", "multi1"]
POSTS = {u: set(p) for u, _, _, p, _ in USERS}
OFFICERS = {r for r in ROLES if POSTS[r] - {"designer", "auditor", "admin"}}
BRANCH = {"manager1", "investigator1", "approver1", "disburser1", "postloan1", "head1"}  # at BR01: all its outlets
READ_ALL = {"auditor1", "admin"}
# Who may read each application: the branch, the read-everything posts, and whoever it is routed to.
SEES = {"A1": BRANCH | READ_ALL, "A2": BRANCH | READ_ALL | {"multi1"}, "A3": BRANCH | READ_ALL | {"approver_hq"},
        "A4": BRANCH | READ_ALL | {"committee1"}, "A5": BRANCH | READ_ALL, "T": READ_ALL | {"designer1"}}

ONE_TASK = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="matrix_review" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="approver"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="Review"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formKey" value="approval" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


@dataclass
class World:
    api: Api
    app: object
    ids: dict = field(default_factory=dict)
    pages: dict = field(default_factory=dict)  # role -> (test client, csrf token)
    seq: list = field(default_factory=lambda: [100])

    def page(self, role):
        if role not in self.pages:
            client = self.app.test_client()
            self.pages[role] = (client, ui_login(client, role))
        return self.pages[role]

    def next_seq(self) -> int:
        self.seq[0] += 1
        return self.seq[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from webapp import create_app
    from webapp.bootstrap import bootstrap, create_schema, deploy_processes, deploy_templates, drop_schema, load_demo

    c = bootstrap(database_url(tmp_path_factory.mktemp("matrix")), clock=Clock(START))
    drop_schema(c)
    create_schema(c)
    deploy_processes(c)
    deploy_templates(c)
    load_demo(c, password_hash=FAST_HASH)
    app = create_app({"TESTING": True, "CONTAINER": c, "SECRET_KEY": "test-secret"})
    w = World(Api(app), app)
    w.ids.update(_populate(c, w.api))
    yield w
    c.engine.dispose()


def _populate(c, api) -> dict:
    from sqlalchemy import select

    from engine.models import HumanTask

    d = Driver(c)
    ids = {}
    ids["A1"] = d.submit("NONGHU", "150000", 12, village="V01")
    d.investigate(ids["A1"])
    d.do(ids["A1"], "approve", {"decision": "approve"})
    d.sign_and_disburse(ids["A1"])
    ids["loan"] = d.loan(ids["A1"]).id
    c.clock.advance(days=15, minutes=1)  # the first inspection is due (before the others exist: no SLA fires)
    from webapp import postloan

    postloan.run(c, as_of=postloan.today(c))  # the nightly run raises it, due today: not yet escalated
    post = d.task(ids["A1"], "onsite_inspection")
    assert post.assignee == "postloan1"
    ids["t_a1_post"] = post.id
    r = api.post(f"/applications/{ids['A1']}/attachments", "investigator1", content_type="multipart/form-data",
                 data={"file": (io.BytesIO(png()), "现场.png")})
    assert r.status_code == 201, r.get_json()
    ids["att"] = r.get_json()["id"]
    ids["A2"] = d.submit("NONGHU", "80000", 12, village="V07")
    ids["t_a2_inv"] = d.task(ids["A2"], "investigate").id
    assert d.task(ids["A2"], "investigate").assignee == "investigator2"
    ids["A3"] = d.submit("NONGHU", "400000", 24, village="V02", income="300000")
    d.investigate(ids["A3"])
    approve = d.task(ids["A3"], "approve")
    assert approve.assignee == "approver_hq" and approve.candidates == ["approver_hq"]
    assert api.post(f"/tasks/{approve.id}/release", "approver_hq").status_code == 200
    ids["t_a3"] = approve.id
    ids["A4"] = d.submit("JINGYING", "1500000", 36, village="V04", income="600000")
    d.investigate(ids["A4"], {**GOOD_REPORT, "annual_income": "600000"})
    ids["t_a4"] = next(t.id for t in d.tasks(ids["A4"]) if t.assignee == "committee1")
    ids["A5"] = d.submit("NONGHU", "120000", 12, village="V05")
    queued = d.task(ids["A5"], "investigate")
    assert api.post(f"/tasks/{queued.id}/release", queued.assignee).status_code == 200
    ids["t_a5"] = queued.id
    with c.uow() as uow:
        ids["t_a1_done"] = uow.session.scalars(select(HumanTask.id).where(
            HumanTask.business_key == str(ids["A1"]), HumanTask.spec_name == "investigate",
            HumanTask.state == "completed")).first()
    r = api.post("/process-definitions", "designer1", data={"file": (io.BytesIO(ONE_TASK), "matrix_review.bpmn")},
                 content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    r = api.post("/process-definitions/matrix_review/start", "designer1", json={"data": {}, "business_key": "matrix-t"})
    assert r.status_code == 201, r.get_json()
    ids["t_test"] = r.get_json()["tasks"][0]["id"]
    with c.uow() as uow:  # someone for the administrators' account cases to act on
        from credit.models import Org, User

        org = uow.session.scalars(select(Org.id).where(Org.code == "OUT01")).one()
        uow.session.add(User(username="matrix_temp", name="临时柜员", password_hash=FAST_HASH, org_id=org,
                             posts=["customer_manager"]))
        uow.commit()
    return ids


# -- expectations ------------------------------------------------------------------------------------

def read(app_key: str) -> Callable[[str], int]:
    return lambda role: 200 if role in SEES[app_key] else 404


def everyone(status: int = 200) -> Callable[[str], int]:
    return lambda role: status


def only(roles: set[str], yes: int | tuple = 200, no: int = 403) -> Callable[[str], int | tuple]:
    return lambda role: yes if role in roles else no


def files(app_key: str, yes: int = 201) -> Callable[[str], int]:
    """Comments and documents: officers in scope; out of scope a 404; designers, auditors and admins a 403."""
    return lambda role: (yes if role in SEES[app_key] else 404) if role in OFFICERS else 403


def task_write(app_key: str, assignee: str, mine: int, visible: int) -> Callable[[str], int]:
    """Claim/release/complete of an assigned task: `mine` for its assignee, `visible` for others who see it."""
    def expect(role):
        if role == "auditor1":
            return 403
        if role == assignee:
            return mine
        return visible if role in SEES[app_key] else 404
    return expect


def listed(task_key: str, roles: set[str]) -> Callable[[str], bool]:
    return lambda role: role in roles


@dataclass
class Case:
    name: str
    method: str
    path: Callable[[World], str]
    expect: Callable[[str], object]
    page: bool = False
    body: Callable[[World, str], dict] = lambda w, role: {}
    undo: Callable[[World, str], None] | None = None
    shows: str | None = None  # a task id that must (expect True) or must not (False) be in the answer
    check: Callable[[World, str, object], str | None] | None = None  # what is wrong with a 2xx answer


def _api(w: World, case: Case, role: str):
    kw = case.body(w, role)
    return w.api.call(case.method, case.path(w), role, **kw)


def _page(w: World, case: Case, role: str):
    client, token = w.page(role)
    kw = case.body(w, role)
    if case.method == "POST":
        kw.setdefault("data", {})["csrf_token"] = token
    return client.open(case.path(w), method=case.method, **kw)


def _submission(w, role):
    body = {"product_code": "NONGHU", "amount": "60000", "term_months": 12, "purpose": "养殖", "channel": "manager_app",
            "applicant": applicant(w.next_seq(), village="V03")}
    return {"json": body}


def _template(w, role):
    from webapp.bootstrap import TEMPLATES_DIR

    return {"data": {"file": (io.BytesIO((TEMPLATES_DIR / "drawdown_receipt.html").read_bytes()), "drawdown_receipt.html")},
            "content_type": "multipart/form-data"}


def _reclaim(w, role):  # undo a successful release
    assert w.api.post(f"/tasks/{w.ids['t_a1_post']}/claim", role).status_code == 200


def _unclaim(w, role):  # undo a successful claim
    assert w.api.post(f"/tasks/{w.ids['t_a3']}/release", role).status_code == 200


def _signed_out(w, role):  # the role's token and page session died with the sign-out
    w.api.tokens.pop(role, None)
    w.pages.pop(role, None)


I = lambda key: (lambda w: str(w.ids[key]))  # noqa: E731

API_READS = [
    Case("GET products", "GET", lambda w: "/products", everyone()),
    Case("GET process-definitions", "GET", lambda w: "/process-definitions", everyone()),
    Case("GET contract-templates", "GET", lambda w: "/contract-templates", everyone()),
    Case("GET openapi", "GET", lambda w: "/openapi.json", everyone()),
    *[Case(f"GET application {k}", "GET", (lambda k: lambda w: f"/applications/{w.ids[k]}")(k), read(k))
      for k in ("A1", "A2", "A3", "A4", "A5")],
    Case("GET history A1", "GET", lambda w: f"/applications/{w.ids['A1']}/history", read("A1")),
    Case("GET history A4", "GET", lambda w: f"/applications/{w.ids['A4']}/history", read("A4")),
    Case("GET contract.pdf A1", "GET", lambda w: f"/applications/{w.ids['A1']}/contract.pdf", read("A1")),
    Case("GET loan", "GET", lambda w: f"/loans/{w.ids['loan']}", read("A1")),
    Case("GET loans lists A1's loan within scope", "GET", lambda w: "/loans", everyone(), check=lambda w, role, r: (
        None if {x["id"] for x in r.get_json()["loans"]} == ({w.ids["loan"]} if role in SEES["A1"] else set())
        else f"listed {r.get_json()['loans']}")),
    Case("GET attachment", "GET", lambda w: f"/attachments/{w.ids['att']}", read("A1")),
    Case("GET unknown application", "GET", lambda w: "/applications/999999", everyone(404)),
    *[Case(f"GET task {k}", "GET", (lambda k: lambda w: f"/tasks/{w.ids[k]}")(k), read(a))
      for k, a in (("t_a1_done", "A1"), ("t_a1_post", "A1"), ("t_a2_inv", "A2"), ("t_a3", "A3"), ("t_a4", "A4"),
                   ("t_a5", "A5"), ("t_test", "T"))],
    # what the caller may work on: their own, and their posts' queue within their scope
    Case("GET tasks lists the queued A5 investigation", "GET", lambda w: "/tasks", everyone(), shows="t_a5"),
    Case("GET tasks lists the queued A3 approval", "GET", lambda w: "/tasks", everyone(), shows="t_a3"),
    Case("GET tasks lists the A4 vote", "GET", lambda w: "/tasks", everyone(), shows="t_a4"),
    Case("GET tasks lists the inspection", "GET", lambda w: "/tasks", everyone(), shows="t_a1_post"),
    Case("GET tasks lists the test run's task", "GET", lambda w: "/tasks", everyone(), shows="t_test"),
]
LISTED = {"t_a5": {"investigator1"}, "t_a3": {"approver_hq"}, "t_a4": {"committee1"}, "t_a1_post": {"postloan1"},
          "t_test": {"designer1"}}

API_WRITES = [
    Case("POST applications", "POST", lambda w: "/applications", only({"manager1", "admin"}, 201), body=_submission),
    Case("POST comment A1", "POST", lambda w: f"/applications/{w.ids['A1']}/comments", files("A1"),
         body=lambda w, role: {"json": {"body": f"{role} 已核实"}}),
    Case("POST attachment A2", "POST", lambda w: f"/applications/{w.ids['A2']}/attachments", files("A2"),
         body=lambda w, role: {"data": {"file": (io.BytesIO(png()), "补充.png")}, "content_type": "multipart/form-data"}),
    Case("POST claim A2 investigation (taken)", "POST", lambda w: f"/tasks/{w.ids['t_a2_inv']}/claim",
         task_write("A2", "investigator2", 200, 409)),
    Case("POST claim A3 approval (queued for approver_hq)", "POST", lambda w: f"/tasks/{w.ids['t_a3']}/claim",
         lambda role: {"approver_hq": 200, "auditor1": 403}.get(role, 403 if role in SEES["A3"] else 404),
         undo=_unclaim),
    Case("POST claim own vote", "POST", lambda w: f"/tasks/{w.ids['t_a4']}/claim", task_write("A4", "committee1", 200, 409)),
    Case("POST release inspection", "POST", lambda w: f"/tasks/{w.ids['t_a1_post']}/release",
         task_write("A1", "postloan1", 200, 403), undo=_reclaim),
    Case("POST complete inspection (empty form)", "POST", lambda w: f"/tasks/{w.ids['t_a1_post']}/complete",
         task_write("A1", "postloan1", 422, 403), body=lambda w, role: {"json": {"data": {}}}),
    Case("POST complete vote (empty form)", "POST", lambda w: f"/tasks/{w.ids['t_a4']}/complete",
         task_write("A4", "committee1", 422, 403), body=lambda w, role: {"json": {"data": {}}}),
    Case("POST complete test run's task (empty form)", "POST", lambda w: f"/tasks/{w.ids['t_test']}/complete",
         task_write("T", "designer1", 422, 403), body=lambda w, role: {"json": {"data": {}}}),
    Case("POST reassign A2 investigation", "POST", lambda w: "/tasks/reassign", only({"admin", "head1"}),
         body=lambda w, role: {"json": {"task_ids": [w.ids["t_a2_inv"]], "to": "investigator2", "reason": "核对"}}),
    Case("POST process-definitions", "POST", lambda w: "/process-definitions", only({"designer1", "admin"}, (200, 201)),
         body=lambda w, role: {"data": {"file": (io.BytesIO(ONE_TASK), "matrix_review.bpmn")},
                               "content_type": "multipart/form-data"}),
    Case("POST test run", "POST", lambda w: "/process-definitions/matrix_review/start", only({"designer1", "admin"}, 201),
         body=lambda w, role: {"json": {"data": {}, "business_key": f"matrix-{role}"}}),
    Case("POST contract-templates", "POST", lambda w: "/contract-templates", only({"designer1", "admin"}), body=_template),
    Case("POST contract-templates/preview", "POST", lambda w: "/contract-templates/preview",
         only({"designer1", "admin"}), body=_template),
    Case("POST set a password (a reset waiting for a second person)", "POST", lambda w: "/users/matrix_temp/password",
         only({"admin"}, 202), body=lambda w, role: {"json": {"password": "a-new-long-passphrase-2026"}}),
    # head1 heads matrix_temp's branch; the admin asked for the reset, so may not confirm it (409 once it is gone)
    Case("POST confirm a password reset", "POST", lambda w: "/users/matrix_temp/password/confirm",
         lambda role: (200, 409) if role == "head1" else (403, 409) if role == "admin" else 403),
    Case("POST change one's own password (wrong current one)", "POST", lambda w: "/auth/password", everyone(401),
         body=lambda w, role: {"json": {"username": role, "current_password": "not-the-password",
                                        "new_password": "a-new-long-passphrase-2026"}}),
    Case("POST deactivate a user", "POST", lambda w: "/users/matrix_temp/deactivate", only({"admin"})),
    Case("POST repayments", "POST", lambda w: "/repayments", only({"admin"}, (200, 201)),  # a repeat: 200
         body=lambda w, role: {"json": {"loan_id": w.ids["loan"], "txn_id": "MATRIX-1", "paid_at": "2026-03-17",
                                        "amount": "100.00"}}),
]
LAST = [Case("POST sign out (one's own tokens and sessions)", "POST", lambda w: "/auth/logout", everyone(),
             undo=_signed_out)]

PAGES = [
    Case("page inbox", "GET", lambda w: "/inbox", everyone(), page=True),
    Case("page inbox queue shows A5", "GET", lambda w: "/inbox?tab=queue", everyone(), page=True, shows="t_a5"),
    Case("page inbox all shows A2's task", "GET", lambda w: "/inbox?tab=all", everyone(), page=True, shows="t_a2_inv"),
    Case("page inbox all shows the test task", "GET", lambda w: "/inbox?tab=all", everyone(), page=True, shows="t_test"),
    *[Case(f"page application {k}", "GET", (lambda k: lambda w: f"/applications/{w.ids[k]}")(k), read(k), page=True)
      for k in ("A1", "A2", "A3", "A4")],
    Case("page task A3", "GET", lambda w: f"/tasks/{w.ids['t_a3']}", read("A3"), page=True),
    Case("page task test run", "GET", lambda w: f"/tasks/{w.ids['t_test']}", read("T"), page=True),
    Case("page attachment", "GET", lambda w: f"/attachments/{w.ids['att']}", read("A1"), page=True),
    Case("page new application", "GET", lambda w: "/applications/new", only({"manager1", "admin"}), page=True),
    Case("page contract templates", "GET", lambda w: "/contract-templates", only({"designer1", "admin"}), page=True),
    Case("page comment A1", "POST", lambda w: f"/applications/{w.ids['A1']}/comments", files("A1", 200), page=True,
         body=lambda w, role: {"data": {"body": f"{role} 页面留言"}}),
    Case("page upload A2", "POST", lambda w: f"/applications/{w.ids['A2']}/attachments", files("A2", 303), page=True,
         body=lambda w, role: {"data": {"file": (io.BytesIO(png()), "页面.png")}, "content_type": "multipart/form-data"}),
    Case("page complete inspection (empty form)", "POST", lambda w: f"/tasks/{w.ids['t_a1_post']}", page=True,
         expect=task_write("A1", "postloan1", 422, 403)),
]
PAGE_LISTED = {"t_a5": {"investigator1"}, "t_a2_inv": {"admin", "head1"}, "t_test": {"admin", "designer1"}}
# The post-loan pages (webapp/portfolio): the work surface is a post-loan officer's own; the portfolio is read by
# post-loan officers, branch heads, auditors and admins (each within their scope); a loan page as its application.
PAGES += [
    Case("page post-loan work", "GET", lambda w: "/postloan", only({"postloan1"}), page=True),
    Case("page portfolio", "GET", lambda w: "/portfolio", only({"postloan1", "head1", "auditor1", "admin"}), page=True),
    Case("page loan", "GET", lambda w: f"/loans/{w.ids['loan']}", read("A1"), page=True),
    Case("page unknown loan", "GET", lambda w: "/loans/999999", everyone(404), page=True),
]



def _carries_report(w, role, r):
    """What a task carries forward is the application's: whoever reads the task reads the lead's report."""
    if r.status_code == 200 and not (r.get_json()["carried"] or {}).get("report"):
        return "the lead's report is not carried forward"
    return None


# The workbench's lists and what a task carries forward (issue 13): my applications for who takes them in,
# finished tasks for every officer (not designers nor auditors); odd query strings change nothing.
PAGES += [
    Case("page my applications", "GET", lambda w: "/applications/mine", only({"manager1", "admin"}), page=True),
    Case("page my applications, odd query", "GET", lambda w: "/applications/mine?q=%25_%5C&status=nope&page=-1x",
         only({"manager1", "admin"}), page=True),
    Case("page finished tasks", "GET", lambda w: "/tasks/done?page=99999999999", only(set(ROLES) - {"designer1", "auditor1"}),
         page=True),
    Case("page inbox sorted, odd keys", "GET", lambda w: "/inbox?sort=drop&dir=x&overdue=2", everyone(), page=True),
    Case("task A3 carries the report", "GET", lambda w: f"/tasks/{w.ids['t_a3']}", read("A3"), check=_carries_report),
]

CASES = API_READS + API_WRITES + PAGES + LAST


def test_the_matrix_covers_every_api_endpoint_and_role(world):
    """Each REST route of the app has at least one case, so a new endpoint cannot slip past the matrix."""
    import re

    covered = set()
    for case in API_READS + API_WRITES + LAST:
        path = re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27}|/\d+|/matrix_review|/matrix_temp", "/X", case.path(world))
        covered.add((case.method, "/api/v1" + path))
    routes = set()
    for rule in world.app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.rule != "/api/v1/auth/token":
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((method, re.sub(r"<[^>]+>", "X", rule.rule).replace("/X/", "/X/")))
    missing = {(m, r) for m, r in routes if (m, r) not in covered}
    assert missing == set(), sorted(missing)
    assert len(ROLES) == 12 and set(ROLES) <= set(POSTS)


@pytest.mark.parametrize("role", ROLES)
def test_role_against_every_endpoint(world, role):
    wrong = []
    for case in CASES:
        r = _page(world, case, role) if case.page else _api(world, case, role)
        expected = case.expect(role)
        allowed = expected if isinstance(expected, tuple) else (expected,)
        if r.status_code not in allowed:
            wrong.append(f"{case.name}: {r.status_code}, expected {expected} ({r.get_data(as_text=True)[:160]!r})")
            continue
        if case.check is not None and (problem := case.check(world, role, r)):
            wrong.append(f"{case.name}: {problem}")
        if case.shows is not None:
            expected_listed = (PAGE_LISTED if case.page else LISTED)[case.shows]
            present = world.ids[case.shows] in r.get_data(as_text=True)
            if present != (role in expected_listed):
                wrong.append(f"{case.name}: listed={present}, expected {role in expected_listed}")
        if case.undo is not None and r.status_code < 300 and r.status_code in allowed:
            case.undo(world, role)
    assert wrong == [], "\n".join(wrong)
