"""One HTTP status per kind of failure, always as JSON with a clear message."""
from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from credit.documents import DocumentRefused
from credit.services import IdempotencyMismatch, SubmissionRefused
from engine.errors import Conflict, Forbidden, InvalidData, NotFound, ProcessFailure
from engine.lint import ModelError

from .. import i18n


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, **extra):
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


def _body(status: int, error: str, message: str, **extra):
    response = jsonify({"error": error, "message": message, **extra})
    response.status_code = status
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return _body(exc.status, exc.error, exc.message, **exc.extra)

    @app.errorhandler(InvalidData)
    def invalid(exc: InvalidData):
        return _body(422, "validation_failed", "some fields are invalid", fields=i18n.errors(exc.errors))

    @app.errorhandler(SubmissionRefused)
    @app.errorhandler(DocumentRefused)
    def refused(exc):
        return _body(422, "validation_failed", str(exc), fields=i18n.errors(exc.errors))

    @app.errorhandler(ModelError)
    def bad_model(exc: ModelError):
        return _body(422, "invalid_model", str(exc), problems=[p.as_dict() for p in exc.problems])

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return _body(404, "not_found", str(exc))

    @app.errorhandler(Forbidden)
    def forbidden(exc: Forbidden):
        return _body(403, "forbidden", str(exc))

    @app.errorhandler(Conflict)
    def conflict(exc: Conflict):
        return _body(409, "conflict", str(exc))

    @app.errorhandler(IdempotencyMismatch)
    def idem(exc: IdempotencyMismatch):
        return _body(409, "idempotency_key_reused", str(exc))

    @app.errorhandler(ProcessFailure)
    def failed(exc: ProcessFailure):
        return _body(422, "process_failed", f"the process failed and nothing was changed: {exc}",
                     element=exc.element)

    @app.errorhandler(HTTPException)
    def http(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return exc
        return _body(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")
