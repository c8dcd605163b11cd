"""Words for the post-loan codes stored in the database (msgids in English, Chinese in the zh catalogue).

A code the nightly run learns later (a new DMN rule) and has no word here is shown as it is stored."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_

CLASSIFICATIONS = ("normal", "special_mention", "substandard", "doubtful", "loss")
CLASSIFICATION = {"normal": L_("Normal"), "special_mention": L_("Special mention"), "substandard": L_("Substandard"),
                  "doubtful": L_("Doubtful"), "loss": L_("Loss")}
LOAN_STATUS = {"active": L_("Loan active"), "closed": L_("Loan paid off")}
CHANGE_KIND = {"downgrade": L_("Downgrade (automatic)"), "upgrade": L_("Upgrade (approved)")}

SIGNAL = {  # the codes of processes/post_loan_signals.dmn; a code a designer adds later shows as stored
    "overdue_1": L_("Overdue 1 day"), "overdue_30": L_("Overdue 30 days"), "overdue_90": L_("Overdue 90 days"),
    "downgrade": L_("Classification downgraded"), "court_enforcement": L_("Court enforcement"),
    "tax_arrears": L_("Tax arrears"), "bureau_overdue": L_("New overdue at the credit bureau"),
    "blacklist": L_("Blacklist hit"), "guarantor_overdue": L_("Guarantor's loan overdue"),
    "deposit_drop": L_("Large drop in deposits"), "fund_diverted": L_("Funds diverted"),
    "maturity_30": L_("Matures within 30 days"),
}
SEVERITY = {"info": L_("Info"), "warning": L_("Warning"), "alert": L_("Alert")}
SIGNAL_STATUS = {"open": L_("To act on"), "acted": L_("Acted on"), "dismissed": L_("Dismissed")}

INSPECTION_KIND = {"first": L_("First tracking inspection"), "periodic": L_("Periodic inspection"),
                   "alert": L_("Alert inspection")}
INSPECTION_MODE = {"onsite": L_("On-site"), "offsite": L_("Off-site")}
INSPECTION_STATUS = {"open": L_("Open"), "done": L_("Done"), "offsite": L_("Reviewed off-site"),
                     "cancelled": L_("Cancelled")}

# Evidence keys the rules are likely to record; others are shown by their key.
EVIDENCE = {"days_past_due": L_("Days past due"), "overdue_principal": L_("Overdue principal"),
            "overdue_interest": L_("Overdue interest"), "from": L_("Grade before"), "to": L_("Grade after"),
            "from_code": L_("Grade before"), "to_code": L_("Grade after"), "maturity_date": L_("Maturity date"),
            "days_to_maturity": L_("Days to maturity"), "provider": L_("Source"), "drop": L_("Drop"),
            "drop_ratio": L_("Drop"), "fund_usage": L_("Fund usage"), "business": L_("Business")}

# Overdue buckets of the portfolio page: (key, lowest days, highest days or None).
BUCKETS = (("1-30", 1, 30), ("31-90", 31, 90), ("91-180", 91, 180), ("181-360", 181, 360), (">360", 361, None))
BUCKET = {"1-30": L_("1–30 days"), "31-90": L_("31–90 days"), "91-180": L_("91–180 days"),
          "181-360": L_("181–360 days"), ">360": L_("Over 360 days")}


def word(table: dict, code) -> str:
    return str(table[code]) if code in table else ("—" if code is None else str(code))


def evidence_summary(evidence, limit: int = 4) -> str:
    """A line an officer can read: the first few facts the rule read, with their words."""
    if not isinstance(evidence, dict) or not evidence:
        return "—"
    parts = []
    for key, value in list(evidence.items())[:limit]:
        if key in ("from", "to", "from_code", "to_code") and value in CLASSIFICATION:
            value = CLASSIFICATION[value]
        if isinstance(value, (dict, list)):
            value = "…"
        parts.append(f"{word(EVIDENCE, key)}: {value}")
    return "; ".join(parts) + ("; …" if len(evidence) > limit else "")


def result_summary(result, mode: str, limit: int = 4) -> str:
    """An inspection's result in the words of the form it was recorded on (on-site or off-site), the findings
    last; what the form does not name (an off-site review's evidence) as evidence."""
    from forms import FORMS

    if not isinstance(result, dict) or not result:
        return "—"
    fields = {f.name: f for f in FORMS.get("onsite_inspection" if mode == "onsite" else "offsite_inspection",
                                           ("", []))[1]}
    parts, rest = [], {}
    for key, value in result.items():
        f = fields.get(key)
        if f is None:
            rest[key] = value
        elif f.kind == "file" or value in (None, "", []):
            continue
        elif f.kind == "bool":
            parts.append(f"{_(f.label)}: {_('Yes') if value else _('No')}")
        elif f.kind == "choice":
            parts.append(f"{_(f.label)}: {_(f.choices[value]) if value in f.choices else value}")
        elif key != "findings":
            parts.append(f"{_(f.label)}: {value}")
    if rest:
        parts.append(evidence_summary(rest, limit))
    if result.get("findings") and "findings" in fields:
        parts.append(str(result["findings"])[:120])
    return "; ".join(parts) or "—"
