"""Contract templates, versioned like models: validated (syntax and undefined variables, with
the line), previewed with sample data, deployed as immutable numbered versions."""
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
from jinja2 import nodes
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import documents  # noqa: F401  (document_blob, which contracts point at)
from .models import CreditBase

MAX_TEMPLATE_BYTES = 256 * 1024
# What the contract stylesheet (webapp/contract_ua.css) knows how to lay out; anything else
# would print unstyled, so a template using it is refused with its line.
ALLOWED_ELEMENTS = frozenset("""
    html head meta title style body section article header footer div p h1 h2 h3 h4 span b strong i em u s
    small sub sup br hr ol ul li table caption colgroup col thead tbody tfoot tr th td img
""".split())
_NOT_MARKUP = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<!--.*?-->", re.S)
_TAG = re.compile(r"<(?!!)/?([A-Za-z][A-Za-z0-9-]*)")
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


def environment(sources: dict[str, str]) -> jinja2.Environment:
    files = {f"{k}.html": v for k, v in sources.items()}

    def load(name: str):
        # Returning the name as the file name puts it in tracebacks, so errors can name their line.
        return (files[name], name, lambda: True) if name in files else None

    return jinja2.Environment(loader=jinja2.FunctionLoader(load), undefined=jinja2.StrictUndefined, autoescape=True)


def _assigned(tree: nodes.Template) -> set[str]:
    names = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    names |= {m.name for m in tree.find_all(nodes.Macro)}
    return names


def validate(name: str, source: str, others: dict[str, str], sample: dict[str, Any], entry: str | None = None) -> list[TemplateProblem]:
    """Problems with the template, each with its line; empty when it may be deployed."""
    filename = f"{name}.html"
    if len(source.encode()) > MAX_TEMPLATE_BYTES:
        return [TemplateProblem(filename, None, f"template is larger than {MAX_TEMPLATE_BYTES // 1024} KB")]
    env = environment({**others, name: source})
    try:
        tree = env.parse(source, name=filename)
    except jinja2.TemplateSyntaxError as exc:
        return [TemplateProblem(filename, exc.lineno, f"syntax error: {exc.message}")]
    unsupported = _unsupported_elements(filename, source)
    if unsupported:
        return unsupported
    known = set(sample) | JINJA_GLOBALS | _assigned(tree)
    problems = [TemplateProblem(filename, n.lineno, f"undefined variable '{n.name}'")
                for n in tree.find_all(nodes.Name) if n.ctx == "load" and n.name not in known]
    if problems:
        return problems
    try:
        env.get_template(f"{entry or name}.html").render(**sample)
    except jinja2.TemplateError as exc:
        return [TemplateProblem(filename, _template_line(filename), f"{type(exc).__name__}: {exc.message}")]
    return []


def _unsupported_elements(filename: str, source: str) -> list[TemplateProblem]:
    # Jinja code and comments are blanked out first (newlines kept) so "a<b" in an expression is not a tag.
    markup = _NOT_MARKUP.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), source)
    return [TemplateProblem(filename, markup.count("\n", 0, m.start()) + 1,
                            f"element <{m.group(1).lower()}> is not supported in contract templates")
            for m in _TAG.finditer(markup) if m.group(1).lower() not in ALLOWED_ELEMENTS]


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
