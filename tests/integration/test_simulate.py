"""`creditfactory simulate`: applications worked end to end through the real services."""
from sqlalchemy import select

from credit.contract_templates import Contract
from credit.models import Application, Loan
from engine.audit import verify
from engine.models import HumanTask, ProcessInstance
from tests.helpers import assert_round_trip
from tests.integration.test_cli import empty_db  # noqa: F401  (fixture)
from webapp import cli
from webapp.simulate import simulate


def test_simulated_applications_rest_disbursed_or_rejected_with_everything_recorded(container):
    out = simulate(container, 12, seed=5)
    assert len(out.applications) == 12 and out.waiting == {}
    assert sum(out.statuses.values()) == 12 and set(out.statuses) <= {"disbursed", "rejected"}
    assert out.statuses["disbursed"] >= 6
    with container.uow() as uow:
        s = uow.session
        disbursed = set(s.scalars(select(Application.id).where(Application.id.in_(out.applications),
                                                               Application.status == "disbursed")))
        assert set(s.scalars(select(Loan.application_id))) == disbursed
        assert set(s.scalars(select(Contract.application_id))) == disbursed
        completed = s.scalars(select(HumanTask).where(HumanTask.state == "completed")).all()
        assert len(completed) == out.tasks_completed > 0
        # separation of duties held: nobody both investigated and approved one application
        for app_id in out.applications:
            done = {t.spec_name: t.completed_by for t in s.scalars(select(HumanTask).where(
                HumanTask.business_key == str(app_id), HumanTask.state == "completed"))}
            if "approve" in done:
                assert done["approve"] not in (done.get("investigate"), done.get("cosign"))
        assert verify(s).ok
        instances = list(s.scalars(select(ProcessInstance.id)))
    for instance_id in instances:
        assert_round_trip(container, instance_id)


def test_the_same_seed_gives_the_same_applicants(container):
    first = simulate(container, 2, seed=9)
    with container.uow() as uow:
        names = [uow.session.get(Application, i).customer.name for i in first.applications]
    again = simulate(container, 2, seed=9)
    with container.uow() as uow:
        assert [uow.session.get(Application, i).customer.name for i in again.applications] == names
        # ... but never the same people twice: identity numbers follow the application count
        ids = [uow.session.get(Application, i).customer.id_number for i in first.applications + again.applications]
    assert len(set(ids)) == 4


def test_the_command(empty_db, capsys):  # noqa: F811
    assert cli.main(["init"]) == 0
    capsys.readouterr()
    assert cli.main(["simulate", "--applications", "3", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 applications, ")
    assert cli.main(["simulate", "--applications", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
