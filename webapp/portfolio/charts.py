"""What the portfolio page's ECharts draw: the counted figures with their words, as plain JSON.

The browser (static/portfolio.js) turns this into chart options; the same figures are in the page's tables,
so nothing is only in a picture. Money is in 万元 (ten thousand yuan) on the charts, exact in the tables."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from .labels import BUCKET, CLASSIFICATION, SIGNAL, word

COLOURS = {"normal": "#1e7b3b", "special_mention": "#d4a017", "substandard": "#e06c00", "doubtful": "#b3261e",
           "loss": "#5a1a1a"}


def _wan(value) -> float:
    return float((Decimal(value or 0) / 10000).quantize(Decimal("0.01")))


def options(p) -> dict:
    return {
        "noData": _("No data yet"),
        "unit": _("10k yuan"),
        "classification": {
            "title": _("Balance by classification"),
            "items": [{"name": str(CLASSIFICATION[r["code"]]), "value": _wan(r["balance"]), "loans": r["loans"],
                       "colour": COLOURS[r["code"]]} for r in p.by_classification],
        },
        "buckets": {
            "title": _("Overdue loans by days past due"),
            "labels": [str(BUCKET[b["key"]]) for b in p.buckets],
            "balance": [_wan(b["balance"]) for b in p.buckets],
            "loans": [b["loans"] for b in p.buckets],
            "balanceName": _("Balance"), "loansName": _("Loans"), "loansUnit": _("loans"),
        },
        "inspections": {
            "title": _("Open inspections by officer"),
            "officers": [r["name"] or _("Unassigned") for r in p.inspections_by_officer],
            "overdue": [r["overdue"] for r in p.inspections_by_officer],
            "due": [r["open"] - r["overdue"] for r in p.inspections_by_officer],
            "overdueName": _("Overdue"), "dueName": _("Due, not yet overdue"),
        },
        "signals": {
            "title": _("Risk signals by type and month"),
            "months": p.signal_months,
            "series": [{"name": word(SIGNAL, code), "data": data} for code, data in sorted(p.signals_by_code.items())],
        },
    }
