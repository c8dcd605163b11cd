"""The task forms, by form key. Labels are English message ids, shown in Chinese by default."""
from __future__ import annotations

from decimal import Decimal

from .fields import Field, N_

DECISION = {"approve": N_("Approve"), "reject": N_("Reject"), "return": N_("Return for more material")}
GUARANTEE = {"credit": N_("Credit (unsecured)"), "guarantee": N_("Guarantee"), "mortgage": N_("Mortgage")}


def _decision_fields() -> list[Field]:
    return [
        Field("decision", "choice", N_("Decision"), choices=DECISION),
        Field("reason", "text", N_("Reason"), max_length=1000, required_when=("decision", ["reject", "return"]),
              help=N_("Required when rejecting or returning.")),
    ]


FORMS: dict[str, tuple[str, list[Field]]] = {
    "complete_application": (N_("Complete the application"), [
        Field("annual_income", "money", N_("Household annual income (CNY)"), minimum=Decimal("0.01")),
        Field("village_code", "text", N_("Village (grid code)"), required=False, max_length=16),
        Field("phone", "mobile", N_("Mobile phone"), required=False),
    ]),
    "investigation_report": (N_("Investigation report"), [
        Field("site_rating", "choice", N_("Site visit rating"),
              choices={"good": N_("Good"), "fair": N_("Fair"), "poor": N_("Poor")}),
        Field("annual_income", "money", N_("Verified household annual income (CNY)"), minimum=Decimal("0.01")),
        Field("guarantee", "choice", N_("Guarantee"), choices=GUARANTEE),
        Field("collateral_value", "money", N_("Appraised collateral value (CNY)"), minimum=Decimal("1"),
              visible_when=("guarantee", "mortgage")),
        Field("guarantor_name", "text", N_("Guarantor's name"), max_length=64, visible_when=("guarantee", "guarantee")),
        Field("household_members", "group", N_("Household members"), required=False, max_items=10, fields=[
            Field("name", "text", N_("Name"), max_length=64),
            Field("relation", "choice", N_("Relation"), choices={
                "spouse": N_("Spouse"), "child": N_("Child"), "parent": N_("Parent"), "other": N_("Other")}),
            Field("annual_income", "money", N_("Annual income (CNY)"), required=False, minimum=Decimal("0")),
        ]),
        Field("site_photos", "file", N_("Site photos and scans"), required=False, max_items=10),
        Field("findings", "text", N_("Findings"), max_length=2000),
    ]),
    "investigation_cosign": (N_("Co-investigator's sign-off"), [
        Field("agree", "bool", N_("I agree with the lead investigator's findings")),
        Field("opinion", "text", N_("Opinion"), max_length=1000, required_when=("agree", [False]),
              help=N_("Required when you disagree.")),
    ]),
    "approval": (N_("Approval"), _decision_fields() + [
        Field("approved_amount", "money", N_("Approved amount (CNY)"), required=False, minimum=Decimal("1")),
    ]),
    "committee_vote": (N_("Credit committee vote"), _decision_fields()),
    "contract_signing": (N_("Contract signing"), [
        Field("signed", "bool", N_("The borrower signed the contract in person")),
        Field("signing_place", "text", N_("Place of signing"), max_length=200),
    ]),
    "disbursement_check": (N_("Disbursement check"), [
        Field("passed", "bool", N_("Conditions for disbursement are met")),
        Field("account_no", "account", N_("Disbursement account"), scheme="card",
              help=N_("The borrower's debit card: 16 to 19 digits; spaces are fine.")),
        Field("remarks", "text", N_("Remarks"), max_length=1000, required_when=("passed", [False])),
    ]),
    "onsite_inspection": (N_("On-site inspection"), [
        Field("fund_usage", "choice", N_("Use of funds"), choices={
            "as_agreed": N_("As agreed"), "diverted": N_("Diverted"), "unknown": N_("Cannot be verified")}),
        Field("business_status", "choice", N_("Business or household condition"), choices={
            "normal": N_("Normal"), "declining": N_("Declining"), "stopped": N_("Stopped or unreachable")}),
        Field("risk_signal", "bool", N_("Risk signals found")),
        Field("site_photos", "file", N_("Site photos and scans"), required=False, max_items=10),
        Field("findings", "text", N_("Findings"), max_length=2000),
    ]),
    "offsite_inspection": (N_("Off-site review"), [
        Field("repayment_normal", "bool", N_("Repayments are on time")),
        Field("risk_signal", "bool", N_("Risk signals found")),
        Field("findings", "text", N_("Findings"), max_length=2000),
    ]),
    # The branch head's decision on a downgrade an on-site inspection proposed (business stopped).
    "classification_downgrade": (N_("Classification downgrade"), [
        Field("decision", "choice", N_("Decision"), choices={"approve": N_("Approve"), "reject": N_("Reject")}),
        Field("reason", "text", N_("Reason"), max_length=1000, required_when=("decision", ["reject"]),
              help=N_("Required when rejecting.")),
    ]),
    "manual_allocation": (N_("Manual allocation"), [
        # The roles of credit.allocation.ROLE_DUTY (forms may not import the domain; a test keeps them equal).
        Field("assignees", "mapping", N_("Role to user name"), keys=(
            "lead_investigator", "assistant_investigator", "approver", "committee_1", "committee_2", "committee_3",
            "disburser")),
        Field("reason", "text", N_("Reason"), max_length=500),
    ]),
    "classification_upgrade": (N_("Classification upgrade"), [
        Field("decision", "choice", N_("Decision"), choices={"approve": N_("Approve"), "reject": N_("Reject")}),
        Field("reason", "text", N_("Reason"), max_length=1000, required_when=("decision", ["reject"]),
              help=N_("Required when rejecting.")),
    ]),
    # Plain and manual BPMN tasks (engine.lint_modeler.DONE_FORM): the person confirms it is done.
    "task_done": (N_("Mark as done"), [
        Field("remarks", "text", N_("Remarks"), required=False, max_length=1000),
    ]),
}
