"""Officer workbench: server-rendered pages with htmx, mobile first."""
from flask import Blueprint

bp = Blueprint("ui", __name__, template_folder="../templates")

from . import applications, contract_templates, inbox, lists, session, tasks  # noqa: E402,F401
