"""The PDF adapter: the only module that imports WeasyPrint.

Three things cut the time of a 36-period contract (bench/contracts.py; target p50 < 300 ms):
the font is prepared once (webapp/fonts.py), the user-agent stylesheet is cut down to the
elements contract templates may use (contract_ua.css), and the cyclic garbage collector
waits while a document is laid out: WeasyPrint builds tens of thousands of short-lived
objects, and collections over them cost up to a fifth of the render.
"""
from __future__ import annotations

import contextlib
import gc
import pathlib
import threading

from . import fonts

UA_STYLESHEET = pathlib.Path(__file__).with_name("contract_ua.css")

_lock = threading.Lock()
_state: dict = {}


def _setup() -> dict:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    path = fonts.prepared()
    face = f'@font-face {{ font-family: "{fonts.FAMILY}"; src: url("{path.as_uri()}"); }}' if path else ""
    ua = CSS(string=UA_STYLESHEET.read_text(encoding="utf-8"), font_config=config)

    class ContractHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [ua]

    return {"config": config, "sheets": [CSS(string=face, font_config=config)] if face else [], "html": ContractHTML}


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
    state = _ready()
    with _collector_paused():
        return state["html"](string=html).write_pdf(font_config=state["config"], stylesheets=state["sheets"])


def warm() -> None:
    """Load WeasyPrint and the fonts now, so that the first contract after a start is not the slow one."""
    html_to_pdf("<p>预热</p>")
