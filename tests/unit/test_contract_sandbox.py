"""A process designer's template cannot run code, read secrets, or smuggle markup into a contract:
Jinja2 renders it sandboxed, and what it renders is held to the contract rules after rendering too."""
import os
import uuid

import jinja2
import pytest
from jinja2.sandbox import SecurityError

from credit import contract_templates, contracts
from webapp.bootstrap import TEMPLATES_DIR
from webapp.pdf import RenderRefused, html_to_pdf

SOURCES = {p.stem: p.read_text() for p in TEMPLATES_DIR.glob("*.html")}
LOAN = SOURCES["loan_contract"]
LINE = LOAN.splitlines().index("<h2>第二条 借款利率</h2>") + 1  # where each payload is put
OTHERS = {k: v for k, v in SOURCES.items() if k != "loan_contract"}


def with_payload(payload: str) -> str:
    return LOAN.replace("<h2>第二条 借款利率</h2>", f"<p>{payload}</p><h2>第二条 借款利率</h2>")


def validate(source: str):
    return contract_templates.validate("loan_contract", source, OTHERS, contracts.sample_context())


def render(source: str) -> str:
    """What disbursement does with the active set: no validation first, just the (cached) environment."""
    return contract_templates.render_html({**SOURCES, "loan_contract": source}, contracts.ENTRY,
                                          contracts.sample_context())


# Each reaches os (to run a command) or os.environ (a secret) from a plain jinja2.Environment.
ESCAPES = {
    "cycler": "{{ cycler.__init__.__globals__.os.popen('touch {mark}').read() }}",
    "joiner": "{{ joiner.__init__.__globals__.os.popen('touch {mark}').read() }}",
    "namespace": "{{ namespace.__init__.__globals__.os.popen('touch {mark}').read() }}",
    "lipsum": "{{ lipsum.__globals__['os'].popen('touch {mark}').read() }}",
    "self": "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('touch {mark}').read() }}",
    "attr filter": "{{ (cycler|attr('__init__')|attr('__globals__'))['os'].popen('touch {mark}').read() }}",
    "str mro": "{{ ''.__class__.__mro__[1].__subclasses__() }}{{ namespace.__init__.__globals__.os.environ }}",
    "tuple bases": "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "x.__init__.__globals__": "{% macro x() %}{% endmacro %}"
                              "{{ x.__init__.__globals__.__builtins__.__import__('os').popen('touch {mark}').read() }}",
    "range mro": "{{ range.__mro__[1].__subclasses__() }}",
    # Under the sandbox, range is a Python function (jinja2.sandbox.safe_range) with globals of its own.
    "range globals": "{{ range.__globals__.__builtins__.__import__('os').popen('touch {mark}').read() }}",
    "str.format walk": "{{ '{0.__init__.__globals__[os].environ}'.format(cycler) }}",
    "str.format class": "{{ '{0.__class__.__mro__}'.format(bank.name) }}",
    "format_map": "{{ '{x.__init__.__globals__[os].environ}'.format_map({'x': joiner}) }}",
}


@pytest.fixture
def secret(monkeypatch):
    value = f"s3cret-{uuid.uuid4().hex}"
    monkeypatch.setenv("CREDITFACTORY_TEST_SECRET", value)
    return value


@pytest.mark.parametrize("name", ESCAPES)
def test_jinja_escapes_are_refused_with_their_line_and_reach_nothing(name, tmp_path, secret):
    mark = tmp_path / "ran"
    source = with_payload(ESCAPES[name].replace("{mark}", str(mark)))
    problems = validate(source)
    assert problems and problems[0].line == LINE and problems[0].file == "loan_contract.html", problems
    assert "refused by the template sandbox" in problems[0].message
    assert not any(secret in p.message for p in problems)
    # The same text reaching the renderer directly (as an already deployed set would at disbursement):
    # the sandbox itself refuses, whatever validation did (a chain of |attr ends as undefined instead).
    with pytest.raises((SecurityError, jinja2.UndefinedError)):
        render(source)
    assert not mark.exists()
    assert secret in os.environ["CREDITFACTORY_TEST_SECRET"]  # the secret was there to be read


def test_a_sandbox_refusal_in_a_branch_the_sample_does_not_take_is_still_refused_at_deploy():
    problems = validate(with_payload("{% if not sample %}{{ cycler.__init__.__globals__ }}{% endif %}"))
    assert [(p.line, p.message) for p in problems] == [
        (LINE, "refused by the template sandbox: attribute '__globals__' is private"),
        (LINE, "refused by the template sandbox: attribute '__init__' is private")]


def test_runtime_errors_are_located_refusals_not_crashes():
    for payload in ("{{ 1 / 0 }}", "{{ range(10 ** 9) }}", "{{ '%d' | format('x') }}"):
        problems = validate(with_payload(payload))
        assert len(problems) == 1 and problems[0].line == LINE, (payload, problems)


# Markup a template brings in after the source check has looked: |safe, Markup from a macro,
# an autoescape-off block, a tag split over two expressions.
SMUGGLED = {
    "script": ("{{ '<script>alert(1)</script>'|safe }}", "element <script>"),
    "iframe": ("{{ '<iframe src=\"file:///etc/passwd\"></iframe>'|safe }}", "element <iframe>"),
    "object": ("{{ '<object data=\"file:///etc/passwd\"></object>'|safe }}", "element <object>"),
    "link": ("{{ '<link rel=\"stylesheet\" href=\"file:///etc/passwd\">'|safe }}", "element <link>"),
    "a href": ("{{ '<a href=\"http://127.0.0.1:1/\">x</a>'|safe }}", "element <a>"),
    "svg": ("{{ '<svg><image href=\"file:///etc/passwd\"/></svg>'|safe }}", "element <svg>"),
    "onload": ("{{ '<span onload=\"x()\">x</span>'|safe }}", "attribute 'onload' of <span>"),
    "style import": ("{{ '<style>@import url(file:///etc/passwd);</style>'|safe }}", "@import"),
    "escaped import": ("{{ '<style>@\\\\69mport \"file:///etc/passwd\";</style>'|safe }}", "@import"),
    "style url": ("{{ '<span style=\"background:url(http://127.0.0.1:1/x)\">x</span>'|safe }}",
                  "URL 'http://127.0.0.1:1/x'"),
    "escaped url": ("{{ '<span style=\"background:u\\\\72l(file:///etc/passwd)\">x</span>'|safe }}",
                    "URL 'file:///etc/passwd'"),
    "img file": ("{{ '<img src=\"file:///etc/passwd\">'|safe }}", "URL 'file:///etc/passwd'"),
    "font-face": ("{{ '<style>@font-face { font-family: x; src: local(Arial) }</style>'|safe }}", "@font-face"),
    "markup macro": ("{% macro m() %}{{ '<script>'|safe }}{% endmacro %}{{ m() }}", "element <script>"),
    "autoescape off": ("{% autoescape false %}{{ '<script>x</script>' }}{% endautoescape %}", "element <script>"),
    "split tag": ("{{ '<scr'|safe }}{{ 'ipt>x</script>'|safe }}", "element <script>"),
}


@pytest.mark.parametrize("name", SMUGGLED)
def test_markup_smuggled_past_escaping_is_refused_with_its_line(name):
    payload, expected = SMUGGLED[name]
    source = with_payload(payload)
    problems = validate(source)
    assert problems, "the rendered contract was let through"
    assert any(p.message.startswith(expected) and p.line == LINE for p in problems), problems
    # The PDF adapter refuses the same rendered HTML: an already deployed set cannot print it either.
    with pytest.raises(RenderRefused) as refused:
        html_to_pdf(render(source))
    assert any(p.startswith(expected) for p in refused.value.problems)


def test_static_attributes_outside_the_allow_list_are_refused_with_their_line():
    source = LOAN.replace("<h2>第二条 借款利率</h2>", '<h2 onclick="x()"\n  data-x=1>第二条 借款利率</h2>')
    assert [(p.line, p.message) for p in validate(source)] == [
        (LINE, "attribute 'onclick' of <h2> is not supported in contract templates"),
        (LINE + 1, "attribute 'data-x' of <h2> is not supported in contract templates")]


def test_what_the_real_templates_use_stays_allowed():
    """Every element and attribute of contract_templates/ passes, and an inline PNG (a seal) is fine."""
    seal = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    for name, source in SOURCES.items():
        assert contract_templates.validate(name, source, {k: v for k, v in SOURCES.items() if k != name},
                                           contracts.sample_context()) == [], name
    assert validate(with_payload(f'<img src="{seal}" alt="印章" class="seal">')) == []
    assert validate(with_payload('<span style="color: #333; border: .6pt solid #444">x</span>')) == []
    assert isinstance(contract_templates.environment({}), jinja2.sandbox.ImmutableSandboxedEnvironment)
