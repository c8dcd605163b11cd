from flask import Blueprint
from sqlalchemy import text

from .extensions import container

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    with container().engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}
