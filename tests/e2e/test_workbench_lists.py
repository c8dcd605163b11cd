"""The lists beside the inbox (issue 13): a customer manager's applications in every status, searchable by
name, ID number and phone; an officer's finished tasks; and the inbox table's sorting and overdue filter."""
import re

from tests.conftest import applicant
from tests.helpers import ui_login

REPORT = {"site_rating": "good", "annual_income": "200000", "guarantee": "credit", "findings": "正常"}


def submit(api, seq, name, amount="60000", village="V01", user="manager1"):
    person = {**applicant(seq, village=village), "name": name}
    body = {"product_code": "NONGHU", "amount": amount, "term_months": 12, "purpose": "养殖", "channel": "manager_app",
            "applicant": person}
    r = api.post("/applications", user, json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"], person


def listed(html):
    return [int(x) for x in re.findall(r'data-testid="application-(\d+)"', html)]


def test_my_applications_in_every_status_searchable_by_name_id_number_and_phone(app, api):
    a, pa = submit(api, 1, "欧阳明")
    b, pb = submit(api, 2, "李四")
    api.complete("investigator1", api.my_task("investigator1", b, "investigate")["id"], REPORT)
    api.complete("investigator2", api.my_task("investigator2", b, "cosign")["id"], {"agree": True})
    api.complete("approver1", api.my_task("approver1", b, "approve")["id"], {"decision": "reject", "reason": "用途不明"})
    client = app.test_client()
    ui_login(client, "manager1")
    html = client.get("/applications/mine").get_data(as_text=True)
    assert listed(html) == [b, a]  # newest first, rejected ones too
    assert "已拒绝" in html and "调查中" in html and pb["phone"] in html
    assert listed(client.get("/applications/mine?q=欧阳").get_data(as_text=True)) == [a]
    assert listed(client.get(f"/applications/mine?q={pb['id_number'].lower()}").get_data(as_text=True)) == [b]
    assert listed(client.get(f"/applications/mine?q={pa['phone']}").get_data(as_text=True)) == [a]
    assert listed(client.get("/applications/mine?status=rejected").get_data(as_text=True)) == [b]
    assert listed(client.get("/applications/mine?q=%25").get_data(as_text=True)) == []  # % is a character, not a wildcard
    for odd in ("?page=0", "?page=１", "?page=" + "9" * 30, "?status=drop", "?q=" + "x" * 5000):
        assert client.get("/applications/mine" + odd).status_code == 200
    # Another officer's applications are not "mine"; an investigator has no such list.
    other = app.test_client()
    ui_login(other, "investigator1")
    assert other.get("/applications/mine").status_code == 403


def test_finished_tasks_are_each_officers_own_newest_first(app, api, container):
    a, _ = submit(api, 3, "王五")
    b, _ = submit(api, 4, "赵六")
    for app_id in (a, b):
        api.complete("investigator1", api.my_task("investigator1", app_id, "investigate")["id"], REPORT)
        container.clock.advance(minutes=5)
    client = app.test_client()
    ui_login(client, "investigator1")
    html = client.get("/tasks/done").get_data(as_text=True)
    assert html.count('data-testid="done-investigate"') == 2 and html.index("赵六") < html.index("王五")
    assert "现场调查" in html
    other = app.test_client()
    ui_login(other, "investigator2")
    assert 'data-testid="done-investigate' not in other.get("/tasks/done").get_data(as_text=True)
    assert "王五" not in other.get("/tasks/done").get_data(as_text=True)
    designer = app.test_client()
    ui_login(designer, "designer1")
    assert designer.get("/tasks/done").status_code == 403


def rows(html):
    return [int(x) for x in re.findall(r'<td class="c-applicant">#(\d+) ', html)]


def test_the_inbox_table_sorts_counts_its_tabs_and_filters_what_is_overdue(app, api, container):
    ids = []
    for i, (amount, village) in enumerate([("90000", "V02"), ("30000", "V01"), ("60000", "V03")]):
        ids.append(submit(api, 10 + i, f"客户{i}", amount=amount, village=village)[0])
        container.clock.advance(minutes=10)  # each waits a little less than the one before
    client = app.test_client()
    ui_login(client, "investigator1")
    html = client.get("/inbox").get_data(as_text=True)
    assert re.search(r'data-testid="tab-mine">[^<]*<span class="count">3</span>', html)
    assert rows(client.get("/inbox?sort=amount").get_data(as_text=True)) == [ids[1], ids[2], ids[0]]
    assert rows(client.get("/inbox?sort=amount&dir=desc").get_data(as_text=True)) == [ids[0], ids[2], ids[1]]
    assert rows(client.get("/inbox?sort=village").get_data(as_text=True)) == [ids[1], ids[0], ids[2]]
    assert rows(client.get("/inbox?sort=age").get_data(as_text=True)) == [ids[2], ids[1], ids[0]]  # youngest first
    assert rows(client.get("/inbox?sort=age&dir=desc").get_data(as_text=True)) == ids
    sorted_page = client.get("/inbox?sort=amount&dir=desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in sorted_page and "sort=amount" in sorted_page
    for odd in ("?sort=drop%20table", "?sort=amount&dir=sideways", "?overdue=yes", "?sort=__class__"):
        assert client.get("/inbox" + odd).status_code == 200
    assert rows(client.get("/inbox?overdue=1").get_data(as_text=True)) == []
    container.clock.advance(days=3)
    late = client.get("/inbox?overdue=1&sort=amount").get_data(as_text=True)
    assert rows(late) == [ids[1], ids[2], ids[0]] and 'aria-pressed="true"' in late
