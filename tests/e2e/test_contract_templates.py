"""Designers change contract wording as configuration: validated with line numbers, previewed, versioned."""
import io
import re

from pypdf import PdfReader

from tests.e2e.test_contract_pdf import disbursed_ruyi
from webapp.bootstrap import TEMPLATES_DIR

LOAN = (TEMPLATES_DIR / "loan_contract.html").read_text()


def upload(api, name, text, path="/contract-templates", user="designer1"):
    return api.post(path, user, content_type="multipart/form-data",
                    data={"file": (io.BytesIO(text.encode()), name)})


def test_an_undefined_variable_is_refused_with_its_line_and_nothing_changes(api):
    before = api.get("/contract-templates", "designer1").get_json()
    lines = LOAN.splitlines()
    lines[19] = lines[19] + "<p>{{ borrower.nickname }}{{ loan_officer }}</p>"
    r = upload(api, "loan_contract.html", "\n".join(lines))
    assert r.status_code == 422
    problem = r.get_json()["problems"][0]
    assert problem["file"] == "loan_contract.html" and problem["line"] == 20
    assert "loan_officer" in problem["message"]
    broken = upload(api, "loan_contract.html", LOAN.replace("{% endif %}", "", 1))
    assert broken.status_code == 422 and broken.get_json()["problems"][0]["line"]
    attr = upload(api, "loan_contract.html", LOAN.replace("{{ borrower.phone }}", "{{ borrower.mobile }}"))
    assert attr.status_code == 422 and attr.get_json()["problems"][0]["line"] == 8
    assert api.get("/contract-templates", "designer1").get_json() == before
    assert upload(api, "loan_contract.html", LOAN, user="manager1").status_code == 403


def test_an_element_the_contract_stylesheet_does_not_know_is_refused_with_its_line(api):
    before = api.get("/contract-templates", "designer1").get_json()
    lines = LOAN.splitlines()
    lines[2] = lines[2] + '<marquee>{{ bank.name }}</marquee>'
    r = upload(api, "loan_contract.html", "\n".join(lines))
    assert r.status_code == 422
    assert [(p["line"], p["message"]) for p in r.get_json()["problems"]] == [
        (3, "element <marquee> is not supported in contract templates")] * 2  # opening and closing tag
    assert api.get("/contract-templates", "designer1").get_json() == before
    # A comparison inside Jinja code and a tag inside an HTML comment are not elements.
    fine = LOAN.replace("<h2>第二条", "{% if loan.term_months<loan.spread_bp %}{% endif %}<!-- <marquee> --><h2>第二条")
    assert upload(api, "loan_contract.html", fine).status_code == 201


def test_preview_is_watermarked_and_a_new_version_is_used_and_recorded(api):
    preview = upload(api, "loan_contract.html", LOAN.replace("第七条 争议解决", "第七条 争议的解决"),
                     path="/contract-templates/preview")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(preview.data)).pages)
    assert "样本" in text and "争议的解决" in text
    versions = {t["name"]: t["version"] for t in api.get("/contract-templates", "designer1").get_json()["templates"]}
    assert versions["loan_contract"] == 1  # previewing deploys nothing

    r = upload(api, "loan_contract.html", LOAN.replace("第七条 争议解决", "第七条 争议的解决"))
    assert r.status_code == 201 and r.get_json()["version"] == 2
    app_id = disbursed_ruyi(api, 3)
    pdf = api.get(f"/applications/{app_id}/contract.pdf", "manager1")
    assert "loan_contract:2" in pdf.headers["X-Template-Versions"]
    assert "争议的解决" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)


def test_a_long_schedule_repeats_its_header_on_every_page_and_its_totals_once(container):
    from credit import contract_templates, contracts
    from webapp.pdf import html_to_pdf

    ctx = contracts.sample_context(term_months=60)
    with container.uow() as uow:
        sources = {k: t.source for k, t in contract_templates.active(uow.session).items()}
    pdf = html_to_pdf(contract_templates.render_html(sources, contracts.ENTRY, ctx))
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    annex = [t for t in pages if "2026-02-15" in t or "应还本金" in t and "剩余本金" in t]
    assert len(annex) >= 2  # the table broke across pages ...
    assert all("期数" in t and "剩余本金" in t for t in annex)  # ... and its header came along
    totals_row = "合计" + ctx["totals"]["principal"]  # not the 应还合计 column heading
    totals_pages = [i for i, t in enumerate(annex) if totals_row in re.sub(r"\s+", "", t)]
    assert totals_pages == [len(annex) - 1]  # the totals close the table once, not at every page's foot
    assert ctx["totals"]["total"] in annex[-1]


def test_designers_edit_preview_and_deploy_templates_from_their_pages(app, api):
    from tests.helpers import ui_login

    client = app.test_client()
    token = ui_login(client, "designer1")
    listing = client.get("/contract-templates").get_data(as_text=True)
    assert "合同模板" in listing and "loan_contract" in listing and "drawdown_receipt" in listing
    page = client.get("/contract-templates/loan_contract").get_data(as_text=True)
    assert "{{ borrower.id_number }}" in page and "v1" in page

    lines = LOAN.splitlines()
    lines[19] += "<p>{{ loan_officer }}</p>"
    refused = client.post("/contract-templates/loan_contract",
                          data={"csrf_token": token, "action": "deploy", "source": "\r\n".join(lines)})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "第 20 行" in text and "未定义的变量 &#39;loan_officer&#39;" in text
    assert "loan_officer" in text  # the edit is kept in the editor, not lost
    assert {t["name"]: t["version"] for t in api.get("/contract-templates", "designer1").get_json()["templates"]}[
        "loan_contract"] == 1  # the active version is unchanged

    changed = LOAN.replace("第七条 争议解决", "第七条 争议的解决")
    preview = client.post("/contract-templates/loan_contract",
                          data={"csrf_token": token, "action": "preview", "source": changed})
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert "争议的解决" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(preview.data)).pages)
    assert {t["name"]: t["version"] for t in api.get("/contract-templates", "designer1").get_json()["templates"]}[
        "loan_contract"] == 1  # previewing deploys nothing

    deployed = client.post("/contract-templates/loan_contract",
                           data={"csrf_token": token, "action": "deploy", "source": changed}, follow_redirects=True)
    assert deployed.status_code == 200 and "loan_contract 的版本 2 已发布" in deployed.get_data(as_text=True)
    versions = {t["name"]: t["version"] for t in api.get("/contract-templates", "designer1").get_json()["templates"]}
    assert versions["loan_contract"] == 2

    assert client.post("/contract-templates/loan_contract", data={"action": "deploy", "source": changed}).status_code == 400
    assert client.get("/contract-templates/no%20such").status_code == 404
    other = app.test_client()
    ui_login(other, "manager1")
    assert other.get("/contract-templates").status_code == 403
    assert "合同模板" not in other.get("/inbox").get_data(as_text=True)
