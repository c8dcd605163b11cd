"""No 500 on bad input (issue 11): each kind of bad input has its answer, through the API and
the pages, and nothing is stored."""
import io
import json

import pytest
from sqlalchemy import func, select

from credit.models import Application
from tests.conftest import applicant
from tests.helpers import ui_login

BIG = "9" * 30  # beyond 64 bits
HUGE = "9" * 5000  # beyond what int() converts by default


def submission(seq=1, **over):
    body = {"product_code": "RUYI", "amount": "50000", "term_months": 12, "purpose": "装修",
            "channel": "api", "applicant": applicant(seq)}
    body.update(over)
    return body


def raw_post(api, path, text, user="manager1", **kw):
    return api.post(path, user, data=text, content_type="application/json", **kw)


def applications(container):
    with container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Application))


def submit(api, seq=1):
    r = api.post("/applications", "manager1", json=submission(seq, product_code="NONGHU", amount="100000",
                                                              channel="manager_app"))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


@pytest.mark.parametrize("path", [f"/applications/{BIG}", f"/applications/{BIG}/history", f"/applications/{BIG}/contract.pdf",
                                  f"/loans/{BIG}", f"/attachments/{BIG}", f"/applications/{HUGE}",
                                  f"/applications/{2 ** 63}", "/applications/１"])
def test_integers_beyond_64_bits_or_not_ascii_in_a_path_are_a_404(api, path):
    r = api.get(path, "admin")
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"


def test_integers_beyond_64_bits_in_a_page_path_are_a_404(app, api):
    client = app.test_client()
    ui_login(client, "manager1")
    for path in (f"/applications/{BIG}", f"/attachments/{BIG}"):
        assert client.get(path).status_code == 404
    assert api.post(f"/applications/{BIG}/comments", "manager1", json={"body": "x"}).status_code == 404


@pytest.mark.parametrize("query", [f"offset={BIG}", f"offset={HUGE}", f"limit={BIG}", "limit=１", "offset=1_000",
                                   "offset=-1", "limit=abc"])
def test_bad_integers_in_a_query_string_are_a_located_422(api, query):
    r = api.get(f"/tasks?{query}", "investigator1")
    assert r.status_code == 422, r.get_json()
    assert set(r.get_json()["fields"]) == {query.split("=")[0]}


def test_a_large_limit_is_still_clamped(api):
    assert api.get("/tasks?limit=100000", "investigator1").status_code == 200


JSON_ENDPOINTS = ["/auth/token", "/applications", "/tasks/reassign", "/process-definitions/loan_application/start",
                  "/tasks/00000000-0000-0000-0000-000000000000/complete", "/users/manager1/password"]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_deeply_nested_json_is_a_400(api, path):
    for text in ("[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000, '{"data": ' + "[" * 40 + "]" * 40 + "}"):
        r = raw_post(api, path, text, "admin")
        assert r.status_code == 400, (path, r.get_json())
        assert "nested" in r.get_json()["message"]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("text", ["[1, 2]", '"text"', "1", "null", "true", "{not json", "\xff"])
def test_a_json_body_that_is_not_an_object_is_a_400(api, path, text):
    r = raw_post(api, path, text.encode("latin-1"), "admin")
    assert r.status_code == 400 and r.get_json()["error"] == "bad_request"


def test_a_body_that_is_not_json_at_all_is_a_400(api):
    assert api.post("/applications", "manager1", data="product_code=RUYI").status_code == 400


@pytest.mark.parametrize("bad", ["\ud800", "\udfff tail", "a\x00b"])
def test_lone_surrogates_and_nul_in_any_string_of_a_body_are_a_located_422(api, container, bad):
    before = applications(container)
    cases = [
        ("/applications", submission(purpose=bad), {"purpose"}),
        ("/applications", submission(applicant={**applicant(2), "name": bad}), {"applicant"}),
        ("/applications", {**submission(), bad: 1}, None),
        ("/auth/token", {"username": bad, "password": "demo123"}, {"username"}),
        ("/tasks/reassign", {"task_ids": [bad], "to": "investigator2", "reason": "r"}, {"task_ids"}),
        ("/process-definitions/loan_application/start", {"data": {"x": [bad]}}, {"data"}),
    ]
    for path, body, where in cases:
        r = raw_post(api, path, json.dumps(body), "admin")  # json.dumps writes \ud800 as an escape, like any client
        assert r.status_code == 422, (path, r.get_json())
        fields = r.get_json()["fields"]
        assert where is None or set(fields) == where, fields
    app_id = submit(api, 3)
    r = raw_post(api, f"/applications/{app_id}/comments", json.dumps({"body": bad}), "manager1")
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"body"}
    task = api.my_task("investigator1", app_id, "investigate")
    r = raw_post(api, f"/tasks/{task['id']}/complete", json.dumps({"data": {"findings": bad}}), "investigator1")
    assert r.status_code == 422 and r.get_json()["fields"] == {"data": {"findings": [r.get_json()["fields"]["data"]["findings"][0]]}}
    assert applications(container) == before + 1


def test_a_key_with_a_lone_surrogate_is_named_in_an_answer_that_is_still_json(api):
    r = raw_post(api, "/applications", '{"\\ud800": 1}')
    assert r.status_code == 422
    assert list(r.get_json()["fields"]) == ["\\ud800"]


def test_nul_in_paths_query_strings_headers_and_file_names_is_refused(api, container):
    assert api.get("/tasks/%00", "investigator1").status_code == 404  # not a task id at all: no route
    r = api.post("/process-definitions/a%00/start", "designer1", json={"data": {}})
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"process_id"}
    assert api.post("/users/a%00/deactivate", "admin").status_code == 422
    assert api.get("/tasks?application_id=1%00", "investigator1").status_code == 422
    r = api.post("/applications", "manager1", json=submission(), headers={"Idempotency-Key": "k\x00"})
    assert r.status_code == 400
    app_id = submit(api, 4)
    r = api.post(f"/applications/{app_id}/attachments", "manager1", content_type="multipart/form-data",
                 data={"file": (io.BytesIO(b"%PDF-1.4 x"), "a\x00.pdf")})
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"file"}
    r = api.post("/contract-templates/preview", "designer1", content_type="multipart/form-data",
                 data={"file": (io.BytesIO(b"<p>a\x00b</p>"), "clause.html")})
    assert r.status_code == 422 and r.get_json()["error"] == "invalid_template"


def test_nul_in_a_form_post_is_a_422_on_the_pages(app, api):
    app_id = submit(api, 5)
    client = app.test_client()
    csrf = ui_login(client, "manager1")
    r = client.post(f"/applications/{app_id}/comments", data={"body": "a\x00b", "csrf_token": csrf})
    assert r.status_code == 422 and "NUL" in r.get_data(as_text=True)
    r = client.post("/login", data={"username": "manager1\x00", "password": "demo123", "csrf_token": csrf})
    assert r.status_code == 422


@pytest.mark.parametrize("amount", ["1e309", "1E+309", "NaN", "sNaN", "Infinity", "-Infinity", "9" * 100,
                                    "1e999999999", "12345678901234567890.00"])
def test_decimal_overflow_nan_and_infinity_are_a_422(api, container, amount):
    before = applications(container)
    for body in (submission(amount=amount), submission(applicant={**applicant(6), "annual_income": amount})):
        r = api.post("/applications", "manager1", json=body)
        assert r.status_code == 422, r.get_json()
    assert applications(container) == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1" + "0" * 400])
def test_json_numbers_json_cannot_hold_are_a_located_422(api, literal):
    text = json.dumps(submission()).replace('"50000"', literal)
    r = raw_post(api, "/applications", text)
    assert r.status_code == 422, r.get_json()
    assert set(r.get_json()["fields"]) == {"amount"}


@pytest.mark.parametrize("amount", ["５００００", "50_000", "5e4", "50000.", " 5 0000", "٥٠٠٠٠", "0x100"])
def test_full_width_digits_underscores_and_exponents_are_refused_as_an_amount(api, container, amount):
    before = applications(container)
    r = api.post("/applications", "manager1", json=submission(amount=amount))
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"amount"}, r.get_json()
    assert applications(container) == before


def test_the_new_application_page_refuses_full_width_and_underscored_numbers(app, container):
    client = app.test_client()
    csrf = ui_login(client, "manager1")
    person = applicant(7)
    form = {"csrf_token": csrf, "product_code": "RUYI", "purpose": "装修",
            **{f"applicant.{k}": v for k, v in person.items()}}
    before = applications(container)
    for amount, term in (("５００００", "12"), ("50_000", "12"), ("50000", "１２"), ("50000", "1_2"), ("50000", "²"),
                         ("50000", "9" * 5000)):
        r = client.post("/applications/new", data={**form, "amount": amount, "term_months": term})
        assert r.status_code == 422, (amount, term)
    assert applications(container) == before
    assert client.post("/applications/new", data={**form, "amount": "50000", "term_months": "12"}).status_code == 303


def test_yes_or_1_is_not_a_boolean(api):
    app_id = submit(api, 8)
    task = api.my_task("investigator1", app_id, "investigate")
    api.complete("investigator1", task["id"], {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee",
                                                "guarantor_name": "李保证", "findings": "正常"})
    cosign = api.my_task("investigator2", app_id, "cosign")
    for value in ("yes", "1", 1, 0, "on", "True", 1.0):
        r = api.post(f"/tasks/{cosign['id']}/complete", "investigator2", json={"data": {"agree": value}})
        assert r.status_code == 422 and "agree" in r.get_json()["fields"], (value, r.get_json())
    r = api.post(f"/tasks/{cosign['id']}/complete", "investigator2", json={"data": {"agree": True}})
    assert r.status_code == 200, r.get_json()


def test_an_unknown_village_is_a_located_422_not_a_foreign_key_failure(api, container):
    before = applications(container)
    for village in ("V99", "\u4e00" * 16, "C01"):
        r = api.post("/applications", "manager1", json=submission(applicant={**applicant(9), "village_code": village}))
        assert r.status_code == 422, r.get_json()
        assert r.get_json()["fields"] == {"applicant": {"village_code": [r.get_json()["fields"]["applicant"]["village_code"][0]]}}
    assert applications(container) == before


def test_a_405_says_which_methods_are_allowed(app, api):
    r = api.call("DELETE", "/products", "manager1")
    assert r.status_code == 405 and r.get_json()["error"] == "method_not_allowed"
    assert set(r.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    r = api.call("PUT", "/tasks/reassign", "admin")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]
    r = app.test_client().delete("/inbox")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]


def test_the_inbox_page_takes_any_query_string_without_a_500(app):
    client = app.test_client()
    ui_login(client, "manager1")
    for query in (f"page={BIG}", "page=9223372036854775807", f"page={HUGE}", "page=１", "min_amount=sNaN",
                  "max_amount=1e309", "min_amount=NaN", f"min_amount={BIG}", "max_amount=５"):
        assert client.get(f"/inbox?{query}").status_code == 200, query
    assert client.get("/inbox?q=a%00").status_code == 422
