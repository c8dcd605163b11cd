"""Risk signals in the nightly run, set-based: SQL finds the partition's CANDIDATE loans (something the rules
read changed since the previous business date), the table (post_loan_signals.dmn, through `decide`) is
evaluated only for them, and a signal is raised for each rule that fires now but did not fire on the facts
as they stood at the previous business date. That makes a signal fire on crossing a threshold, not on
equality: a first run at 95 days past due raises the 90-day signal, and 96 the next day raises nothing.

Candidates, per partition [lo, hi) as of `day`, `gap` days after the previous processed date:
- days past due crossing one of the thresholds the table's cells name (`Watch`), days to maturity entering
  a window the same way (both plain predicates on the loan row, so no join);
- a downgrade today (loan_classification);
- provider events (court enforcement, tax arrears, bureau overdue, blacklist, deposit balance) observed
  since the previous date, or recorded after its run finished (a late file);
- an inspection done since the previous run (its result's fund_usage);
- a guarantor whose own active loan is overdue (the guarantor's ID number on the application).

Running a date again finds the same candidates, and the unique (loan, code, as_of) keeps what was raised.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import and_, false, func, insert, or_, select, true
from sqlalchemy.engine import Connection

from ..models import Loan
from .models import ClassificationChange, NightlyRun, RiskSignal
from .signal_feeds import (DEPOSIT, EXTERNAL, deposit_drops, done_inspections, event_json, events_news, guarantor_links,
                           guarantors_crossing, in_range, plain)

loan = Loan.__table__
change = ClassificationChange.__table__
signal = RiskSignal.__table__
run = NightlyRun.__table__

WATCHED = ("days_past_due", "days_to_maturity", "guarantor_days_past_due", "deposit_drop", "deposit_baseline")
_LIMIT = 100_000  # days; a threshold beyond this is read as "never"


@dataclass(frozen=True)
class Watch:
    """Where the table's answer can change, per numeric fact: the constants its cells compare that fact with.
    None for a fact means the cells could not be read (they compare with another value): every loan is then
    a candidate for it, which is slower but still right."""

    days_past_due: tuple[Decimal, ...] | None = ()
    days_to_maturity: tuple[Decimal, ...] | None = ()
    guarantor_days_past_due: tuple[Decimal, ...] | None = ()
    deposit_drop: tuple[Decimal, ...] | None = ()
    deposit_baseline: tuple[Decimal, ...] | None = ()

    def same_answer(self, facts: dict[str, Any], previous: dict[str, Any]) -> bool:
        """Whether no cell can tell the two apart, so no rule can fire now that did not before: a watched
        number that stayed between the same two thresholds, every other fact equal. Such a candidate
        (a new deposit balance a little below the last, say) is not evaluated at all."""
        for name, now in facts.items():
            before = previous.get(name)
            if now == before:
                continue
            points = getattr(self, name, None) if name in WATCHED else None
            if points is None or now is None or before is None:
                return False
            low, high = min(now, before), max(now, before)
            if any(low <= p <= high for p in points):
                return False
        return True


@dataclass(frozen=True)
class Fired:
    rule_id: str
    code: str
    severity: str
    onsite: bool
    description: str
    reads: tuple[str, ...]  # the facts the rule's cells test


Decide = Callable[[dict[str, Any]], list[Fired]]


@dataclass
class Candidate:
    loan_id: int
    application_id: int
    facts: dict[str, Any]
    previous: dict[str, Any]  # the same facts as they stood at the previous business date
    sources: dict[str, Any] = field(default_factory=dict)  # fact -> the record it came from
    # facts fed only by records that came in while the previous run was running: it may have read them
    overlap: set[str] = field(default_factory=set)


@dataclass
class Raised:
    id: int
    loan_id: int
    application_id: int
    code: str
    rule_id: str
    severity: str
    onsite: bool


@dataclass(frozen=True)
class Previous:
    """The latest business date processed before the one running, and when its run started and finished.
    A record that came in after it started is news (the partition that would read it may have run
    already); one that came in before it finished may have been read by it too (see `overlap`)."""

    as_of: date | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def maybe_read(self, observed_on: date | None, recorded_at: datetime | None) -> bool:
        return (self.as_of is not None and recorded_at is not None and recorded_at <= self.finished_at
                and (observed_on is None or observed_on <= self.as_of))


def previous_run(conn: Connection, day: date) -> Previous:
    prev = conn.execute(select(func.max(run.c.as_of)).where(run.c.as_of < day, run.c.finished_at.is_not(None))).scalar()
    if prev is None:
        return Previous()
    row = conn.execute(select(run.c.started_at, run.c.finished_at).where(run.c.as_of == prev)).one()
    return Previous(prev, row.started_at, row.finished_at)


def raise_signals(conn: Connection, day: date, lo: int, hi: int, watch: Watch, decide: Decide, version: str,
                  now: datetime, per_date: dict | None = None) -> list[Raised]:
    """Evaluate the candidates of partition [lo, hi) as of `day` and insert the new signals; those raised.
    `per_date` keeps what is read once per business date for all partitions (guarantor links, inspections
    done): a caller running many partitions passes the same dict."""
    prev = previous_run(conn, day)
    gap = (day - prev.as_of).days if prev.as_of else None
    cache = per_date if per_date is not None else {}
    if cache.get("key") != (day, prev):
        cache.clear()
        cache.update(key=(day, prev), guarantors=guarantor_links(conn), inspections=done_inspections(conn, day, prev))
    found = find_candidates(conn, day, lo, hi, watch, gap, prev, cache["guarantors"], cache["inspections"])
    if not found:
        return []
    rows, meta, overlapping = [], [], []
    for cand in found:
        if watch.same_answer(cand.facts, cand.previous):
            continue
        before = {f.rule_id for f in decide(cand.previous)}
        codes = set()
        for f in decide(cand.facts):
            if f.rule_id in before or f.code in codes:
                continue
            codes.add(f.code)
            rows.append({"loan_id": cand.loan_id, "as_of": day, "code": f.code, "rule_id": f.rule_id,
                         "severity": f.severity, "onsite": f.onsite, "status": "open", "created_at": now,
                         "evidence": evidence(cand, f, version)})
            meta.append(cand.application_id)
            overlapping.append(bool(f.reads) and set(f.reads) <= cand.overlap)
    if not rows:
        return []
    existing = set(_raised_on(conn, day, lo, hi))
    if prev.as_of and any(overlapping):  # raised by the previous run from the same records: not twice
        existing_before = set(_raised_on(conn, prev.as_of, lo, hi))
        existing |= {(r["loan_id"], r["code"]) for r, o in zip(rows, overlapping)
                     if o and (r["loan_id"], r["code"]) in existing_before}
    keep = [(r, a) for r, a in zip(rows, meta) if (r["loan_id"], r["code"]) not in existing]
    if not keep:
        return []
    conn.execute(insert(signal), [r for r, _ in keep])  # executemany: far cheaper than RETURNING row by row
    ids = _raised_on(conn, day, lo, hi)
    return [Raised(ids[(r["loan_id"], r["code"])], r["loan_id"], a, r["code"], r["rule_id"], r["severity"], r["onsite"])
            for r, a in keep]


def _raised_on(conn: Connection, day: date, lo: int, hi: int) -> dict[tuple[int, str], int]:
    """(loan id, code) -> signal id, for the partition's signals of a date."""
    return {(r.loan_id, r.code): r.id for r in conn.execute(select(signal.c.id, signal.c.loan_id, signal.c.code).where(
        signal.c.as_of == day, signal.c.loan_id >= lo, signal.c.loan_id < hi))}


def evidence(cand: Candidate, fired: Fired, version: str) -> dict[str, Any]:
    reads = fired.reads or tuple(cand.facts)
    return {"decision": version, "rule": fired.description,
            "inputs": {k: plain(cand.facts.get(k)) for k in reads},
            "previous": {k: plain(cand.previous.get(k)) for k in reads},
            "sources": {k: cand.sources[k] for k in reads if k in cand.sources}}


# -- candidates -------------------------------------------------------------------------------------

def _mine(lo: int, hi: int):
    return and_(loan.c.id >= lo, loan.c.id < hi, loan.c.status == "active")


def _clamp(e: Decimal) -> int:
    return max(-_LIMIT, min(_LIMIT, int(e)))


def _crossing_days(column, points: tuple[Decimal, ...] | None, gap: int | None):
    """Days past due rose past a threshold since the previous date (it was at least `dpd - gap`)."""
    if points is None:
        return column > 0
    conds = [and_(column > 0, column >= math.floor(e), column <= math.ceil(e) + gap if gap else true())
             for e in points if e >= 0]
    return or_(*conds) if conds else false()


def _crossing_maturity(day: date, points: tuple[Decimal, ...] | None, gap: int | None):
    """Days to maturity fell past a threshold since the previous date (it was `days + gap`)."""
    if points is None:
        return true()
    conds = []
    for e in points:
        upper = day + timedelta(days=_clamp(math.ceil(e)))
        conds.append(and_(loan.c.maturity_date <= upper,
                          loan.c.maturity_date >= upper - timedelta(days=gap + 1)) if gap else loan.c.maturity_date <= upper)
    return or_(*conds) if conds else false()


LOAN_COLUMNS = (loan.c.id, loan.c.application_id, loan.c.customer_id, loan.c.days_past_due, loan.c.overdue_principal,
                loan.c.overdue_interest, loan.c.classification, loan.c.maturity_date)


def find_candidates(conn: Connection, day: date, lo: int, hi: int, watch: Watch, gap: int | None,
                    prev: Previous, links: dict[int, list], done: dict[int, Any]) -> list[Candidate]:
    mine = _mine(lo, hi)
    loans = {r.id: r for r in conn.execute(select(*LOAN_COLUMNS).where(
        mine, or_(_crossing_days(loan.c.days_past_due, watch.days_past_due, gap),
                  _crossing_maturity(day, watch.days_to_maturity, gap))))}
    downgrades = {r.loan_id: r for r in conn.execute(
        select(change.c.id, change.c.loan_id, change.c.from_code, change.c.to_code).where(
            change.c.as_of == day, change.c.kind == "downgrade", change.c.loan_id >= lo, change.c.loan_id < hi))}
    events = events_news(conn, day, mine, prev)
    guarantors = guarantors_crossing(links, lo, hi, watch.guarantor_days_past_due, gap)
    inspections = {lid: done[lid] for lid in in_range(done, lo, hi)}
    extra = (set(downgrades) | set(events) | set(guarantors) | set(inspections)) - set(loans)
    if extra:
        loans.update({r.id: r for r in conn.execute(select(*LOAN_COLUMNS).where(mine, loan.c.id.in_(extra)))})
    deposits = deposit_drops(conn, day, {lid: evs[DEPOSIT] for lid, evs in events.items() if DEPOSIT in evs}, loans)
    out = []
    for lid in sorted(loans):
        row = loans[lid]
        cand = _base(row, day, gap)
        if lid in downgrades:
            d = downgrades[lid]
            cand.facts["downgraded"] = True
            cand.previous["classification"] = d.from_code
            cand.sources["downgraded"] = cand.sources["classification"] = {
                "table": "loan_classification", "id": d.id, "as_of": day.isoformat(), "from": d.from_code, "to": d.to_code}
        for kind, evs in events.get(lid, {}).items():
            if kind in EXTERNAL:
                cand.facts[kind] = True
                cand.sources[kind] = {"table": "provider_event", "events": [event_json(e) for e in evs]}
            if all(prev.maybe_read(e.observed_on, e.recorded_at) for e in evs):
                cand.overlap |= {kind} if kind in EXTERNAL else {"deposit_drop", "deposit_baseline"}
        if lid in deposits:
            now_drop, before_drop, source = deposits[lid]
            cand.facts["deposit_drop"], cand.facts["deposit_baseline"] = now_drop
            cand.previous["deposit_drop"], cand.previous["deposit_baseline"] = before_drop
            cand.sources["deposit_drop"] = cand.sources["deposit_baseline"] = source
        if lid in guarantors:
            g = guarantors[lid]
            worst = max(r.days_past_due for r in g)
            cand.facts["guarantor_days_past_due"] = worst
            cand.previous["guarantor_days_past_due"] = max(worst - gap, 0) if gap else 0
            cand.sources["guarantor_days_past_due"] = {"table": "loan", "guarantor_customer_id": g[0].guarantor_id,
                                                       "loans": [{"id": r.id, "days_past_due": r.days_past_due} for r in g]}
        if lid in inspections:
            i = inspections[lid]
            cand.facts["fund_usage"] = (i.result or {}).get("fund_usage")
            if prev.maybe_read(None, i.completed_at):
                cand.overlap.add("fund_usage")
            cand.sources["fund_usage"] = {"table": "loan_inspection", "id": i.id, "kind": i.kind, "mode": i.mode,
                                          "officer": i.officer, "completed_at": plain(i.completed_at),
                                          "business_status": (i.result or {}).get("business_status")}
        out.append(cand)
    return out


def _base(row, day: date, gap: int | None) -> Candidate:
    dpd, to_maturity = row.days_past_due, (row.maturity_date - day).days
    facts = {"days_past_due": dpd, "downgraded": False, "classification": row.classification,
             **{k: False for k in EXTERNAL}, "guarantor_days_past_due": 0, "deposit_drop": Decimal(0),
             "deposit_baseline": Decimal(0), "fund_usage": None, "days_to_maturity": to_maturity}
    previous = {**facts, "days_past_due": max(dpd - gap, 0) if gap else 0,
                "days_to_maturity": to_maturity + gap if gap else None}
    loan_source = {"table": "loan", "id": row.id, "as_of": day.isoformat(), "days_past_due": dpd,
                   "overdue_principal": plain(row.overdue_principal), "overdue_interest": plain(row.overdue_interest)}
    sources = {"days_past_due": loan_source, "classification": {"table": "loan", "id": row.id,
                                                                "classification": row.classification},
               "days_to_maturity": {"table": "loan", "id": row.id, "maturity_date": row.maturity_date.isoformat()}}
    return Candidate(row.id, row.application_id, facts, previous, sources)
