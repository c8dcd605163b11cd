"""The PDF adapter: the only module that imports WeasyPrint."""
from __future__ import annotations

import threading

from . import fonts

_lock = threading.Lock()
_state: dict = {}


def _setup():
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    path = fonts.prepared()
    face = f'@font-face {{ font-family: "{fonts.FAMILY}"; src: url("{path.as_uri()}"); }}' if path else ""
    return config, [CSS(string=face, font_config=config)] if face else []


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    with _lock:  # fonts are configured once per process; rendering itself runs in parallel
        if "config" not in _state:
            _state["config"], _state["sheets"] = _setup()
    return HTML(string=html).write_pdf(font_config=_state["config"], stylesheets=_state["sheets"])
