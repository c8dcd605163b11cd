"""What a rendered contract may contain: the rules checked on the HTML a template produced.

The template source is checked too (credit.contract_templates, with lines), but output marked
`|safe`, a macro's Markup or an `{% autoescape false %}` block only exists once rendered; so the
rendered document is parsed with tinyhtml5, the parser WeasyPrint itself uses (no parser
disagreement: what is checked is what would be laid out), and every element, attribute and
piece of CSS in it is held to these rules. The PDF adapter runs the same check on the very tree
WeasyPrint parsed before laying it out.

URLs: a contract needs none. Its font and stylesheet come from the PDF adapter, never from a
template; the only URL a template may hold is an inline raster image (a seal, a logo) as a
`data:image/png|jpeg|gif` URL, which reaches neither the disk nor the network.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from xml.etree import ElementTree

import tinycss2
import tinyhtml5

# What the contract stylesheet (webapp/contract_ua.css) knows how to lay out; anything else
# would print unstyled, or fetch, or embed: refused, with its line where the source shows it.
ALLOWED_ELEMENTS = frozenset("""
    html head meta title style body section article header footer div p h1 h2 h3 h4 span b strong i em u s
    small sub sup br hr ol ul li table caption colgroup col thead tbody tfoot tr th td img
""".split())
# Attributes the contract stylesheet and WeasyPrint use harmlessly; nothing that names a URL
# other than <img src>, nothing that runs code (on*), no <meta http-equiv>.
GLOBAL_ATTRIBUTES = frozenset({"class", "id", "lang", "dir", "title", "style"})
ELEMENT_ATTRIBUTES = {
    "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}, "col": {"span"}, "colgroup": {"span"},
    "img": {"src", "alt", "width", "height"}, "meta": {"charset", "name", "content"},
    "ol": {"start", "type"}, "li": {"value"},
}
DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif)(;base64)?,", re.I)
# CSS functions whose string argument is fetched as a URL by WeasyPrint or by CSS in general.
URL_FUNCTIONS = frozenset({"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade", "element"})
REFUSED_AT_RULES = {"import": "the contract stylesheet is already applied",
                    "font-face": "fonts come from the contract stylesheet",
                    "namespace": "contracts are HTML"}


def allowed_url(url: str) -> bool:
    return bool(DATA_IMAGE.match(url.strip()))


def url_problem(url: str) -> str:
    shown = url.strip()
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return (f"URL '{shown}' is refused: contract templates may embed only PNG, JPEG or GIF images inline, "
            f"never files or network addresses")


_NEEDLES = [
    (re.compile(r"element <(.+?)> "), lambda m: rf"<\s*/?{re.escape(m[1])}(?![\w-])"),
    (re.compile(r"attribute '(.+?)' of "), lambda m: rf"(?<![\w-]){re.escape(m[1])}(?![\w-])"),
    (re.compile(r"URL '(.+?)(?:\.\.\.)?' is refused"), lambda m: re.escape(m[1])),
    (re.compile(r"@([\w-]+) is not supported"), lambda m: rf"@{re.escape(m[1])}"),
    (re.compile(r"resource '(.+?)(?:\.\.\.)?' refused"), lambda m: re.escape(m[1])),
]


def needle(message: str) -> re.Pattern:
    """What to look for in a template to find where one of these problems was written."""
    for pattern, make in _NEEDLES:
        found = pattern.match(message)
        if found:
            return re.compile(make(found), re.I)
    return re.compile(r"(?!)")


def check_html(html: str) -> list[str]:
    """Problems of a rendered document (or fragment), parsed as WeasyPrint parses it."""
    return check_tree(tinyhtml5.parse(html, namespace_html_elements=False))


def check_tree(root: ElementTree.Element) -> list[str]:
    """Problems of a parsed document: forbidden elements, attributes, URLs and at-rules, each once."""
    problems: dict[str, None] = {}
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):  # comments and processing instructions: never rendered
            continue
        name = tag.rsplit("}", 1)[-1].lower()  # an <svg> or <math> element comes namespaced
        if tag != name or name not in ALLOWED_ELEMENTS:
            problems[f"element <{name}> is not supported in contract templates"] = None
            continue
        allowed = ELEMENT_ATTRIBUTES.get(name, ())
        for attribute, value in element.attrib.items():
            if attribute not in GLOBAL_ATTRIBUTES and attribute not in allowed:
                shown = attribute.rsplit("}", 1)[-1]
                problems[f"attribute '{shown}' of <{name}> is not supported in contract templates"] = None
            elif attribute == "style":
                problems.update(dict.fromkeys(check_css(value)))
            elif attribute == "src" and not allowed_url(value):
                problems[url_problem(value)] = None
        if name == "style":
            problems.update(dict.fromkeys(check_css("".join(element.itertext()))))
    return list(problems)


def check_css(text: str) -> list[str]:
    """Problems of a stylesheet or a style attribute, tokenised by tinycss2 as WeasyPrint does
    (so an escaped `u\\72l(` or `@\\69mport` is seen for what it is)."""
    problems: dict[str, None] = {}
    _walk(tinycss2.parse_component_value_list(text), problems, None)
    return list(problems)


def _walk(tokens: Iterable, problems: dict[str, None], function: str | None) -> None:
    for token in tokens:
        kind = token.type
        if kind == "url" or (kind == "string" and function in URL_FUNCTIONS):
            if not allowed_url(token.value):
                problems[url_problem(token.value)] = None
        elif kind == "at-keyword" and token.lower_value in REFUSED_AT_RULES:
            problems[f"@{token.lower_value} is not supported in contract templates: "
                     f"{REFUSED_AT_RULES[token.lower_value]}"] = None
        elif kind == "function":
            _walk(token.arguments, problems, token.lower_name)
        elif kind in ("() block", "[] block", "{} block"):
            _walk(token.content, problems, function if kind == "() block" else None)
