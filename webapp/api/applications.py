from __future__ import annotations

from flask import request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from credit import services
from credit.models import Application, Loan
from engine import inbox
from engine.models import AuditEvent

from .. import access, clients, intake_rules
from ..extensions import container
from . import bp, parsing
from .auth import login_required, principal
from .errors import ApiError
from .presenters import application_json, event_json
from .schemas import SubmissionSchema

MAX_KEY = 128


_load_body = parsing.load  # the JSON object body through a schema: 400 / located 422, never a 500


def _application(session, application_id: int) -> Application:
    app = access.find_application(session, principal(), application_id)  # None outside the caller's scope
    if app is None or not clients.may_read_application(principal(), app):
        raise ApiError(404, "not_found", f"no application {application_id}")
    return app


def _present(session, app: Application) -> dict:
    from credit import documents

    from .collaboration import attachment_json

    loan_id = session.scalar(select(Loan.id).where(Loan.application_id == app.id))
    body = application_json(app, inbox.of_business_key(session, str(app.id)),
                            services.decisions_of(session, app.id), loan_id)
    comments, attachments = documents.of_application(session, app.id)
    body["comments"] = [{"id": c.id, "author": c.author, "body": c.body, "task_id": c.task_id,
                         "at": c.at.isoformat()} for c in comments]
    body["attachments"] = [attachment_json(a) for a in attachments]
    return body


@bp.post("/applications")
@login_required("customer_manager", "admin", scopes=(clients.SUBMIT,))
def submit_application():
    key = request.headers.get("Idempotency-Key")
    if key is not None and not parsing.IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(400, "bad_request", f"Idempotency-Key must be 1..{MAX_KEY} visible ASCII characters")
    who = principal()
    body = _load_body(SubmissionSchema())
    if who.is_client:  # a client's channel is its own; an officer names any
        body["channel"] = clients.channel_for(who, request.get_json(silent=True))
    c = container()
    user = who.username
    try:
        with c.uow() as uow:
            app, created = services.submit_application(uow.session, c.runtime, body, user, key, c.clock.now(),
                                                       client_id=who.client_id,
                                                       age_rules=intake_rules.age_rules(c, uow.session))
            uow.commit()
            return clients.client_view(who, _present(uow.session, app)), 201 if created else 200
    except IntegrityError:
        if not key:
            raise
    # Two requests raced with one key: the other one won; answer with its application.
    with c.uow() as uow:
        app = services.find_by_idempotency_key(uow.session, user, key)
        if app is None:
            raise ApiError(409, "conflict", "concurrent submission; retry")
        if app.request_hash != services.request_fingerprint(body):
            raise services.IdempotencyMismatch("Idempotency-Key was used with a different request")
        return clients.client_view(who, _present(uow.session, app)), 200


@bp.get("/applications/<int:application_id>")
@login_required(scopes=(clients.READ_OWN,))
def get_application(application_id: int):
    with container().uow() as uow:
        return clients.client_view(principal(), _present(uow.session, _application(uow.session, application_id)))


@bp.get("/applications/<int:application_id>/history")
@login_required()
def application_history(application_id: int):
    with container().uow() as uow:
        _application(uow.session, application_id)
        events = [event_json(e) for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.business_key == str(application_id)).order_by(AuditEvent.seq))]
        if access.blind_to_votes(uow.session, principal(), str(application_id)):
            events = access.hide_votes(events, principal())
        return {"application_id": application_id, "events": events}


@bp.get("/applications/<int:application_id>/contract.pdf")
@login_required()
def contract_pdf(application_id: int):
    from flask import Response

    from credit import documents
    from credit.contract_templates import Contract

    with container().uow() as uow:
        app = _application(uow.session, application_id)
        contract = uow.session.scalars(select(Contract).where(Contract.application_id == app.id)).first()
        if contract is None:
            raise ApiError(404, "not_found", f"application {application_id} has no contract yet (status {app.status})")
        return Response(documents.blob(uow.session, contract.sha256), mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{app.contract_no}.pdf"', "X-Checksum-Sha256": contract.sha256,
            "X-Template-Versions": ",".join(f"{k}:{v}" for k, v in contract.template_versions.items())})
