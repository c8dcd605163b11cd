"""Allocation as process steps: automatic choice, or a branch head's manual one."""
from __future__ import annotations

from sqlalchemy import select

from ..allocation import ROLE_DUTY, ROLE_POST, _conflicted, allocate as choose
from ..models import User
from .common import application


def _merge(ctx, app, found: dict, reasons: dict) -> dict:
    assignees = dict(ctx.data.get("assignees") or {})
    assignees.update(found)
    app.assignments = {**(app.assignments or {}), **found}
    app.allocation_reasons = {**(app.allocation_reasons or {}), **reasons}
    return assignees


def allocate(ctx, purpose: str) -> dict:
    app = application(ctx)
    result = choose(ctx.session, app, purpose, ctx.duties(), ctx.workload, level=ctx.data.get("approval_level"))
    if not result.ok:
        ctx.audit("allocation_failed", {"purpose": purpose, "problem": result.problem})
        return {"ok": False, "problem": result.problem, "assignees": dict(ctx.data.get("assignees") or {})}
    ctx.audit("allocated", {"purpose": purpose, "assignees": result.assignees, "reasons": result.reasons,
                            "candidates": result.candidates})
    return {"ok": True, "assignees": _merge(ctx, app, result.assignees, result.reasons), "reasons": result.reasons,
            "candidates": {**(ctx.data.get("allocation") or {}).get("candidates", {}), **result.candidates}}


def apply_manual_allocation(ctx, purpose: str) -> dict:
    app = application(ctx)
    form = ctx.data.get("manual_allocation") or {}
    chosen = {k: v for k, v in (form.get("assignees") or {}).items() if v}
    duties = ctx.duties()
    for role, username in chosen.items():
        user = ctx.session.scalars(select(User).where(User.username == username)).first()
        if user is None or not user.active:
            raise ValueError(f"no user {username}")
        if role not in ROLE_DUTY:
            raise ValueError(f"unknown role {role}")
        if ROLE_POST[role] not in (user.posts or []):
            raise PermissionError(f"{username} does not hold the post {ROLE_POST[role]} that {role} needs")
        conflict = _conflicted(username, ROLE_DUTY[role], duties)
        if conflict:
            raise PermissionError(f"{username} already acts as {conflict} on this application")
        twice = [r for r, u in chosen.items() if u == username and r != role]
        if twice:
            raise PermissionError(f"{username} may not take both {role} and {twice[0]} on one application")
    reasons = {role: f"人工指派: {form.get('reason', '')}" for role in chosen}
    ctx.audit("allocated", {"purpose": purpose, "assignees": chosen, "reasons": reasons, "manual": True})
    return {"ok": True, "assignees": _merge(ctx, app, chosen, reasons), "reasons": reasons}
