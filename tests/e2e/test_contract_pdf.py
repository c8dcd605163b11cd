"""The contract of a disbursed RUYI loan: the stored bytes, their hash in the audit log,
the text a person would read, every character of it, under 300 KB."""
import hashlib
import io
import pathlib
import re
import shutil
import subprocess

from pypdf import PdfReader

from tests.e2e.test_ruyi_via_api import submission

SHOTS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def disbursed_ruyi(api, seq=1):
    app_id = api.post("/applications", "manager1", json=submission(seq)).get_json()["id"]
    api.complete("investigator1", api.my_task("investigator1", app_id, "investigate")["id"],
                 {"site_rating": "good", "annual_income": "120000.00", "guarantee": "credit", "findings": "收入稳定"})
    api.complete("investigator2", api.my_task("investigator2", app_id, "cosign")["id"], {"agree": True})
    api.complete("approver1", api.my_task("approver1", app_id, "approve")["id"], {"decision": "approve"})
    api.complete("manager1", api.my_task("manager1", app_id, "sign_contract")["id"], {"signed": True, "signing_place": "城关支行"})
    api.complete("disburser1", api.my_task("disburser1", app_id, "disbursement_check")["id"],
                 {"passed": True, "account_no": "6228480012345671"})
    return app_id


def test_contract_pdf_of_a_disbursed_ruyi_loan(api, tmp_path):
    app_id = disbursed_ruyi(api)
    app = api.get(f"/applications/{app_id}", "manager1").get_json()
    assert app["status"] == "disbursed"
    r = api.get(f"/applications/{app_id}/contract.pdf", "manager1")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf = r.data
    assert len(pdf) < 300 * 1024
    digest = hashlib.sha256(pdf).hexdigest()
    rendered = [e for e in api.get(f"/applications/{app_id}/history", "auditor1").get_json()["events"]
                if e["type"] == "contract_rendered"]
    assert [e["data"]["sha256"] for e in rendered] == [digest]
    assert r.headers["X-Checksum-Sha256"] == digest

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    for phrase in ("借款合同", "人民币壹拾万元整", "等额本息", "第1页", "受托支付" if app["payment_mode"] == "entrusted" else "自主支付",
                   "6228480012345671", app["contract_no"], app["applicant"]["id_number"], "借款借据"):
        assert phrase in flat, phrase
    loan = api.get(f"/loans/{app['loan_id']}", "manager1").get_json()
    for row in loan["schedule"]:
        cells = [str(row["period"]), row["due_date"], f"{float(row['principal']):,.2f}", f"{float(row['interest']):,.2f}",
                 f"{float(row['total']):,.2f}"]
        assert "".join(cells) in flat, row
    assert "签署记录：manager1" in flat  # who signed in person, not who disbursed
    signed = [e for e in api.get(f"/applications/{app_id}/history", "auditor1").get_json()["events"]
              if e["type"] == "contract_signed"]
    assert [(e["actor"], e["data"]["place"]) for e in signed] == [("manager1", "城关支行")]
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert f"第{pages}页共{pages}页" in flat

    if shutil.which("pdftoppm"):
        (tmp_path / "c.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(tmp_path / "c.pdf"), str(tmp_path / "page")], check=True)
        SHOTS.mkdir(parents=True, exist_ok=True)
        for png in sorted(tmp_path.glob("page-*.png"))[:4]:
            shutil.copy(png, SHOTS / f"contract-{png.stem}.png")


def test_every_character_of_the_contract_reaches_the_pdf(container):
    """No glyph silently dropped: each character of the rendered HTML's text is in the PDF's text."""
    from html.parser import HTMLParser

    from credit import contract_templates, contracts
    from webapp.pdf import html_to_pdf

    with container.uow() as uow:
        sources = {k: t.source for k, t in contract_templates.active(uow.session).items()}
    html = contract_templates.render_html(sources, contracts.ENTRY, contracts.sample_context())

    class Text(HTMLParser):
        def __init__(self):
            super().__init__()
            self.chunks, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            self.skip += tag in ("style", "title")

        def handle_endtag(self, tag):
            self.skip -= tag in ("style", "title")

        def handle_data(self, data):
            if not self.skip:
                self.chunks.append(data)

    parser = Text()
    parser.feed(html)
    wanted = set(re.sub(r"\s+", "", "".join(parser.chunks)))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(html_to_pdf(html))).pages)
    missing = wanted - set(text)
    assert missing == set(), f"characters missing from the PDF: {''.join(sorted(missing))}"
    assert "样本" in text  # the preview watermark


def test_a_rare_character_in_a_name_still_reaches_the_pdf(container):
    """The prepared font covers GB 2312; a name beyond it falls back to the full font, not to a blank."""
    from credit import contract_templates, contracts
    from webapp.pdf import html_to_pdf

    ctx = contracts.sample_context(term_months=36)
    ctx["borrower"] = {**ctx["borrower"], "name": "王喆堃"}  # 喆 and 堃 are outside GB 2312
    with container.uow() as uow:
        sources = {k: t.source for k, t in contract_templates.active(uow.session).items()}
    pdf = html_to_pdf(contract_templates.render_html(sources, contracts.ENTRY, ctx))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "王喆堃" in text
    assert len(pdf) < 300 * 1024  # the fallback font is cut to the glyphs used, not embedded whole


def test_signature_blocks_never_split_across_pages(container):
    """Longer and longer purposes push the signature block over every point of a page break;
    it always moves whole to the next page."""
    from credit import contract_templates, contracts
    from webapp.pdf import html_to_pdf

    with container.uow() as uow:
        sources = {k: t.source for k, t in contract_templates.active(uow.session).items()}
    ctx = contracts.sample_context()
    ctx["documents"] = ["loan_contract"]
    starts = set()
    for extra in range(0, 400, 16):
        ctx["loan"] = {**ctx["loan"], "purpose": "家庭装修" + "及购置家具家电" * (extra // 7) + "用" * (extra % 7)}
        pages = [re.sub(r"\s+", "", p.extract_text())
                 for p in PdfReader(io.BytesIO(html_to_pdf(contract_templates.render_html(sources, contracts.ENTRY, ctx)))).pages]
        holding = {i for i, text in enumerate(pages) for part in ("贷款人（公章）", "负责人或授权代理人", "日期：", "借款人（签字）")
                   if part in text}
        assert len(holding) == 1, f"purpose {extra} characters longer: signature block split over pages {sorted(holding)}"
        starts |= holding
    assert len(starts) >= 2  # the sweep really pushed the block onto another page
