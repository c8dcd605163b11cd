"""External data: credit bureau, court records, tax, telecom and the bank's own deposits.

Real providers plug in behind `Providers`; the demo bank and the tests use `FakeProviders`,
which is deterministic: clean records, except for ID numbers whose three-digit sequence
code (digits 15-17) falls in a documented range, so tests and demos can ask for a signal.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class BureauReport:
    name_matches_id: bool
    overdue_max_days: int
    queries_3m: int
    credit_history_months: int
    loans_open: int
    verified_income: Decimal | None


@dataclass(frozen=True)
class CourtRecord:
    enforcement_cases: int  # 失信被执行
    litigation_cases: int


@dataclass(frozen=True)
class TaxRecord:
    arrears: bool


@dataclass(frozen=True)
class TelecomRecord:
    tenure_months: int
    real_name_matches: bool


class Providers(Protocol):
    def bureau(self, id_number: str, name: str, declared_income: Decimal) -> BureauReport: ...
    def courts(self, id_number: str) -> CourtRecord: ...
    def tax(self, id_number: str) -> TaxRecord: ...
    def telecom(self, phone: str, id_number: str) -> TelecomRecord: ...
    def deposits(self, id_number: str) -> Decimal: ...
    def watchlisted(self, id_number: str) -> bool: ...


# Sequence codes (ID digits 15-17) that make the fake report a signal.
SIGNALS = {
    "court_enforcement": range(990, 1000), "tax_arrears": range(980, 990), "bureau_delinquent": range(970, 980),
    "query_burst": range(960, 970), "new_phone": range(950, 960), "watchlist": range(940, 950),
    "name_mismatch": range(930, 940), "litigious": range(920, 930), "many_loans": range(910, 920),
    "income_inflated": range(900, 910),
}


def _code(id_number: str) -> int:
    return int(id_number[14:17]) if len(id_number) >= 17 and id_number[14:17].isdigit() else 0


def _has(id_number: str, signal: str) -> bool:
    return _code(id_number) in SIGNALS[signal]


class FakeProviders:
    def bureau(self, id_number: str, name: str, declared_income: Decimal) -> BureauReport:
        digest = int(hashlib.sha256(id_number.encode()).hexdigest()[:8], 16)
        income = declared_income / 5 if _has(id_number, "income_inflated") else declared_income
        return BureauReport(
            name_matches_id=not _has(id_number, "name_mismatch"),
            overdue_max_days=120 if _has(id_number, "bureau_delinquent") else 0,
            queries_3m=15 if _has(id_number, "query_burst") else digest % 3,
            credit_history_months=24 + digest % 96,
            loans_open=6 if _has(id_number, "many_loans") else digest % 2,
            verified_income=income,
        )

    def courts(self, id_number: str) -> CourtRecord:
        return CourtRecord(1 if _has(id_number, "court_enforcement") else 0, 4 if _has(id_number, "litigious") else 0)

    def tax(self, id_number: str) -> TaxRecord:
        return TaxRecord(_has(id_number, "tax_arrears"))

    def telecom(self, phone: str, id_number: str) -> TelecomRecord:
        return TelecomRecord(1 if _has(id_number, "new_phone") else 60, True)

    def deposits(self, id_number: str) -> Decimal:
        return Decimal(int(hashlib.sha256(id_number.encode()).hexdigest()[8:12], 16) % 80_000)

    def watchlisted(self, id_number: str) -> bool:
        return _has(id_number, "watchlist")
