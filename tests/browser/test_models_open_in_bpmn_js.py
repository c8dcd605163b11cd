"""Every BPMN model opens in bpmn-js (the modeler designers use) without a warning,
with every flow node drawn; screenshots go to docs/screenshots/ for people to look at."""
import pathlib

import pytest
from lxml import etree

ROOT = pathlib.Path(__file__).resolve().parents[2]
VIEWER = ROOT / "node_modules/bpmn-js/dist/bpmn-viewer.production.min.js"
SHOTS = ROOT / "docs/screenshots"
MODELS = sorted((ROOT / "processes").glob("*.bpmn"))
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.stem)
def test_model_opens_and_every_node_is_drawn(browser, model):
    if not VIEWER.exists():
        pytest.fail("node_modules missing: `make test` runs npm ci")
    root = etree.fromstring(model.read_bytes())
    nodes = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.tag.startswith(BPMN)
             and el.getparent() is not None and el.getparent().tag == f"{BPMN}process"
             and el.tag not in (f"{BPMN}sequenceFlow", f"{BPMN}laneSet", f"{BPMN}documentation", f"{BPMN}extensionElements")}
    page = browser.new_page(viewport={"width": 1900, "height": 900})
    page.set_content('<html><body style="margin:0"><div id="canvas" style="width:1900px;height:900px"></div></body></html>')
    page.add_style_tag(path=str(ROOT / "node_modules/bpmn-js/dist/assets/bpmn-js.css"))
    page.add_script_tag(path=str(VIEWER))
    result = page.evaluate("""async (xml) => {
        const viewer = new BpmnJS({container: '#canvas'});
        const {warnings} = await viewer.importXML(xml);
        viewer.get('canvas').zoom('fit-viewport');
        const drawn = viewer.get('elementRegistry').getAll().map(e => e.id);
        return {warnings: warnings.map(w => w.message), drawn};
    }""", model.read_text())
    assert result["warnings"] == []
    assert nodes <= set(result["drawn"]), nodes - set(result["drawn"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"process-{model.stem}.png"))
    page.close()
