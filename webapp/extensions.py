"""Binds the composition root to the Flask app (flaskr style: created once, bound in init_app)."""
from __future__ import annotations

from flask import Flask, current_app

from .bootstrap import Container, bootstrap


class Factory:
    def init_app(self, app: Flask) -> None:
        container = app.config.get("CONTAINER")
        if container is None:
            container = bootstrap(app.config.get("DATABASE_URL"))
        app.extensions["creditfactory"] = container


factory = Factory()


def container() -> Container:
    return current_app.extensions["creditfactory"]
