"""Officer workbench behaviour through the API and the pages (test client)."""
import io
import re
import subprocess
import sys

from tests.browser.test_workbench_phone import png
from tests.conftest import applicant
from tests.helpers import ui_login

REPORT = {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee", "guarantor_name": "王保证",
          "findings": "正常"}


def submit(api, seq, village="V01", amount="100000", product="NONGHU"):
    body = {"product_code": product, "amount": amount, "term_months": 12, "purpose": "养殖", "channel": "manager_app",
            "applicant": applicant(seq, village=village)}
    r = api.post("/applications", "manager1", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def investigate(api, app_id, lead, assistant):
    api.complete(lead, api.my_task(lead, app_id, "investigate")["id"], REPORT)
    api.complete(assistant, api.my_task(assistant, app_id, "cosign")["id"], {"agree": True})


def test_investigation_goes_to_the_villages_officer_and_the_trail_says_why(api):
    app_id = submit(api, 1, village="V04")
    task = api.get(f"/applications/{app_id}", "manager1").get_json()["tasks"][0]
    assert task["name"] == "investigate" and task["assignee"] == "investigator1"
    claims = [e for e in api.get(f"/applications/{app_id}/history", "auditor1").get_json()["events"]
              if e["type"] in ("task_claimed",)]
    assert claims == []  # nobody claimed it
    allocated = next(e for e in api.get(f"/applications/{app_id}/history", "auditor1").get_json()["events"]
                     if e["type"] == "allocated")
    assert "村 V04 网格调查员" in allocated["data"]["reasons"]["lead_investigator"]
    assert allocated["data"]["assignees"] == {"lead_investigator": "investigator1", "assistant_investigator": "investigator2"}


def test_multi1_may_not_approve_what_they_investigated_but_may_approve_another(api):
    a = submit(api, 2, village="V07", amount="80000")  # investigator2 leads, multi1 co-signs
    investigate(api, a, "investigator2", "multi1")
    approve_a = api.my_task("approver1", a, "approve")
    assert api.post(f"/tasks/{approve_a['id']}/release", "approver1").status_code == 200
    r = api.post(f"/tasks/{approve_a['id']}/claim", "multi1")
    assert r.status_code == 403 and "separation of duties" in r.get_json()["message"]
    r = api.post(f"/tasks/{approve_a['id']}/complete", "multi1", json={"data": {"decision": "approve"}})
    assert r.status_code == 403

    b = submit(api, 3, village="V01", amount="80000")
    investigate(api, b, "investigator1", "investigator2")
    approve_b = api.my_task("approver1", b, "approve")
    assert api.post(f"/tasks/{approve_b['id']}/release", "approver1").status_code == 200
    assert api.post(f"/tasks/{approve_b['id']}/claim", "multi1").status_code == 200
    api.complete("multi1", approve_b["id"], {"decision": "approve"})
    assert api.get(f"/applications/{b}", "multi1").get_json()["status"] == "contracting"


def test_an_approver_without_enough_authority_cannot_take_the_task_nor_sees_it_offered(app, api):
    app_id = submit(api, 4, amount="250000")  # above multi1's 100,000
    investigate(api, app_id, "investigator1", "investigator2")
    task = api.my_task("approver1", app_id, "approve")
    api.post(f"/tasks/{task['id']}/release", "approver1")
    r = api.post(f"/tasks/{task['id']}/claim", "multi1")
    # V01 is served by OUT01, not multi1's outlet, and the task does not name them: out of scope, a 404
    assert r.status_code == 404
    # "What the caller may work on": the unassigned task is offered to approver1 only.
    offered = lambda user: [t["id"] for t in api.get(f"/tasks?application_id={app_id}", user).get_json()["tasks"]]
    assert offered("approver1") == [task["id"]] and offered("multi1") == []
    client = app.test_client()
    ui_login(client, "multi1")
    assert task["id"] not in client.get("/inbox?tab=queue").get_data(as_text=True)
    ui_login(client, "approver1")
    assert task["id"] in client.get("/inbox?tab=queue").get_data(as_text=True)


def test_branch_head_reassigns_with_a_reason_and_separation_still_holds(api):
    app_id = submit(api, 5)
    task = api.my_task("investigator1", app_id, "investigate")
    assert api.post("/tasks/reassign", "investigator1", json={"task_ids": [task["id"]], "to": "investigator2",
                                                              "reason": "x"}).status_code == 403
    r = api.post("/tasks/reassign", "admin", json={"task_ids": [task["id"]], "to": "manager1", "reason": "试试"})
    assert r.status_code == 403 and "needs post 'investigator'" in r.get_json()["message"]  # a customer manager
    r = api.post("/tasks/reassign", "admin", json={"task_ids": [task["id"]], "to": "investigator2", "reason": ""})
    assert r.status_code == 422 and "reason" in r.get_json()["fields"]
    r = api.post("/tasks/reassign", "admin", json={"task_ids": [task["id"]], "to": "investigator2", "reason": "李调查休假"})
    assert r.status_code == 200
    assert api.get(f"/tasks/{task['id']}", "admin").get_json()["assignee"] == "investigator2"
    event = next(e for e in api.get(f"/applications/{app_id}/history", "auditor1").get_json()["events"]
                 if e["type"] == "task_reassigned")
    assert event["actor"] == "admin" and event["data"]["reason"] == "李调查休假" and event["data"]["from"] == "investigator1"


def test_comments_and_documents(api):
    app_id = submit(api, 6)
    assert api.post(f"/applications/{app_id}/comments", "investigator1", json={"body": "  "}).status_code == 422
    assert api.post(f"/applications/{app_id}/comments", "investigator1", json={"body": "已电话联系"}).status_code == 201
    up = api.post(f"/applications/{app_id}/attachments", "investigator1", content_type="multipart/form-data",
                  data={"file": (io.BytesIO(png()), "房屋.png")})
    assert up.status_code == 201, up.get_json()
    doc = up.get_json()
    assert doc["content_type"] == "image/png" and len(doc["sha256"]) == 64
    fake = api.post(f"/applications/{app_id}/attachments", "investigator1", content_type="multipart/form-data",
                    data={"file": (io.BytesIO(b"MZ\x90\x00 not an image"), "photo.jpg")})
    assert fake.status_code == 422 and "file" in fake.get_json()["fields"]
    big = api.post(f"/applications/{app_id}/attachments", "investigator1", content_type="multipart/form-data",
                   data={"file": (io.BytesIO(b"%PDF-" + b"0" * (9 * 1024 * 1024)), "scan.pdf")})
    assert big.status_code == 422
    body = api.get(f"/applications/{app_id}", "approver1").get_json()
    assert [c["body"] for c in body["comments"]] == ["已电话联系"]
    assert [a["filename"] for a in body["attachments"]] == ["房屋.png"]
    got = api.get(f"/attachments/{doc['id']}", "approver1")
    assert got.data == png() and got.headers["X-Checksum-Sha256"] == doc["sha256"]
    types = [e["type"] for e in api.get(f"/applications/{app_id}/history", "auditor1").get_json()["events"]]
    assert "comment_added" in types and "attachment_added" in types
    assert api.post("/applications/9999/comments", "investigator1", json={"body": "x"}).status_code == 404


def test_a_refused_form_with_uploads_keeps_no_file(app, api, container):
    from credit.documents import Attachment

    app_id = submit(api, 7)
    task = api.my_task("investigator1", app_id, "investigate")
    client = app.test_client()
    token = ui_login(client, "investigator1")
    r = client.post(f"/tasks/{task['id']}", content_type="multipart/form-data",
                    data={"csrf_token": token, "findings": "ok", "site_photos": (io.BytesIO(png()), "a.png")})
    assert r.status_code == 422
    with container.uow() as uow:
        assert uow.session.query(Attachment).count() == 0


def test_pages_need_a_session_and_a_csrf_token(app, api):
    client = app.test_client()
    assert client.get("/inbox").status_code == 302
    ui_login(client, "investigator1")
    assert client.get("/inbox").status_code == 200
    app_id = submit(api, 8)
    assert client.post(f"/applications/{app_id}/comments", data={"body": "hi"}).status_code == 400
    page = client.get(f"/applications/{app_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post(f"/applications/{app_id}/comments", data={"body": "hi"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and "hi" in r.get_data(as_text=True)
    bad = client.post("/login", data={"username": "investigator1", "password": "nope", "csrf_token": token})
    assert bad.status_code == 401


def test_the_hidden_actions_stay_hidden(app, api):
    """What a user may not do is not offered: no form for someone else's task, and why."""
    app_id = submit(api, 9)
    task = api.my_task("investigator1", app_id, "investigate")
    client = app.test_client()
    ui_login(client, "investigator2")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert 'class="task-form"' not in page and "assigned to investigator1" in page


def test_task_schema_speaks_chinese_by_default_and_english_on_request(api):
    app_id = submit(api, 10)
    task = api.my_task("investigator1", app_id, "investigate")
    zh = api.get(f"/tasks/{task['id']}", "investigator1").get_json()["form"]
    en = api.get(f"/tasks/{task['id']}?lang=en", "investigator1").get_json()["form"]
    assert zh["properties"]["site_rating"]["title"] == "现场调查评价"
    assert en["properties"]["site_rating"]["title"] == "Site visit rating"
    assert zh["properties"]["site_rating"]["x-labels"]["good"] == "良好"


def test_every_message_in_the_code_has_a_chinese_translation(tmp_path):
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    pot = tmp_path / "messages.pot"
    subprocess.run([str(pathlib.Path(sys.executable).with_name("pybabel")), "extract", "-F", "babel.cfg",
                    "-k", "_", "-k", "gettext", "-k", "L_", "-k", "N_", "-k", "lazy_gettext", "-o", str(pot), "."],
                   cwd=root, check=True, capture_output=True)
    from babel.messages.pofile import read_po

    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    zh = {m.id for m in read_po((root / "webapp/translations/zh/LC_MESSAGES/messages.po").open("rb")) if m.string}
    assert sorted(wanted - zh) == []


def test_the_manual_allocation_page_asks_for_every_role(app, api, container):
    from sqlalchemy import update

    from credit.models import User

    with container.uow() as uow:
        uow.session.execute(update(User).where(User.username.in_(["investigator1", "investigator2"])).values(on_leave=True))
        uow.commit()
    app_id = submit(api, 12, village="V03")
    task = api.my_task("head1", app_id, "manual_allocation")  # the branch head's, no longer the admin's
    assert all(t["name"] != "manual_allocation" for t in api.get("/tasks", "admin").get_json()["tasks"])
    client = app.test_client()
    ui_login(client, "head1")
    page = client.get(f"/tasks/{task['id']}").get_data(as_text=True)
    for label in ("主调查人", "贷审会委员1", "贷审会委员2", "贷审会委员3", "放款岗"):
        assert label in page, label
    assert 'name="assignees.committee_3"' in page
