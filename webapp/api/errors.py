"""One HTTP status per kind of failure, always as JSON with a clear message."""
from __future__ import annotations

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from credit.documents import DocumentRefused
from credit.services import IdempotencyMismatch, SubmissionRefused
from engine.errors import Conflict, Forbidden, InvalidData, NotFound, ProcessFailure
from engine.lint import ModelError

from .. import error_pages, i18n


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, **extra):
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


def _body(status: int, error: str, message: str, **extra):
    response = jsonify({"error": error, "message": message, **extra})
    response.status_code = status
    return response


RETRY_AFTER = "1"
_BUSY = ("database is locked", "database table is locked", "database is busy")
_LOST_RACE = ("could not serialize", "deadlock detected", "lock not available")


def _plain(status: int, message: str, headers: dict | None = None):
    """Pages get the app's error page, in the same status as the API's JSON."""
    return error_pages.render(status, message, headers)


def _answer(status: int, error: str, message: str, headers: dict | None = None):
    if not request.path.startswith("/api/"):
        return _plain(status, message, headers)
    response = _body(status, error, message)
    response.headers.update(headers or {})
    return response


def _database_errors(app: Flask) -> None:
    """A lost race between concurrent writers is a 409 (try again: the data moved) or a 503 with
    Retry-After (SQLite's single writer was busy); never a 500. Anything else is not hidden."""

    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    def lost_race(exc):
        return _answer(409, "conflict", "another request changed the same data at the same time; reload and retry")

    @app.errorhandler(DataError)
    def unstorable(exc):
        # The last line of defence: a value that got past validation but that no column can hold.
        return _answer(422, "validation_failed", "a value is out of range or not text the database can store")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def busy(exc):
        text = str(getattr(exc, "orig", exc)).lower()
        if any(s in text for s in _LOST_RACE):
            return _answer(409, "conflict", "another request changed the same data at the same time; retry")
        if any(s in text for s in _BUSY) or isinstance(exc, InterfaceError) or exc.connection_invalidated:
            return _answer(503, "busy", "the database is busy; retry shortly", {"Retry-After": RETRY_AFTER})
        raise exc


def init_app(app: Flask) -> None:
    from . import parsing

    parsing.init_app(app)
    _database_errors(app)

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
            if exc.code is None or exc.code < 400 or exc.response is not None:
                return exc  # redirects and prepared responses pass through
            # Werkzeug's own descriptions are English: error_pages shows a description only when readable
            return error_pages.render(exc.code, exc.description, {k: v for k, v in exc.get_headers()
                                                                  if k.lower() != "content-type"})
        response = _body(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")
        # Keep what the exception says in its headers: Allow on a 405, Retry-After, WWW-Authenticate.
        response.headers.update({k: v for k, v in exc.get_headers() if k.lower() != "content-type"})
        return response
