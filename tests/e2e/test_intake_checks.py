"""Intake checks the product first (issue 13): the amount and term against the product, the repayment
method, and the admission table's age rules. A refusal is a 422 naming its fields; nothing is created."""
from datetime import date

from sqlalchemy import func, select

from credit import idnumber
from credit.models import Application, Customer
from engine.models import HumanTask, ProcessInstance
from tests.conftest import applicant
from tests.helpers import ui_login


def counts(container):
    with container.uow() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(m)) for m in
                     (Application, Customer, ProcessInstance, HumanTask))


def submit(api, product, amount, term, **extra):
    person = extra.pop("person", None) or applicant(7, income="150000")
    return api.post("/applications", "manager1", json={"product_code": product, "amount": amount, "term_months": term,
                                                       "channel": "manager_app", "applicant": person, **extra})


def test_shandai_200000_over_24_months_is_refused_at_intake_with_field_messages(api, container):
    before = counts(container)
    r = submit(api, "SHANDAI", "200000", 24)
    assert r.status_code == 422, r.get_json()
    fields = r.get_json()["fields"]
    assert fields["amount"] == ["不能大于 50000.00。"]
    assert fields["term_months"] == ["不能大于 12。"]
    assert counts(container) == before  # no application, customer, process or task
    r = submit(api, "SHANDAI", "100", 1)
    assert r.status_code == 422 and set(r.get_json()["fields"]) == {"amount", "term_months"}
    assert submit(api, "SHANDAI", "50000", 12).status_code == 201


def test_the_repayment_method_is_optional_and_must_be_the_products(api, container):
    before = counts(container)
    r = submit(api, "SHANDAI", "30000", 12, repayment_method="interest_only")
    assert r.status_code == 422 and r.get_json()["fields"] == {"repayment_method": ["该产品不支持此还款方式。"]}
    r = submit(api, "SHANDAI", "30000", 12, repayment_method="balloon")
    assert r.status_code == 422 and "repayment_method" in r.get_json()["fields"]
    assert counts(container) == before
    assert submit(api, "SHANDAI", "30000", 12, repayment_method="equal_instalment").status_code == 201


def test_the_admission_tables_age_rules_refuse_at_intake(api, container, clock):
    today = clock.now().date()
    before = counts(container)
    old = applicant(8, born=date(today.year - 63, 1, 10), income="150000")  # 63 now, 66 after 36 months
    r = submit(api, "RUYI", "50000", 36, person=old)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["fields"] == {"term_months": ["年龄加贷款期限超过65岁"]}
    young = applicant(9, born=date(today.year - 17, 1, 10), income="150000")
    r = submit(api, "RUYI", "50000", 12, person=young)
    assert r.status_code == 422 and list(r.get_json()["fields"]["applicant"]) == ["id_number"]
    assert counts(container) == before
    assert submit(api, "RUYI", "50000", 12, person=old).status_code == 201  # 64 at maturity


def test_the_new_application_page_shows_the_refusal_beside_its_field(app, container):
    web = app.test_client()
    csrf = ui_login(web, "manager1")
    person = applicant(10, income="150000")
    form = {"csrf_token": csrf, "product_code": "SHANDAI", "amount": "200000", "term_months": "24", "purpose": "消费",
            **{f"applicant.{k}": v for k, v in person.items()}}
    r = web.post("/applications/new", data=form)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "50000.00" in html and "Must be at most" not in html  # in Chinese, beside the amount
    assert idnumber.problem(person["id_number"]) is None
