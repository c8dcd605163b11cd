"""Contract templates, versioned like models: validated (syntax and undefined variables, with
the line), previewed with sample data, deployed as immutable numbered versions.

A template is written by a process designer, not by a programmer we trust with the server: it
is rendered in Jinja2's ImmutableSandboxedEnvironment (no `__class__` walks, no `str.format`
attribute walks, no mutating builtins), and what it renders is held to credit.contract_markup's
rules (elements, attributes, CSS, URLs) whatever `|safe` let through."""
from __future__ import annotations

import functools
import hashlib
import re
import sys
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import jinja2
import markupsafe
from jinja2 import nodes
from jinja2.sandbox import SecurityError
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import contract_markup
from . import documents  # noqa: F401  (document_blob, which contracts point at)
from .contract_markup import ALLOWED_ELEMENTS
from .models import CreditBase
from .template_sandbox import BoundedSandbox

MAX_TEMPLATE_BYTES = 256 * 1024
_NOT_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<!--.*?-->", re.S)
_TAG = re.compile(r"<(?!!)/?([A-Za-z][A-Za-z0-9-]*)")
_ATTRIBUTE = re.compile(r"""[\s/]*([^\s"'>/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
JINJA_GLOBALS = {"range", "loop", "dict", "lipsum", "cycler", "joiner", "namespace", "self", "super", "varargs", "kwargs"}


class ContractTemplate(CreditBase):
    __tablename__ = "contract_template"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime]


class Contract(CreditBase):
    """The rendered contract of an application: stored once, by hash, with the template versions used."""

    __tablename__ = "contract"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), unique=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("document_blob.sha256"))  # the PDF, in the document store
    size: Mapped[int]
    template_versions: Mapped[dict[str, Any]]
    rendered_at: Mapped[datetime]


@dataclass(frozen=True)
class TemplateProblem:
    file: str
    line: int | None
    message: str

    def as_dict(self) -> dict:
        return {"file": self.file, "element": None, "line": self.line, "message": self.message}


class TemplateRefused(ValueError):
    def __init__(self, problems: list[TemplateProblem]):
        super().__init__("; ".join(f"{p.file}:{p.line or '-'} {p.message}" for p in problems))
        self.problems = problems


def valid_name(name: str) -> bool:
    """Template names are file stems: letters, digits and underscores, as Jinja includes them."""
    return bool(re.fullmatch(r"[A-Za-z0-9_]{1,64}", name))


def versions(session: Session, name: str) -> list[ContractTemplate]:
    return list(session.scalars(select(ContractTemplate).where(ContractTemplate.name == name)
                                .order_by(ContractTemplate.version.desc())))


def active(session: Session) -> dict[str, ContractTemplate]:
    newest = select(ContractTemplate.name, func.max(ContractTemplate.version).label("v")).group_by(ContractTemplate.name).subquery()
    rows = session.scalars(select(ContractTemplate).join(
        newest, (ContractTemplate.name == newest.c.name) & (ContractTemplate.version == newest.c.v)))
    return {t.name: t for t in rows}


def environment(sources: dict[str, str], finalize: Callable | None = None) -> jinja2.Environment:
    files = {f"{k}.html": v for k, v in sources.items()}

    def load(name: str):
        # Returning the name as the file name puts it in tracebacks, so errors can name their line.
        return (files[name], name, lambda: True) if name in files else None

    return BoundedSandbox(loader=jinja2.FunctionLoader(load), undefined=jinja2.StrictUndefined,
                          autoescape=True, finalize=finalize)


class _RawOutputs:
    """Validation's finalize hook: notes each `{{ }}` whose text goes out unescaped (Markup, or an
    `{% autoescape false %}` block) with its template and line, to say where a forbidden element came from."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int, str]] = []

    @jinja2.pass_eval_context
    def note(self, eval_ctx, value):
        if isinstance(value, markupsafe.Markup) or not eval_ctx.autoescape:
            frame = sys._getframe(1)  # the compiled template's code, named after its file
            self.seen.append((frame.f_code.co_filename, frame.f_lineno, str(value)))
        return value

    def located(self, env: jinja2.Environment, files: dict[str, str]) -> list[tuple[str, int, str]]:
        out = []
        for filename, py_line, text in self.seen:
            if filename in files:
                out.append((filename, env.get_template(filename).get_corresponding_lineno(py_line), text))
        return out


def _assigned(tree: nodes.Template) -> set[str]:
    names = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    names |= {m.name for m in tree.find_all(nodes.Macro)}
    return names


def validate(name: str, source: str, others: dict[str, str], sample: dict[str, Any], entry: str | None = None) -> list[TemplateProblem]:
    """Problems with the template, each with its line; empty when it may be deployed."""
    filename = f"{name}.html"
    if len(source.encode()) > MAX_TEMPLATE_BYTES:
        return [TemplateProblem(filename, None, f"template is larger than {MAX_TEMPLATE_BYTES // 1024} KB")]
    raw = _RawOutputs()
    env = environment({**others, name: source}, finalize=raw.note)
    try:
        tree = env.parse(source, name=filename)
    except jinja2.TemplateSyntaxError as exc:
        return [TemplateProblem(filename, exc.lineno, f"syntax error: {exc.message}")]
    unsupported = _unsupported_elements(filename, source) or _private_attributes(filename, tree)
    if unsupported:
        return unsupported
    known = set(sample) | JINJA_GLOBALS | _assigned(tree)
    problems = [TemplateProblem(filename, n.lineno, f"undefined variable '{n.name}'")
                for n in tree.find_all(nodes.Name) if n.ctx == "load" and n.name not in known]
    if problems:
        return problems
    try:
        html = env.get_template(f"{entry or name}.html").render(**sample)
    except SecurityError as exc:
        return [TemplateProblem(filename, _template_line(filename), f"refused by the template sandbox: {exc.message}")]
    except jinja2.TemplateError as exc:
        return [TemplateProblem(filename, _template_line(filename), f"{type(exc).__name__}: {exc.message}")]
    except Exception as exc:  # noqa: BLE001  (1/0, a bad |format, a sandbox range limit: the designer's to fix)
        return [TemplateProblem(filename, _template_line(filename), f"{type(exc).__name__}: {exc}")]
    files = {filename: source, **{f"{k}.html": v for k, v in others.items() if k != name}}
    outputs = raw.located(env, files)
    return [TemplateProblem(*_locate(message, outputs, files, filename), message)
            for message in contract_markup.check_html(html)]


def refusal(name: str, source: str, others: dict[str, str], messages: list[str]) -> TemplateRefused:
    """Problems found after rendering (by the PDF adapter), each placed where the sources show it."""
    filename = f"{name}.html"
    files = {filename: source, **{f"{k}.html": v for k, v in others.items() if k != name}}
    return TemplateRefused([TemplateProblem(*_locate(m, [], files, filename), m) for m in messages])


def _locate(message: str, outputs: list[tuple[str, int, str]], files: dict[str, str],
            default: str) -> tuple[str, int | None]:
    """Where a problem of the rendered HTML comes from: the unescaped output that holds it, else the
    source text that shows it, else the first unescaped output at all (pieces joined), else nowhere."""
    pattern = contract_markup.needle(message)
    for filename, line, text in outputs:
        if pattern.search(text):
            return filename, line
    for filename, text in files.items():
        found = pattern.search(text)
        if found:
            return filename, text.count("\n", 0, found.start()) + 1
    return outputs[0][:2] if outputs else (default, None)


def _private_attributes(filename: str, tree: nodes.Template) -> list[TemplateProblem]:
    """`x.__class__`, `x['_y']`, `x|attr('__y')`: the sandbox refuses them when reached; this says so at
    deploy time even in a branch the sample data does not take."""
    found = [(n.lineno, n.attr) for n in tree.find_all(nodes.Getattr) if n.attr.startswith("_")]
    found += [(n.lineno, n.arg.value) for n in tree.find_all(nodes.Getitem)
              if isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str) and n.arg.value.startswith("_")]
    found += [(n.lineno, a.value) for n in tree.find_all(nodes.Filter) if n.name == "attr"
              for a in n.args if isinstance(a, nodes.Const) and isinstance(a.value, str) and a.value.startswith("_")]
    return [TemplateProblem(filename, line, f"refused by the template sandbox: attribute '{attr}' is private")
            for line, attr in sorted(found)]


def _unsupported_elements(filename: str, source: str) -> list[TemplateProblem]:
    # Jinja code and comments are blanked out first (newlines kept) so "a<b" in an expression is not a tag.
    markup = _NOT_MARKUP.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), source)
    problems = []
    for m in _TAG.finditer(markup):
        element = m.group(1).lower()
        if element not in ALLOWED_ELEMENTS:
            problems.append(TemplateProblem(filename, markup.count("\n", 0, m.start()) + 1,
                                            f"element <{element}> is not supported in contract templates"))
        elif not m.group().startswith("</"):
            allowed = contract_markup.ELEMENT_ATTRIBUTES.get(element, ())
            at = m.end()
            while (a := _ATTRIBUTE.match(markup, at)) and a.end() > at:  # one attribute after another, to '>'
                at = a.end()
                attribute = a.group(1).lower()
                if attribute not in contract_markup.GLOBAL_ATTRIBUTES and attribute not in allowed:
                    problems.append(TemplateProblem(
                        filename, markup.count("\n", 0, a.start(1)) + 1,
                        f"attribute '{attribute}' of <{element}> is not supported in contract templates"))
    return problems


def _template_line(filename: str) -> int | None:
    line = None
    for frame in traceback.extract_tb(sys.exc_info()[2]):
        if frame.filename == filename:
            line = frame.lineno
    return line


def deploy(session: Session, name: str, source: str, actor: str, now: datetime, sample: dict[str, Any],
           entry: str | None = None) -> tuple[ContractTemplate, bool]:
    """Store a new version if the template is valid and changed; refuse with located problems otherwise."""
    current = active(session)
    others = {k: t.source for k, t in current.items() if k != name}
    problems = validate(name, source, others, sample, entry)
    if problems:
        raise TemplateRefused(problems)
    digest = hashlib.sha256(source.encode()).hexdigest()
    if name in current and current[name].sha256 == digest:
        return current[name], False
    template = ContractTemplate(name=name, version=current[name].version + 1 if name in current else 1, sha256=digest,
                                source=source, deployed_by=actor, deployed_at=now)
    session.add(template)
    session.flush()
    return template, True


def render(session: Session, entry: str, context: dict[str, Any], to_pdf: Callable[[str], bytes]) -> tuple[bytes, dict[str, int]]:
    templates = active(session)
    html = render_html({k: t.source for k, t in templates.items()}, entry, context)
    return to_pdf(html), {k: t.version for k, t in sorted(templates.items())}


def render_html(sources: dict[str, str], entry: str, context: dict[str, Any]) -> str:
    return _compiled(tuple(sorted(sources.items()))).get_template(f"{entry}.html").render(**context)


@functools.lru_cache(maxsize=8)
def _compiled(sources: tuple[tuple[str, str], ...]) -> jinja2.Environment:
    # Compiling the set costs ~10 ms; the active set changes only when a template is deployed.
    return environment(dict(sources))
