"""Jinja filters: money, local times, SLA countdowns, and words for statuses and events."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as L_

CHINA = timezone(timedelta(hours=8))

STATUS = {
    "submitted": L_("Submitted"), "investigating": L_("Investigating"), "approving": L_("Approving"),
    "approved": L_("Approved"), "rejected": L_("Rejected"), "returned": L_("Returned for more material"),
    "contracting": L_("Contracting"), "disbursed": L_("Disbursed"), "withdrawn": L_("Withdrawn"),
}
EVENTS = {
    "instance_started": L_("Process started"), "task_created": L_("Task created"), "task_claimed": L_("Task claimed"),
    "task_released": L_("Task released"), "task_reassigned": L_("Task reassigned"),
    "task_completed": L_("Task completed"), "task_cancelled": L_("Task cancelled"),
    "decision_evaluated": L_("Rules evaluated"), "service_called": L_("System step"),
    "instance_completed": L_("Process finished"), "status_changed": L_("Status changed"),
    "allocated": L_("Officers allocated"), "allocation_failed": L_("No officer could be allocated"),
    "terms_proposed": L_("Limit and rate proposed"), "credit_decision": L_("Credit decision"),
    "contract_signed": L_("Contract signed"), "loan_disbursed": L_("Loan disbursed"),
    "sla_breached": L_("Deadline passed"), "comment_added": L_("Comment added"),
    "attachment_added": L_("Document uploaded"), "timers_checked": L_("Timers checked"),
    "inspection_recorded": L_("Inspection recorded"),
}
POSTS = {
    "customer_manager": L_("Customer manager"), "investigator": L_("Investigator"), "reviewer": L_("Reviewer"),
    "approver": L_("Approver"), "committee": L_("Credit committee"), "disburser": L_("Disbursement"),
    "postloan": L_("Post-loan"), "designer": L_("Process designer"), "auditor": L_("Auditor"), "admin": L_("Branch head"),
}
METHODS = {"equal_instalment": L_("Equal instalments"), "equal_principal": L_("Equal principal"),
           "interest_only": L_("Monthly interest, principal at maturity"), "bullet": L_("Principal and interest at maturity")}


def money(value) -> str:
    if value is None or value == "":
        return "—"
    return f"¥{Decimal(str(value)):,.2f}"


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(CHINA).strftime(fmt) if value else "—"


def sla_text(state) -> str:
    if state is None:
        return ""
    kind, minutes = state
    span = _("%(h)s h %(m)s min", h=minutes // 60, m=minutes % 60) if minutes < 48 * 60 else _("%(d)s days", d=minutes // 1440)
    return _("Overdue by %(span)s", span=span) if kind == "overdue" else _("Due in %(span)s", span=span)


def rate(value) -> str:
    return "—" if value is None else f"{Decimal(str(value)) * 100:.2f}%"


def group_rows(values, name: str) -> int:
    """How many rows of a repeated group the submitted form had (at least one)."""
    import re

    pattern = re.compile(rf"^{re.escape(name)}-(\d+)-")
    return max([int(m.group(1)) + 1 for k in values.keys() if (m := pattern.match(k))] + [1])


def choice_label(form_key: str, field: str, value: str) -> str:
    """The label a form gives a stored choice (e.g. a household member's relation)."""
    from forms import FORMS

    def find(fields):
        for f in fields:
            if f.name == field and f.choices:
                return f.choices
            found = find(f.fields)
            if found:
                return found
        return None

    choices = find(FORMS.get(form_key, ("", []))[1]) or {}
    return _(choices[value]) if value in choices else value


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, local=local, sla_text=sla_text, rate=rate)
    from flask_babel import get_locale

    app.jinja_env.globals.update(STATUS=STATUS, EVENTS=EVENTS, POSTS=POSTS, METHODS=METHODS, get_locale=get_locale,
                                 group_rows=group_rows, choice_label=choice_label)
