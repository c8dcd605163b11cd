"""A contract fetches nothing it should not: no local file ends up in the PDF and no request leaves
for another host, whether a template asks through <img>, <link>, @import, url() or an attachment.
Each vector is tried at three layers: the designer's preview (a located refusal), the PDF adapter
on rendered HTML (refused before layout), and WeasyPrint with only our URL fetcher (nothing read)."""
import io
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import weasyprint
from pypdf import PdfReader

from tests.e2e.test_contract_templates import LOAN, upload
from tests.e2e.test_ruyi_via_api import submission

ANCHOR = "<h2>第二条 借款利率</h2>"
LINE = LOAN.splitlines().index(ANCHOR) + 1


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that notes every request it gets."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"h1::after { content: 'FETCHED' }")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_files(tmp_path):
    """Local files whose content, if read, would show in the PDF's text or its embedded files."""
    marker = f"SECRET{uuid.uuid4().hex}"
    (tmp_path / "secret.txt").write_text(marker)
    (tmp_path / "secret.css").write_text(f'h1::after {{ content: "{marker}" }}')
    (tmp_path / "secret.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="30">'
                                         f'<text x="0" y="20">{marker}</text></svg>')
    return marker, {name: (tmp_path / name).as_uri() for name in ("secret.txt", "secret.css", "secret.svg")}


VECTORS = {
    "img http": '<img src="{http}/img.png">',
    "img file": '<img src="{secret.svg}">',
    "link stylesheet http": '<link rel="stylesheet" href="{http}/style.css">',
    "link stylesheet file": '<link rel="stylesheet" href="{secret.css}">',
    "link attachment": '<link rel="attachment" href="{secret.txt}">',
    "a attachment": '<a rel="attachment" href="{secret.txt}">附件</a>',
    "@import http": "<style>@import url({http}/import.css);</style>",
    "@import file": '<style>@import "{secret.css}";</style>',
    "url() http in style attribute": '<span style="background-image: url({http}/bg.png)">x</span>',
    "url() file in style element": '<style>h1::before {{ content: url("{secret.svg}") }}</style>',
}


def vector(name, http, files) -> str:
    text = VECTORS[name].replace("{http}", http)
    for file, uri in files.items():
        text = text.replace("{" + file + "}", uri)
    return text.replace("{{", "{").replace("}}", "}")


def leaked(pdf: bytes, marker: str) -> list[str]:
    """Where the marker shows in a PDF: its text, its raw bytes, its embedded files, any decoded stream."""
    reader = PdfReader(io.BytesIO(pdf))
    where = []
    if marker in "".join(page.extract_text() for page in reader.pages):
        where.append("text")
    if marker.encode() in pdf:
        where.append("bytes")
    if any(marker.encode() in data for datas in reader.attachments.values() for data in datas):
        where.append("attachments")
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
            data = obj.get_data() if hasattr(obj, "get_data") else b""
        except Exception:  # noqa: BLE001, S112  (free or odd objects)
            continue
        if marker.encode() in data:
            where.append(f"stream {number}")
    return where


def test_the_probes_see_a_leak_when_there_is_one(listener, secret_files):
    """Control: WeasyPrint's own fetcher (what contracts used before) lets each probe's target through,
    so the listener and the marker checks below do catch a leak."""
    http, requests = listener
    marker, files = secret_files
    html = "<h1>合同</h1>" + "".join(vector(n, http, files) for n in VECTORS)
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert len(requests) == 4 and leaked(pdf, marker)


@pytest.mark.parametrize("name", VECTORS)
def test_nothing_is_fetched_at_preview_at_render_nor_by_the_fetcher(name, api, container, listener, secret_files):
    from credit import contract_templates, contracts
    from webapp import pdf

    http, requests = listener
    marker, files = secret_files
    evil = vector(name, http, files)

    # 1. The designer's preview: a refusal with the line, not a PDF.
    quoted = evil.replace("'", "\\'")
    preview = upload(api, "loan_contract.html", LOAN.replace(ANCHOR, f"{{{{ '{quoted}'|safe }}}}{ANCHOR}"),
                     path="/contract-templates/preview")
    assert preview.status_code == 422, preview.data[:200]
    assert any(p["line"] == LINE for p in preview.get_json()["problems"]), preview.get_json()

    # 2. The PDF adapter, given rendered HTML that holds the vector (as a deployed set could at disbursement).
    with container.uow() as uow:
        sources = {k: t.source for k, t in contract_templates.active(uow.session).items()}
    html = contract_templates.render_html(sources, contracts.ENTRY, contracts.sample_context()).replace(ANCHOR, evil + ANCHOR)
    with pytest.raises(pdf.RenderRefused):
        pdf.html_to_pdf(html)

    # 3. WeasyPrint with nothing but our fetcher (the element and CSS rules bypassed): it reads nothing.
    fetcher = pdf._Fetcher(pdf.own_assets())
    laid_out = weasyprint.HTML(string=f"<h1>合同</h1>{evil}", url_fetcher=fetcher).write_pdf()
    assert leaked(laid_out, marker) == []
    assert fetcher.refused and all("refused" in r for r in fetcher.refused)

    assert requests == []


def test_the_fetcher_serves_only_the_contracts_own_font_and_stylesheets_and_small_raster_images(tmp_path):
    from PIL import Image

    from webapp import fonts, pdf

    fetcher = pdf._Fetcher(pdf.own_assets())
    assert fetcher(fonts.prepared().as_uri()).read()[:4] in (b"OTTO", b"\x00\x01\x00\x00")
    assert b"display" in fetcher(pdf.UA_STYLESHEET.resolve().as_uri()).read()
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    import base64

    seal = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    assert fetcher(seal).read() == png.getvalue()
    assert len(pdf.html_to_pdf(f'<p>印章<img src="{seal}" alt="印章"></p>')) > 0  # a seal image prints
    (tmp_path / "x.css").write_text("p {}")
    refused = [(tmp_path / "x.css").as_uri(), "file:///etc/passwd", fonts.prepared().parent.as_uri() + "/../../README.md",
               "data:text/css,p{}", "data:image/svg+xml,<svg/>", "data:image/png;base64,PHN2Zy8+",  # SVG passed off as PNG
               "https://127.0.0.1/", "ftp://127.0.0.1/x", "gopher://x/", "jar:file:///x!/y", "//127.0.0.1/x", "x.css"]
    for url in refused:
        with pytest.raises(PermissionError):
            fetcher(url)
    assert len(fetcher.refused) == len(refused)


def _to_disbursement_check(api, seq):
    app_id = api.post("/applications", "manager1", json=submission(seq)).get_json()["id"]
    api.complete("investigator1", api.my_task("investigator1", app_id, "investigate")["id"],
                 {"site_rating": "good", "annual_income": "120000.00", "guarantee": "credit", "findings": "收入稳定"})
    api.complete("investigator2", api.my_task("investigator2", app_id, "cosign")["id"], {"agree": True})
    api.complete("approver1", api.my_task("approver1", app_id, "approve")["id"], {"decision": "approve"})
    api.complete("manager1", api.my_task("manager1", app_id, "sign_contract")["id"], {"signed": True, "signing_place": "城关支行"})
    return app_id, api.my_task("disburser1", app_id, "disbursement_check")


@pytest.mark.parametrize("payload", [
    "{{ '{0.__class__.__mro__}'.format(bank.name) }}",  # the sandbox refuses it at render
    "{{ '<img src=\"HTTP/seal.png\">'|safe }}",  # the rendered-HTML check refuses it before layout
])
def test_a_template_that_fails_only_on_real_data_fails_the_disbursement_and_changes_nothing(api, listener, payload):
    http, requests = listener
    # Validation renders sample data (sample is true), so this branch is only taken at disbursement.
    sneaky = LOAN.replace(ANCHOR, "{% if not sample %}" + payload.replace("HTTP", http) + "{% endif %}" + ANCHOR)
    assert upload(api, "loan_contract.html", sneaky).status_code == 201
    app_id, task = _to_disbursement_check(api, 7)
    before = api.get(f"/applications/{app_id}", "manager1").get_json()
    r = api.post(f"/tasks/{task['id']}/complete", "disburser1",
                 json={"data": {"passed": True, "account_no": "6228480012345671"}})
    assert r.status_code == 422 and r.get_json()["error"] == "process_failed", r.get_json()
    assert api.get(f"/applications/{app_id}", "manager1").get_json() == before  # no loan, status as it was
    assert api.get(f"/applications/{app_id}/contract.pdf", "manager1").status_code == 404
    assert api.my_task("disburser1", app_id, "disbursement_check")["id"] == task["id"]  # still to do
    assert requests == []

    assert upload(api, "loan_contract.html", LOAN).status_code == 201  # the designer fixes it; disbursement goes on
    api.complete("disburser1", task["id"], {"passed": True, "account_no": "6228480012345671"})
    assert api.get(f"/applications/{app_id}", "manager1").get_json()["status"] == "disbursed"


def test_the_designers_page_says_what_was_refused_and_where_in_chinese(app, api):
    from tests.helpers import ui_login

    client = app.test_client()
    token = ui_login(client, "designer1")
    for payload, said in [("{{ cycler.__init__ }}", "被模板沙箱拒绝"),
                          ("{{ '{0.__class__}'.format(bank) }}", "被模板沙箱拒绝"),
                          ("{{ '<script>x</script>'|safe }}", "合同模板不支持 &lt;script&gt; 元素"),
                          ("{{ '<b onload=\"x\">x</b>'|safe }}", "合同模板不支持 &lt;b&gt; 元素的 &#39;onload&#39; 属性"),
                          ("<span style=\"background: url(file:///etc/passwd)\">x</span>", "拒绝 URL &#39;file:///etc/passwd&#39;"),
                          ("{{ '<style>@import \"x.css\";</style>'|safe }}", "合同模板不支持 @import 规则")]:
        for action in ("preview", "deploy"):
            r = client.post("/contract-templates/loan_contract",
                            data={"csrf_token": token, "action": action, "source": LOAN.replace(ANCHOR, payload + ANCHOR)})
            text = r.get_data(as_text=True)
            assert r.status_code == 422, (payload, action, r.status_code)
            assert f"第 {LINE} 行" in text and said in text, (payload, action)
