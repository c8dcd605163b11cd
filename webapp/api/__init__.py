"""REST API under /api/v1: JSON, bearer tokens, OpenAPI at /api/v1/openapi.json."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import applications, auth, collaboration, definitions, loans, openapi, products, tasks, templates_api  # noqa: E402,F401
from . import users  # noqa: E402,F401
from . import postloan  # noqa: E402,F401  (repayments, loan list)
