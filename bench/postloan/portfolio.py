"""The portfolio the post-loan benchmark builds: loans, schedules, customers, provider events and inspections as rows."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

# -- the portfolio ---------------------------------------------------------------------------------
# (product, repayment method, amounts, annual rate, share of loans in tenths)
PRODUCTS = (("NONGHU", "interest_only", ("50000", "100000", "200000"), "0.0620", 4),
            ("RUYI", "equal_instalment", ("20000", "50000", "80000"), "0.0720", 3),
            ("JINGYING", "equal_principal", ("300000", "500000"), "0.0550", 2),
            ("SHANDAI", "equal_instalment", ("10000", "30000"), "0.0980", 1))
PRODUCT_OF = [p for p in PRODUCTS for _ in range(p[4])]  # by loan id % 10
VILLAGES = [f"V0{i}" for i in range(1, 10)]
TERM = 12
TERMS = {"SHANDAI": 6}  # months; the others 12 (so some loans come within 30 days of maturity)
EXTERNAL = ("court_enforcement", "tax_arrears", "bureau_overdue", "blacklist")
EXTERNAL_SOURCE = {"court_enforcement": "court", "tax_arrears": "tax", "bureau_overdue": "bureau",
                   "blacklist": "watchlist"}


def behaviour(i: int) -> str:
    """What loan i's borrower did, spread over the id range by a multiplicative hash."""
    h = (i * 2654435761) % 1000
    if h < 20:
        return "closed"  # paid off long ago: status closed, skipped by the run
    if h < 900:
        return "on_time"
    if h < 940:
        return "missed_1"  # the latest instalment due is unpaid
    if h < 960:
        return "missed_2"
    if h < 975:
        return "partial"  # the latest instalment due: interest paid, half its principal
    return "long"  # older loan, nothing paid after its second instalment: 3 months to well over a year behind


def age_days(i: int, kind: str) -> int:
    if kind == "long":
        return 150 + (i * 40503) % 420
    return (i * 40503) % 200  # disbursed 0-199 days before the timed date: ~3 instalments due on average


def _plan_of() -> dict[str, tuple[int, int]]:
    from credit.demo import PRODUCTS as DEMO

    return {p["code"]: (p["first_check_days"], p["periodic_months"]) for p in DEMO}


def months_between(start: date, end: date) -> int:
    """As credit.postloan.dates.months_between: whole calendar months."""
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def inspection_rows(i: int, start: date, product_code: str, kind: str, day: date, plan) -> list[tuple]:
    """The inspections loan i has had by the end of `day` - 1, as a portfolio in steady state has: its first
    inspection done (0.1 % of them just done, on `day`, finding the funds diverted) and, past its first period,
    the current period's review (off-site for loans not behind, done on-site for the others)."""
    from credit.schedules import add_months

    if start >= day or kind == "closed":
        return []
    first_days, period = plan[product_code]
    out = []
    due = start + timedelta(days=first_days)
    diverted = i % 1000 == 11
    done = (datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=3) if diverted else
            datetime.combine(min(start + timedelta(days=2), day - timedelta(days=1)), datetime.min.time(),
                             timezone.utc) + timedelta(hours=6))
    result = ('{"fund_usage": "diverted", "business_status": "normal"}' if diverted
              else '{"fund_usage": "as_agreed", "business_status": "normal"}')
    out.append((i * 4, i, "first", "onsite", due.isoformat(), start.isoformat(), due.isoformat(), "done", "postloan1",
                None, None, None, None, result, done.strftime("%Y-%m-%d %H:%M:%S.000000+00:00")))
    months = months_between(start, day - timedelta(days=1))
    if period and months >= period:
        pdue = add_months(start, months // period * period)
        behind = kind != "on_time"
        out.append((i * 4 + 1, i, "periodic", "onsite" if behind else "offsite", pdue.isoformat(), pdue.isoformat(),
                    pdue.isoformat(), "done" if behind else "offsite", "postloan1", None, None, None, None,
                    '{"fund_usage": "as_agreed", "business_status": "normal"}' if behind else '{"basis": "low_risk"}',
                    (datetime.combine(pdue, datetime.min.time(), timezone.utc) + timedelta(hours=6)).strftime(
                        "%Y-%m-%d %H:%M:%S.000000+00:00") if behind else None))
    return out


class Template:
    """One schedule from credit.schedules.build (exact to the fen), with its figures as text once."""

    __slots__ = ("n", "dues", "text", "cum", "half", "first_due", "maturity")

    def __init__(self, lines):
        self.n = len(lines)
        self.dues = [l.due_date for l in lines]
        self.text = [(l.period, l.due_date.isoformat(), str(l.principal), str(l.interest), str(l.total),
                      str(l.remaining_principal)) for l in lines]
        self.cum = [Decimal(0)]
        for l in lines:
            self.cum.append(self.cum[-1] + l.principal)
        self.half = [(l.principal / 2).quantize(Decimal("0.01")) for l in lines]
        self.first_due, self.maturity = self.text[0][1], self.text[-1][1]


class Schedules:
    """Schedule templates cached by (product, amount, disbursement date)."""

    def __init__(self):
        from credit import schedules

        self._build, self._cache = schedules.build, {}

    def __call__(self, product, amount: str, start: date) -> Template:
        key = (product[0], amount, start)
        t = self._cache.get(key)
        if t is None:
            t = self._cache[key] = Template(self._build(product[1], Decimal(amount), Decimal(product[3]),
                                                        TERMS.get(product[0], TERM), start))
        return t


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_BORN: dict[int, tuple[str, int]] = {}


def _id_number(i: int) -> str:
    """A valid resident ID number (as credit.idnumber.make builds one), unique per i: 14,000 birth dates x 900
    sequence codes (codes 900-999, which make the fake providers report signals, are left out)."""
    b = (i // 900) % 14_000
    found = _BORN.get(b)
    if found is None:
        head = "320324" + (date(1960, 1, 1) + timedelta(days=b)).strftime("%Y%m%d")
        found = _BORN[b] = (head, sum(int(d) * w for d, w in zip(head, _WEIGHTS)))
    head, partial = found
    seq = f"{i % 900:03d}"
    total = partial + int(seq[0]) * _WEIGHTS[14] + int(seq[1]) * _WEIGHTS[15] + int(seq[2]) * _WEIGHTS[16]
    return head + seq + _CHECK[total % 11]


def loan_rows(lo: int, hi: int, day: date, schedules: Schedules, plan: dict | None = None):
    """Rows of customers, applications, loans, schedule lines, provider events and inspections for loan ids
    lo..hi-1, as of the end of `day` - 1 (every payment the borrowers made before `day`). Every value as
    text, None for NULL."""
    from bisect import bisect_left

    customers, applications, loans, lines, events, inspections = [], [], [], [], [], []
    plan = plan or _plan_of()
    created = (datetime.combine(day, datetime.min.time(), timezone.utc) - timedelta(days=600)).strftime(
        "%Y-%m-%d %H:%M:%S.000000+00:00")
    yesterday = day - timedelta(days=1)
    yesterday_iso = yesterday.isoformat()
    closed_at = (day - timedelta(days=30)).isoformat()
    for i in range(lo, hi):
        kind = behaviour(i)
        product = PRODUCT_OF[i % 10]
        amount = product[2][(i // 10) % len(product[2])]
        start = day - timedelta(days=age_days(i, kind))
        t = schedules(product, amount, start)
        start_iso = start.isoformat()
        ts = f"{start_iso} 02:00:00.000000+00:00"  # 10:00 in Beijing on the disbursement date
        inspections.extend(inspection_rows(i, start, product[0], kind, day, plan))
        due = bisect_left(t.dues, day)  # instalments due before `day`
        if kind == "closed":
            full, part = t.n, 0
        elif kind == "on_time":
            full, part = due, 0
        elif kind == "missed_1":
            full, part = max(due - 1, 0), 0
        elif kind == "missed_2":
            full, part = max(due - 2, 0), 0
        elif kind == "partial":
            full, part = max(due - 1, 0), (1 if due else 0)
        else:
            full, part = min(due, 2), 0
        paid_principal = t.cum[full] + (t.half[full] if part else 0)
        for n, (period, due_iso, p, interest, total, remaining) in enumerate(t.text):
            if n < full:
                at = due_iso if t.dues[n] <= yesterday else yesterday_iso
                lines.append((i, period, due_iso, p, interest, total, remaining, p, interest, at))
            elif n == full and part:
                lines.append((i, period, due_iso, p, interest, total, remaining, str(t.half[n]), interest, None))
            else:
                lines.append((i, period, due_iso, p, interest, total, remaining, "0", "0", None))
        closed = kind == "closed"
        village = VILLAGES[i % 9]
        idn = _id_number(i)
        customers.append((i, idn, f"客户{i}", f"13{i:09d}", f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}",
                          str(60000 + (i % 50) * 4000), village, "0", "0", "false", str(i % 10), created))
        guarantee = "guarantee" if product[0] in ("NONGHU", "JINGYING") else "credit"
        guarantor = (i + 1 if i % 2 else i - 1) if guarantee == "guarantee" and i > 1 else None  # a neighbour
        applications.append((i, product[0], i, amount, str(t.n), "生产经营" if guarantee == "guarantee" else "消费",
                             "manager_app", "disbursed", "manager1", "manager1", village, guarantee, "0",
                             amount, product[3], "[]", "{}", "{}", f"HT{i:010d}",
                             f"客户{guarantor}" if guarantor else None, _id_number(guarantor) if guarantor else None,
                             ts, ts))
        events.extend(provider_events(i, day))
        loans.append((i, i, i, product[0], amount, product[3], str(t.n), product[1], "entrusted", ts,
                      t.first_due, t.maturity, str(Decimal(amount) - paid_principal),
                      "closed" if closed else "active", "normal", "0", "0", "0", closed_at if closed else None,
                      "postloan1"))
    return customers, applications, loans, lines, events, inspections


_SEEN: dict[tuple[date, int], str] = {}


def _seen(day: date, offset: int) -> str:
    found = _SEEN.get((day, offset))
    if found is None:
        found = _SEEN[(day, offset)] = (day + timedelta(days=offset)).isoformat()
    return found


def provider_events(i: int, day: date) -> list[tuple]:
    """Customer i's provider feed: a deposit balance every 30 days (the latest falling 0-29 days before `day`
    + 3, so each business date has ~1/30 of the customers' new snapshots; 3 % of customers' latest one is 70 %
    below the others), and for 0.1 % of customers one external event (court, tax, bureau, blacklist) in the
    90 days before `day` + 3. Recorded the day they were observed."""
    out = []
    base = (5000 + (i * 7919) % 200_000) * 100  # fen
    for k in range(5):
        seen = _seen(day, 3 - (i % 30) - 30 * k)
        cents = base * 3 // 10 if k == 0 and i % 33 == 5 else base * (50 + k) // 50
        out.append((i * 8 + k, i, "deposit_balance", seen, "core_banking", f"D{i}-{k}",
                    f"{cents // 100}.{cents % 100:02d}", "", f"{seen} 09:00:00.000000+00:00", "bench"))
    if (i * 7) % 1000 == 1:
        kind = EXTERNAL[(i // 1000) % 4]
        seen = _seen(day, 3 - (i % 90))
        out.append((i * 8 + 5, i, kind, seen, EXTERNAL_SOURCE[kind], f"E{i}", None, kind,
                    f"{seen} 09:00:00.000000+00:00", "bench"))
    return out


COLUMNS = {
    "customer": ("id", "id_number", "name", "phone", "birth_date", "annual_income", "village_code", "existing_debt",
                 "overdue_count", "blacklisted", "relationship_years", "created_at"),
    "application": ("id", "product_code", "customer_id", "amount", "term_months", "purpose", "channel", "status",
                    "submitted_by", "intake_user", "village_code", "guarantee", "collateral_value", "approved_amount",
                    "annual_rate", "rejection_reasons", "assignments", "allocation_reasons", "contract_no",
                    "guarantor_name", "guarantor_id_number", "created_at", "updated_at"),
    "loan": ("id", "application_id", "customer_id", "product_code", "principal", "annual_rate", "term_months",
             "repayment_method", "payment_mode", "disbursed_at", "first_due_date", "maturity_date",
             "outstanding_principal", "status", "classification", "days_past_due", "overdue_principal",
             "overdue_interest", "closed_at", "officer"),
    "schedule_line": ("loan_id", "period", "due_date", "principal", "interest", "total", "remaining_principal",
                      "paid_principal", "paid_interest", "paid_at"),
    "provider_event": ("id", "customer_id", "kind", "observed_on", "source", "reference", "amount", "detail",
                       "recorded_at", "recorded_by"),
    "loan_inspection": ("id", "loan_id", "kind", "mode", "due_on", "raised_on", "sla_due_on", "status", "officer",
                        "signal_id", "instance_id", "escalated_on", "escalated_to", "result", "completed_at"),
}
