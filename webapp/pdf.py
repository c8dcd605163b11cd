"""The PDF adapter: the only module that imports WeasyPrint.

Three things cut the time of a 36-period contract (bench/contracts.py; target p50 < 300 ms):
the font is prepared once (webapp/fonts.py), the user-agent stylesheet is cut down to the
elements contract templates may use (contract_ua.css), and the cyclic garbage collector
waits while a document is laid out: WeasyPrint builds tens of thousands of short-lived
objects, and collections over them cost up to a fifth of the render.

What a template rendered is untrusted (a process designer wrote it, `|safe` may pass data
through): before layout, the tree WeasyPrint parsed is held to credit.contract_markup's rules,
and WeasyPrint fetches through `_Fetcher`, which serves the project's own font and stylesheets
from disk and small inline raster images, and refuses every other file, every network URL and
every other scheme. A refusal fails the render (RenderRefused) instead of printing a contract
with a hole in it.
"""
from __future__ import annotations

import base64
import contextlib
import gc
import pathlib
import re
import threading
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from credit import contract_markup

from . import fonts

UA_STYLESHEET = pathlib.Path(__file__).with_name("contract_ua.css")
TEMPLATES_DIR = pathlib.Path(__file__).resolve().parent.parent / "contract_templates"
MAX_INLINE_IMAGE = 1024 * 1024
_IMAGE_MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n",), "image/jpeg": (b"\xff\xd8\xff",), "image/gif": (b"GIF87a", b"GIF89a")}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")

_lock = threading.Lock()
_state: dict = {}


class RenderRefused(ValueError):
    """The rendered contract holds what a contract may not: each reason in English, for the designer."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def own_assets() -> frozenset[pathlib.Path]:
    """The only files WeasyPrint may read: the prepared contract font and the project's stylesheets."""
    files = [UA_STYLESHEET, *UA_STYLESHEET.parent.glob("*.css"), *TEMPLATES_DIR.glob("*.css")]
    font = fonts.prepared()
    return frozenset(p.resolve() for p in ([font] if font else []) + files)


class _Fetcher:
    """WeasyPrint's url_fetcher for one render; notes what it refused. WeasyPrint catches a fetcher's
    exception and goes on without the resource, so html_to_pdf raises afterwards from `refused`."""

    _fail_on_errors = False  # read by weasyprint.urls.fetch

    def __init__(self, assets: frozenset[pathlib.Path]):
        self.assets = assets
        self.refused: list[str] = []

    def __call__(self, url: str):
        from weasyprint.urls import URLFetcherResponse

        scheme = (_SCHEME.match(url) or [None, ""])[1].lower()
        if scheme == "file":
            parts = urlsplit(url)
            path = pathlib.Path(url2pathname(parts.path)).resolve()
            if parts.netloc in ("", "localhost") and path in self.assets:
                mime = "text/css" if path.suffix == ".css" else "font/otf"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
            return self._refuse(url, "only the contract's own font and stylesheets are read from disk")
        if scheme == "data":
            image = _inline_image(url)
            if image:
                return URLFetcherResponse(url, image[1], {"Content-Type": image[0]})
            return self._refuse(url, f"only PNG, JPEG or GIF images up to {MAX_INLINE_IMAGE // 1024} KB may be inline")
        return self._refuse(url, "contracts fetch nothing from the network or from other schemes")

    def _refuse(self, url: str, why: str):
        shown = url if len(url) <= 80 else url[:77] + "..."
        self.refused.append(f"resource '{shown}' refused: {why}")
        raise PermissionError(self.refused[-1])


def _inline_image(url: str) -> tuple[str, bytes] | None:
    header, comma, payload = url[5:].partition(",")
    mime, *params = header.split(";")
    mime = mime.strip().lower()
    if not comma or mime not in _IMAGE_MAGIC or len(payload) > MAX_INLINE_IMAGE * 2:
        return None
    try:
        data = unquote_to_bytes(payload)
        data = base64.b64decode(data, validate=False) if "base64" in (p.strip().lower() for p in params) else data
    except ValueError:
        return None
    # The bytes must be what the type says: WeasyPrint would otherwise try them as SVG, which fetches.
    if len(data) > MAX_INLINE_IMAGE or not data.startswith(_IMAGE_MAGIC[mime]):
        return None
    return mime, data


def _setup() -> dict:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    path = fonts.prepared()
    assets = own_assets()
    face = f'@font-face {{ font-family: "{fonts.FAMILY}"; src: url("{path.as_uri()}"); }}' if path else ""
    fetcher = _Fetcher(assets)
    ua = CSS(string=UA_STYLESHEET.read_text(encoding="utf-8"), font_config=config, url_fetcher=fetcher)

    class ContractHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [ua]

    sheets = [CSS(string=face, font_config=config, url_fetcher=fetcher)] if face else []
    if fetcher.refused:
        raise RenderRefused(fetcher.refused)
    return {"config": config, "sheets": sheets, "html": ContractHTML, "assets": assets}


def _ready() -> dict:
    with _lock:  # configured once per process; rendering itself runs in parallel
        if not _state:
            _state.update(_setup())
    return _state


@contextlib.contextmanager
def _collector_paused():
    # Only the caller that found the collector on turns it back on, so overlapping renders
    # in threads never leave it off.
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def html_to_pdf(html: str) -> bytes:
    """The contract as PDF; RenderRefused, and no PDF, when the HTML breaks the contract rules or asks
    for a resource other than the contract's own."""
    state = _ready()
    fetcher = _Fetcher(state["assets"])
    with _collector_paused():
        document = state["html"](string=html, url_fetcher=fetcher)
        problems = contract_markup.check_tree(document.etree_element)  # the very tree WeasyPrint lays out
        if problems:
            raise RenderRefused(problems)
        pdf = document.write_pdf(font_config=state["config"], stylesheets=state["sheets"])
    if fetcher.refused:
        raise RenderRefused(list(dict.fromkeys(fetcher.refused)))
    return pdf


def warm() -> None:
    """Load WeasyPrint and the fonts now, so that the first contract after a start is not the slow one."""
    html_to_pdf("<p>预热</p>")
