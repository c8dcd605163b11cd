"""Post-loan management: repayments from core banking, and the nightly run (days past due, overdue
amounts, five-grade classification with history, closure). Plain Python + SQLAlchemy; no engine, no Flask."""

from . import models  # noqa: E402,F401  (registers the post-loan tables with CreditBase)
