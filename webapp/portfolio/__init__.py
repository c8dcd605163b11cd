"""Post-loan pages: the post-loan officer's work surface, one loan, the branch portfolio with its charts."""
from flask import Blueprint

bp = Blueprint("portfolio", __name__, template_folder="../templates")

from . import views  # noqa: E402,F401
