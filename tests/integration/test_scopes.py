"""Object-level scopes (issue 11), beyond the role matrix: comments name only their own application's tasks,
lists and search stay within scope, routing opens a file to a head-office officer, auditors are refused
every write whatever it names, and the rules themselves."""
import io
import uuid

from sqlalchemy import delete, select

from credit import access as rules
from credit.models import Org, User
from tests.browser.test_workbench_phone import png
from tests.conftest import FAST_HASH, applicant
from tests.helpers import ui_login
from tests.integration.driver import Driver


def submit(api, seq, village="V01", amount="100000", product="NONGHU", name=None):
    person = applicant(seq, village=village)
    if name:
        person["name"] = name
    body = {"product_code": product, "amount": amount, "term_months": 12, "purpose": "养殖", "channel": "manager_app",
            "applicant": person}
    r = api.post("/applications", "manager1", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_comment_or_document_names_only_a_task_of_its_own_application(api):
    a, b = submit(api, 1), submit(api, 2)
    foreign = b["tasks"][0]["id"]
    r = api.post(f"/applications/{a['id']}/comments", "investigator1", json={"body": "见另案", "task_id": foreign})
    assert r.status_code == 422 and "task_id" in r.get_json()["fields"]
    r = api.post(f"/applications/{a['id']}/comments", "investigator1", json={"body": "x", "task_id": "not-a-task"})
    assert r.status_code == 422
    r = api.post(f"/applications/{a['id']}/attachments", "investigator1", content_type="multipart/form-data",
                 data={"file": (io.BytesIO(png()), "a.png"), "task_id": foreign})
    assert r.status_code == 422 and "task_id" in r.get_json()["fields"]
    own = a["tasks"][0]["id"]
    r = api.post(f"/applications/{a['id']}/comments", "investigator1", json={"body": "已走访", "task_id": own})
    assert r.status_code == 201 and r.get_json()["task_id"] == own
    assert [c["body"] for c in api.get(f"/applications/{b['id']}", "investigator1").get_json()["comments"]] == []


def test_search_and_lists_stay_within_scope(app, api):
    a = submit(api, 3, village="V01", name="欧阳春")   # OUT01
    b = submit(api, 4, village="V08", name="欧阳秋")   # OUT02, multi1's outlet
    for who, seen in (("head1", {a["id"], b["id"]}), ("multi1", {b["id"]}), ("investigator1", {a["id"], b["id"]})):
        client = app.test_client()
        ui_login(client, who)
        page = client.get("/inbox?tab=all&q=欧阳").get_data(as_text=True)
        found = {x for x in (a["id"], b["id"]) if f"#{x}" in page}
        if who == "head1":
            assert found == seen, (who, found)
        else:  # only branch heads and admins have the all tab; the others search their own tasks
            assert found <= seen, (who, found)
    assert api.get(f"/tasks?application_id={a['id']}", "multi1").get_json()["tasks"] == []
    assert api.get(f"/applications/{a['id']}", "multi1").status_code == 404
    assert api.get(f"/applications/{b['id']}", "multi1").status_code == 200


def test_a_head_office_approver_sees_a_file_once_it_is_routed_to_them_and_afterwards(container, api):
    d = Driver(container)
    app_id = d.submit("NONGHU", "400000", 24, income="300000")
    assert api.get(f"/applications/{app_id}", "approver_hq").status_code == 404
    d.investigate(app_id)
    assert api.get(f"/applications/{app_id}", "approver_hq").status_code == 200
    d.do(app_id, "approve", {"decision": "approve"})
    assert api.get(f"/applications/{app_id}", "approver_hq").status_code == 200  # done by them
    assert api.get(f"/applications/{app_id}", "committee1").status_code == 404
    assert api.get(f"/applications/{app_id}", "designer1").status_code == 404


def test_an_auditor_is_refused_every_write_whatever_it_names_and_reads_everything(api):
    a = submit(api, 5)
    nobody = str(uuid.uuid4())
    for path, kw in [(f"/tasks/{nobody}/claim", {}), (f"/tasks/{nobody}/release", {}),
                     (f"/tasks/{nobody}/complete", {"json": {"data": {}}}),
                     ("/applications/999999/comments", {"json": {"body": "x"}}),
                     (f"/applications/{a['id']}/comments", {"json": {"body": "x"}}),
                     ("/tasks/reassign", {"json": {"task_ids": [nobody], "to": "investigator1", "reason": "x"}}),
                     ("/process-definitions/loan_allocation/start", {"json": {"data": {}}})]:
        assert api.post(path, "auditor1", **kw).status_code == 403, path
    assert api.get(f"/applications/{a['id']}", "auditor1").status_code == 200
    assert api.get(f"/applications/{a['id']}/history", "auditor1").status_code == 200


def test_a_designer_sees_models_and_their_test_runs_but_no_customer(app, api):
    a = submit(api, 6)
    assert api.get("/tasks", "designer1").get_json()["tasks"] == []
    assert api.get(f"/tasks/{a['tasks'][0]['id']}", "designer1").status_code == 404
    assert api.get(f"/applications/{a['id']}", "designer1").status_code == 404
    assert api.get("/process-definitions", "designer1").status_code == 200
    client = app.test_client()
    ui_login(client, "designer1")
    assert a["applicant"]["name"] not in client.get("/inbox?tab=all").get_data(as_text=True)
    assert client.get(f"/applications/{a['id']}").status_code == 404


def test_the_rules():
    assert rules.read_only(frozenset({"auditor"})) and rules.read_only(frozenset())
    assert not rules.read_only(frozenset({"auditor", "admin"}))
    assert rules.may_reassign(frozenset({"branch_head"})) and rules.may_reassign(frozenset({"admin"}))
    assert not rules.may_reassign(frozenset({"approver", "investigator"}))
    assert not rules.may_work_files(frozenset({"designer"})) and not rules.may_work_files(frozenset({"admin"}))
    v = rules.Viewer("x", frozenset({"designer"}))
    assert not v.sees_customers and not v.reads_everything
    assert rules.Viewer("a", frozenset({"auditor"})).reads_everything
    assert not rules.Viewer("c", frozenset(), client_id="wechat-demo").reads_everything


def test_org_scope_is_the_subtree_and_the_head_office_sees_only_what_is_routed(container):
    with container.uow() as uow:
        s = uow.session
        org = {o.code: o.id for o in s.scalars(select(Org))}
        assert rules.org_scope(s, org["BR01"], frozenset({"branch_head"})) == {org["BR01"], org["OUT01"], org["OUT02"]}
        assert rules.org_scope(s, org["OUT02"], frozenset({"investigator"})) == {org["OUT02"]}
        assert rules.org_scope(s, org["HQ"], frozenset({"approver"})) is None
        assert rules.org_scope(s, org["BR01"], frozenset({"admin"})) is None  # admins read through their post


def test_the_demo_bank_gains_the_branch_head_on_an_older_install(container):
    from webapp.bootstrap import load_demo

    with container.uow() as uow:
        uow.session.execute(delete(User).where(User.username == "head1"))
        uow.commit()
    assert load_demo(container, password_hash=FAST_HASH) is True
    assert load_demo(container, password_hash=FAST_HASH) is False
    with container.uow() as uow:
        head = uow.session.scalars(select(User).where(User.username == "head1")).one()
        assert head.posts == ["branch_head"] and head.org.code == "BR01"
