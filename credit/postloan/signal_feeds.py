"""Where the risk signals' facts come from, beside the loan row: provider events that are news for the date
(court enforcement, tax arrears, bureau overdue, blacklist; deposit balances and how far they fell), the
guarantors whose own loans are overdue, and the inspections done since the previous run. Used by
credit.postloan.signals; `prev` is its Previous (the previous business date and its run's times)."""
from __future__ import annotations

import bisect
import math
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import or_, select, true
from sqlalchemy.engine import Connection

from ..models import Application, Customer, Loan
from .models import LoanInspection, ProviderEvent

loan = Loan.__table__
application = Application.__table__
customer = Customer.__table__
inspection = LoanInspection.__table__
event = ProviderEvent.__table__

EXTERNAL = ("court_enforcement", "tax_arrears", "bureau_overdue", "blacklist")
DEPOSIT = "deposit_balance"
EVENT_KINDS = EXTERNAL + (DEPOSIT,)
LOOKBACK = timedelta(days=90)  # events observed longer ago than this are history, not news; deposit baseline
FIRST_LOOKBACK = timedelta(days=7)  # inspections a first run ever reads


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def event_json(e) -> dict[str, Any]:
    return {"id": e.id, "kind": e.kind, "source": e.source, "observed_on": e.observed_on.isoformat(),
            "reference": e.reference, "detail": e.detail, **({"amount": plain(e.amount)} if e.amount is not None else {})}


def events_news(conn: Connection, day: date, mine, prev) -> dict[int, dict[str, list]]:
    """Provider events that are news for `day`: observed since the previous date, or recorded after its run
    started (a late file)."""
    news = or_(event.c.observed_on > prev.as_of, event.c.recorded_at > prev.started_at) if prev.as_of else true()
    rows = conn.execute(
        select(loan.c.id.label("loan_id"), event.c.id, event.c.kind, event.c.source, event.c.observed_on,
               event.c.reference, event.c.detail, event.c.amount, event.c.customer_id, event.c.recorded_at)
        .select_from(loan.join(event, event.c.customer_id == loan.c.customer_id))
        .where(mine, event.c.kind.in_(EVENT_KINDS), event.c.observed_on <= day, event.c.observed_on > day - LOOKBACK, news)
        .order_by(event.c.observed_on, event.c.id))
    out: dict[int, dict[str, list]] = {}
    for r in rows:
        out.setdefault(r.loan_id, {}).setdefault(r.kind, []).append(r)
    return out


def drop(balance: Decimal, history: Iterable[tuple[date, Decimal]], on: date) -> tuple[Decimal, Decimal, date | None]:
    """How far `balance` (observed `on`) is below the highest balance of the LOOKBACK before it."""
    window = [(amount, seen) for seen, amount in history if on - LOOKBACK <= seen < on]
    if not window:
        return Decimal(0), Decimal(0), None
    baseline, seen = max(window)
    fell = ((baseline - balance) / baseline).quantize(Decimal("0.0001")) if baseline > 0 else Decimal(0)
    return max(fell, Decimal(0)), baseline, seen


def deposit_drops(conn: Connection, day: date, news: dict[int, list], loans: dict) -> dict[int, tuple]:
    """For loans with a new deposit snapshot: (drop, baseline) now, the same for the snapshot before, source."""
    if not news:
        return {}
    customers = {loans[lid].customer_id for lid in news if lid in loans}
    history: dict[int, list[tuple[date, Decimal]]] = {}
    for r in conn.execute(select(event.c.customer_id, event.c.observed_on, event.c.amount).where(
            event.c.kind == DEPOSIT, event.c.customer_id.in_(customers), event.c.amount.is_not(None),
            event.c.observed_on <= day, event.c.observed_on > day - 2 * LOOKBACK - timedelta(days=1))
            .order_by(event.c.observed_on)):
        history.setdefault(r.customer_id, []).append((r.observed_on, Decimal(r.amount)))
    out = {}
    for lid, evs in news.items():
        latest = next((e for e in reversed(evs) if e.amount is not None), None)
        if latest is None or lid not in loans:
            continue
        past = history.get(loans[lid].customer_id, [])
        fall, baseline, seen = drop(Decimal(latest.amount), past, latest.observed_on)
        earlier = [(s, a) for s, a in past if s < latest.observed_on]
        before = drop(earlier[-1][1], earlier, earlier[-1][0])[:2] if earlier else (Decimal(0), Decimal(0))
        source = {"table": "provider_event", "id": latest.id, "source": latest.source,
                  "observed_on": latest.observed_on.isoformat(), "balance": plain(Decimal(latest.amount)),
                  "baseline": plain(baseline), "baseline_observed_on": seen.isoformat() if seen else None}
        out[lid] = ((fall, baseline), before, source)
    return out


def guarantor_links(conn: Connection) -> dict[int, list]:
    """Active loans whose guarantor (by ID number on the application) has an active loan of their own overdue,
    driven from the overdue loans (few) through the guarantor index: loan id -> the guarantor's overdue loans."""
    g_cust, g_loan = customer.alias("g_cust"), loan.alias("g_loan")
    rows = conn.execute(
        select(loan.c.id.label("loan_id"), g_loan.c.id, g_loan.c.days_past_due, g_cust.c.id.label("guarantor_id"))
        .select_from(g_loan.join(g_cust, g_cust.c.id == g_loan.c.customer_id)
                     .join(application, application.c.guarantor_id_number == g_cust.c.id_number)
                     .join(loan, loan.c.application_id == application.c.id))
        .where(g_loan.c.status == "active", g_loan.c.days_past_due > 0, loan.c.status == "active",
               g_loan.c.customer_id != loan.c.customer_id)
        .order_by(g_loan.c.id))
    found: dict[int, list] = {}
    for r in rows:
        found.setdefault(r.loan_id, []).append(r)
    return found


def guarantors_crossing(links: dict[int, list], lo: int, hi: int, points, gap: int | None) -> dict[int, list]:
    """The partition's loans whose guarantor's overdue loan crossed one of the thresholds `points`."""

    def crossed(dpd: int) -> bool:
        if points is None:
            return True
        return any(dpd >= math.floor(e) and (gap is None or dpd <= math.ceil(e) + gap) for e in points if e >= 0)

    return {lid: links[lid] for lid in in_range(links, lo, hi) if any(crossed(r.days_past_due) for r in links[lid])}


def in_range(found: dict[int, Any], lo: int, hi: int) -> list[int]:
    """The keys of a per-date dict of loan ids in [lo, hi): sorted once, then a slice per partition."""
    keys = found.get(_SORTED)
    if keys is None:
        keys = found[_SORTED] = sorted(k for k in found if k != _SORTED)
    return keys[bisect.bisect_left(keys, lo):bisect.bisect_left(keys, hi)]


_SORTED = -1  # not a loan id


def done_inspections(conn: Connection, day: date, prev) -> dict[int, Any]:
    """The latest inspection of each loan done since the previous run started (its result feeds back); on a
    first run, those of the last week. loan id -> the inspection."""
    since = prev.started_at if prev.as_of else datetime.combine(day - FIRST_LOOKBACK, datetime.min.time(), timezone.utc)
    rows = conn.execute(
        select(inspection.c.loan_id, inspection.c.id, inspection.c.kind, inspection.c.mode, inspection.c.officer,
               inspection.c.result, inspection.c.completed_at)
        .where(inspection.c.status == "done", inspection.c.completed_at > since,
               inspection.c.result["fund_usage"].as_string().is_not(None))
        .order_by(inspection.c.completed_at, inspection.c.id))
    return {r.loan_id: r for r in rows}  # the latest wins
