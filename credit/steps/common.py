from __future__ import annotations

from ..models import Application


def application(ctx) -> Application:
    app = ctx.session.get(Application, int(ctx.business_key))
    if app is None:
        raise LookupError(f"no application {ctx.business_key}")
    return app


def set_status(ctx, app: Application, status: str) -> None:
    if app.status != status:
        ctx.audit("status_changed", {"from": app.status, "to": status})
        app.status = status
        app.updated_at = ctx.now
