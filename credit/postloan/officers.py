"""The loan's managing post-loan officer (贷后管户经理), chosen at disbursement: the village's post-loan officer
by grid (GridAssignment, post `postloan`, by rank), else the least-loaded active post-loan officer of the
branch, by open inspections, then by loans managed. Officers on leave, deactivated, or blocked for
inspections overdue two periods running (inspections.blocked_officers) are skipped. Each choice has its reason.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..allocation import _branch_of, _subtree
from ..models import Application, GridAssignment, GridCell, Loan, User
from .inspections import blocked_officers, blocked_reason, open_inspections

POST = "postloan"


def _skip(u: User, blocked: dict[str, int]) -> str | None:
    if not u.active:
        return f"{u.username} 停用"
    if u.on_leave:
        return f"{u.username} 休假"
    if u.username in blocked:
        return blocked_reason(u.username, blocked[u.username])
    return None


def choose(session: Session, app: Application) -> tuple[str | None, str]:
    """(officer, reason); officer None with the reason when nobody may manage the loan."""
    village = app.village_code or ""
    grid = sorted(session.scalars(select(GridAssignment).where(
        GridAssignment.cell_code == village, GridAssignment.post == POST)), key=lambda g: g.rank)
    cell = session.get(GridCell, village) if village else None
    branch = _branch_of(session, cell.org_id if cell else None)
    pool = [u for u in session.scalars(select(User).order_by(User.username)) if POST in (u.posts or [])]
    if branch is not None:
        orgs = _subtree(session, branch)
        pool = [u for u in pool if u.org_id in orgs]
    blocked = blocked_officers(session, sorted({u.username for u in pool} | {g.user.username for g in grid}))
    skipped: list[str] = []
    for g in grid:
        why = _skip(g.user, blocked)
        if why is None:
            return g.user.username, "; ".join([f"村 {village} 网格贷后经理(第{g.rank}顺位)"]
                                              + (["跳过: " + ", ".join(skipped)] if skipped else []))
        skipped.append(why)
    eligible = []
    for u in pool:
        why = _skip(u, blocked)
        if why is None:
            eligible.append(u)
        elif why not in skipped:
            skipped.append(why)
    if not eligible:
        return None, "没有可用的贷后经理" + (": " + ", ".join(skipped) if skipped else "")
    names = [u.username for u in eligible]
    load = open_inspections(session, names)
    managed = dict.fromkeys(names, 0)
    managed.update({o: n for o, n in session.execute(select(Loan.officer, func.count()).where(
        Loan.officer.in_(names), Loan.status == "active").group_by(Loan.officer))})
    best = min(names, key=lambda n: (load[n], managed[n], n))
    parts = [("网格无贷后经理" if not grid else "网格贷后经理不可用") + ", 按工作量分配",
             f"在途检查{load[best]}件, 管户{managed[best]}笔"]
    if skipped:
        parts.append("跳过: " + ", ".join(skipped))
    return best, "; ".join(parts)
