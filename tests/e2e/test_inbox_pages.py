"""Inbox filters, search, pagination, SLA marks and the branch head's reassignment page."""
import re

from tests.conftest import applicant
from tests.helpers import ui_login


def submit(api, seq, product="NONGHU", amount="100000", village="V01", name=None):
    person = applicant(seq, village=village)
    if name:
        person["name"] = name
    body = {"product_code": product, "amount": amount, "term_months": 12, "purpose": "x", "channel": "manager_app",
            "applicant": person}
    r = api.post("/applications", "manager1", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def rows(page: str) -> list[str]:
    return re.findall(r'data-testid="task-(\w+)"', page)


def test_filters_search_and_pages(app, api, container):
    ids = [submit(api, i, amount=str(20000 + i * 1000), village="V01" if i % 2 else "V02") for i in range(1, 24)]
    special = submit(api, 90, product="JINGYING", amount="600000", village="V05", name="欧阳锋")
    client = app.test_client()
    ui_login(client, "investigator1")
    first = client.get("/inbox").get_data(as_text=True)
    assert len(rows(first)) == 20 and 'id="inbox-more"' in first
    second = client.get("/inbox?page=2", headers={"HX-Request": "true", "HX-Target": "inbox-more"}).get_data(as_text=True)
    assert len(rows(second)) == 4 and "<html" not in second  # htmx gets just the rows
    assert len(rows(client.get("/inbox?product=JINGYING").get_data(as_text=True))) == 1
    assert len(rows(client.get("/inbox?village=V02").get_data(as_text=True))) == 11
    assert len(rows(client.get("/inbox?min_amount=30000&max_amount=35000").get_data(as_text=True))) == 6
    found = client.get("/inbox?q=欧阳").get_data(as_text=True)
    assert rows(found) == ["investigate"] and f"#{special}" in found
    with container.uow() as uow:
        from credit.models import Application

        id_number = uow.session.get(Application, ids[0]).customer.id_number
    assert len(rows(client.get(f"/inbox?q={id_number}").get_data(as_text=True))) == 1
    assert rows(client.get("/inbox?stage=approve").get_data(as_text=True)) == []
    assert rows(client.get("/inbox?tab=queue").get_data(as_text=True)) == []  # all allocated already
    container.clock.advance(days=3)
    late = client.get("/inbox?product=JINGYING").get_data(as_text=True)
    assert "task card overdue" in late and "已逾期" in late


def test_branch_head_reassigns_many_from_the_page(app, api):
    a, b = submit(api, 1), submit(api, 2)
    tasks = [api.my_task("investigator1", x, "investigate")["id"] for x in (a, b)]
    client = app.test_client()
    token = ui_login(client, "admin")
    page = client.get("/inbox?tab=all").get_data(as_text=True)
    assert 'name="task_ids"' in page and "改派所选任务" in page
    r = client.post("/tasks/reassign", data={"csrf_token": token, "task_ids": tasks, "to": "multi1", "reason": "网格调整"})
    assert r.status_code == 303
    assert "已改派 2 个任务" in client.get("/inbox?tab=all").get_data(as_text=True)
    assert all(api.get(f"/tasks/{t}", "admin").get_json()["assignee"] == "multi1" for t in tasks)
    other = app.test_client()
    token = ui_login(other, "investigator1")
    r = other.post("/tasks/reassign", data={"csrf_token": token, "task_ids": tasks, "to": "investigator1", "reason": "x"})
    assert r.status_code == 303
    assert all(api.get(f"/tasks/{t}", "admin").get_json()["assignee"] == "multi1" for t in tasks)
