"""A loan is locked while its partition runs: a repayment for it waits and is applied afterwards (PostgreSQL:
FOR UPDATE per partition; SQLite: both take the single write lock first, so the repayment waits for it)."""
from __future__ import annotations

import threading
import time
from datetime import timedelta


from credit.models import Loan, ScheduleLine
from credit.postloan import nightly
from credit.postloan.repayments import Payment
from tests.integration.driver import Driver
from webapp import postloan


def test_a_repayment_waits_for_the_partition_that_holds_its_loan(container):
    d = Driver(container)
    loan = d.loan(d.submit("SHANDAI", "30000", 12, income="150000"))
    first = loan.schedule[0]
    day = first.due_date + timedelta(days=3)
    postloan.run(container, as_of=day - timedelta(days=1))
    done: list = []
    with container.engine.connect() as conn:
        tx = conn.begin()
        result = nightly.run_partition(conn, day, loan.id, loan.id + 1)
        assert result.scanned == 1 and result.changed == 1  # 3 days past due, written but not committed

        def pay():
            done.append(postloan.record_repayment(container, Payment(loan.id, "WAIT", day - timedelta(days=1),
                                                                     first.total), "admin"))

        worker = threading.Thread(target=pay)
        worker.start()
        time.sleep(0.8)
        assert worker.is_alive() and not done  # waiting on the partition's lock
        tx.commit()
    worker.join(10)
    assert done and done[0][1] is True
    with container.uow() as uow:
        got = uow.session.get(Loan, loan.id)
        assert got.days_past_due == 3  # what the partition wrote stays; the next run sees the payment
        line = uow.session.get(ScheduleLine, (loan.id, 1))
        assert line.paid_principal == first.principal and line.paid_at == day - timedelta(days=1)
    postloan.run(container, as_of=day)
    with container.uow() as uow:
        assert uow.session.get(Loan, loan.id).days_past_due == 0
