"""The contract renderer's cut-down user-agent stylesheet lays out every element a template may
use exactly as WeasyPrint's own sheet does, and the renderer really uses it."""
import re

import pytest
from weasyprint import CSS, HTML
from weasyprint.css import get_all_computed_styles
from weasyprint.text.fonts import FontConfiguration

from credit.contract_templates import ALLOWED_ELEMENTS
from webapp import pdf

SAMPLE = """<!doctype html><html><head><meta charset="utf-8"><title>t</title><style>p { color: #111 }</style></head>
<body><section><article><header><h1>一</h1><h2>二</h2><h3>三</h3><h4>四</h4></header>
<div><p>正文<span>甲</span><b>乙</b><strong>丙</strong><i>丁</i><em>戊</em><u>己</u><s>庚</s><small>辛</small>
<sub>壬</sub><sup>癸</sup><br><img alt="印章"></p><hr>
<ol><li>一<ul><li>二<ul><li>三</li></ul></li></ul></li></ol>
<table><caption>表</caption><colgroup><col></colgroup><thead><tr><th>头</th></tr></thead>
<tbody><tr><td>格</td></tr></tbody><tfoot><tr><td>脚</td></tr></tfoot></table></div>
<footer>尾</footer></article></section></body></html>"""

PROPERTIES = ("display", "margin_top", "margin_bottom", "margin_left", "margin_right", "padding_top", "padding_left",
              "font_weight", "font_style", "font_size", "line_height", "text_decoration_line", "vertical_align",
              "list_style_type", "border_collapse", "border_spacing", "border_top_style", "border_top_width",
              "text_indent", "white_space", "break_after", "break_before", "break_inside", "bookmark_level",
              "overflow", "counter_reset", "box_sizing", "hyphens")


def computed(ua_sheets):
    class Probe(HTML):
        def _ua_stylesheets(self, forms=False):
            return ua_sheets if ua_sheets is not None else super()._ua_stylesheets(forms)

    html = Probe(string=SAMPLE)
    style_for = get_all_computed_styles(html)
    styles = {}
    for element in html.wrapper_element.iter_subtree():
        style = style_for(element.etree_element)
        if style is not None:
            styles.setdefault(element.etree_element.tag, []).append(tuple((p, repr(style[p])) for p in PROPERTIES))
    return styles


def test_the_sample_uses_every_allowed_element():
    assert set(re.findall(r"<([a-z][a-z0-9]*)", SAMPLE)) == set(ALLOWED_ELEMENTS)


def test_each_allowed_element_computes_as_under_weasyprints_own_sheet():
    ours = CSS(filename=str(pdf.UA_STYLESHEET), font_config=FontConfiguration())
    theirs, mine = computed(None), computed([ours])
    differences = {tag: (theirs.get(tag), mine.get(tag)) for tag in set(theirs) | set(mine)
                   if theirs.get(tag) != mine.get(tag)}
    assert differences == {}


@pytest.mark.parametrize("markup", ["<p>借款</p>"])
def test_the_contract_renderer_uses_its_own_sheet(monkeypatch, markup):
    renderer = pdf._ready()["html"]
    calls = []
    original = renderer._ua_stylesheets
    monkeypatch.setattr(renderer, "_ua_stylesheets", lambda self, forms=False: calls.append(forms) or original(self, forms))
    assert pdf.html_to_pdf(markup).startswith(b"%PDF")
    assert calls, "WeasyPrint no longer asks HTML._ua_stylesheets: contracts would fall back to its full sheet"
