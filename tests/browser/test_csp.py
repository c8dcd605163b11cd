"""The Content-Security-Policy is in force in a real browser, and still lets the workbench (htmx, our
JS) and the bpmn-js viewer run when they are served from our own origin."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
VIOLATIONS = """() => { window.__csp = []; document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)); }"""


def test_bpmn_js_renders_under_our_csp_and_inline_script_is_refused(browser, live_server):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(f"{live_server}/login")
    page.evaluate(VIOLATIONS)
    page.add_style_tag(url=f"{live_server}/vendor/bpmn-js/assets/bpmn-js.css")
    page.add_script_tag(url=f"{live_server}/vendor/bpmn-js/bpmn-viewer.production.min.js")
    drawn = page.evaluate("""async (xml) => {
        const div = document.createElement('div'); div.style.width = '1000px'; div.style.height = '600px';
        document.body.appendChild(div);
        const viewer = new BpmnJS({container: div});
        const {warnings} = await viewer.importXML(xml);
        viewer.get('canvas').zoom('fit-viewport');
        return {warnings: warnings.length, shapes: viewer.get('elementRegistry').getAll().length};
    }""", (ROOT / "processes" / "approval.bpmn").read_text())
    assert drawn["warnings"] == 0 and drawn["shapes"] > 10
    assert page.evaluate("window.__csp") == []
    try:  # an inline script is what the policy exists to stop
        page.add_script_tag(content="window.__injected = true;")
    except Exception:
        pass
    assert page.evaluate("window.__injected === undefined")
    assert any(v.startswith("script-src") for v in page.evaluate("window.__csp"))
    page.close()


def test_the_workbench_runs_under_our_csp(browser, live_server):
    page = browser.new_page()
    refused = []  # Chromium reports every CSP refusal on the console, from the first byte of each page
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "manager1")
    page.fill("input[name=password]", "demo123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/inbox**")
    page.evaluate(VIOLATIONS)
    assert page.evaluate("typeof htmx") == "object"  # /vendor/htmx.min.js loaded and ran
    page.goto(f"{live_server}/applications/new")
    page.evaluate(VIOLATIONS)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("window.__csp") == []
    page.goto(f"{live_server}/inbox?tab=queue")
    page.wait_for_load_state("networkidle")
    assert refused == []
    page.close()
