"""gunicorn, started from Python so `creditfactory serve` needs no config file."""
from __future__ import annotations

import threading

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app

        return create_app()


def _warm_pdf(worker) -> None:
    from . import pdf

    # In the background, so the worker answers requests while WeasyPrint loads (a second or two).
    threading.Thread(target=pdf.warm, name="pdf-warm", daemon=True).start()


def serve(host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    _Server({"bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
             "accesslog": "-", "timeout": 60, "post_worker_init": _warm_pdf}).run()
