"""Drives applications through the service layer, checking the serializer round trip after every step."""
from __future__ import annotations

from sqlalchemy import select

from credit import services
from credit.demo import USERS
from credit.models import Application, Loan
from engine.models import HumanTask, ProcessInstance
from engine.runtime import Actor
from tests.conftest import applicant
from tests.helpers import assert_round_trip

POSTS = {username: frozenset(posts) for username, _, _, posts, _ in USERS}

GOOD_REPORT = {"site_rating": "good", "annual_income": "200000", "guarantee": "guarantee",
               "guarantor_name": "李保证", "findings": "经营正常"}


class Driver:
    def __init__(self, container):
        self.c = container
        self.seq = 0

    def actor(self, username: str) -> Actor:
        return Actor(username, POSTS[username])

    def submit(self, product: str, amount: str, term: int, user: str = "manager1", **person) -> int:
        self.seq += 1
        body = {"product_code": product, "amount": amount, "term_months": term, "purpose": "生产经营",
                "channel": "manager_app", "applicant": applicant(self.seq, **person)}
        with self.c.uow() as uow:
            app, _ = services.submit_application(uow.session, self.c.runtime, body, user, None, self.c.clock.now())
            uow.commit()
            app_id = app.id
        self.check(app_id)
        return app_id

    def instances(self, app_id: int) -> list[int]:
        with self.c.uow() as uow:
            return list(uow.session.scalars(select(ProcessInstance.id).where(ProcessInstance.business_key == str(app_id))))

    def check(self, app_id: int) -> None:
        for instance_id in self.instances(app_id):
            assert_round_trip(self.c, instance_id)

    def tasks(self, app_id: int) -> list[HumanTask]:
        with self.c.uow() as uow:
            return list(uow.session.scalars(select(HumanTask).where(
                HumanTask.business_key == str(app_id), HumanTask.state == "ready").order_by(HumanTask.spec_name)))

    def task(self, app_id: int, name: str) -> HumanTask:
        found = [t for t in self.tasks(app_id) if t.spec_name == name]
        assert found, f"no ready task {name}; ready: {[t.spec_name for t in self.tasks(app_id)]}"
        return found[0]

    def do(self, app_id: int, name: str, data: dict, user: str | None = None) -> HumanTask:
        task = self.task(app_id, name)
        user = user or task.assignee
        assert user, f"task {name} has no assignee"
        with self.c.uow() as uow:
            self.c.runtime.complete(uow.session, task.id, self.actor(user), data)
            uow.commit()
        self.check(app_id)
        return task

    def application(self, app_id: int) -> Application:
        with self.c.uow() as uow:
            return uow.session.get(Application, app_id)

    def loan(self, app_id: int) -> Loan | None:
        with self.c.uow() as uow:
            loan = uow.session.scalars(select(Loan).where(Loan.application_id == app_id)).first()
            if loan is not None:
                _ = loan.schedule
            return loan

    def wake_due(self) -> int:
        from webapp.scheduler import fire_due_timers

        return fire_due_timers(self.c)

    def investigate(self, app_id: int, report: dict | None = None) -> None:
        self.do(app_id, "investigate", report or GOOD_REPORT)
        self.do(app_id, "cosign", {"agree": True})

    def sign_and_disburse(self, app_id: int) -> None:
        self.do(app_id, "sign_contract", {"signed": True, "signing_place": "城关支行"})
        self.do(app_id, "disbursement_check", {"passed": True, "account_no": "6228480012345671"})
