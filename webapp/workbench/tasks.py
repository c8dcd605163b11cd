from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import Conflict, Forbidden, InvalidData, NotFound, ProcessFailure
from forms import FORMS

from .. import access, i18n, queries, services
from ..extensions import container
from . import bp, carried
from .formdata import parse
from .session import login_required


def _page(task_id: str, values=None, errors=None, status=200):
    c = container()
    with c.uow() as uow:
        try:
            task = access.task(uow.session, g.me, task_id)
        except NotFound:
            abort(404)
        view = queries.application_view(uow.session, g.me, int(task.business_key)) if task.business_key else None
        blocked = None
        if task.state == "ready":
            blocked = c.runtime.may_work(uow.session, task, g.me.actor)
        can_claim = task.state == "ready" and task.assignee is None and blocked is None
        earlier = carried.of_task(uow.session, g.me, task)
        # People by name on the page: the assignee, whoever acted in the timeline, whoever was allocated.
        who = {task.assignee} | ({e.actor for e in view.events} | set((view.application.assignments or {}).values())
                                 if view else set())
        people = carried.names(uow.session, {u for u in who if isinstance(u, str)})
    form = FORMS.get(task.form_key)
    # A returned task starts from what was entered before; a refused post keeps what was just typed.
    values = values if values is not None else earlier.prefill
    return render_template("task.html", task=task, view=view, form=form, values=values or {}, errors=errors or {},
                           blocked=blocked, can_claim=can_claim, now=c.clock.now(), sla=queries.sla,
                           carried=earlier, shown=carried.shown, people=people), status


@bp.get("/tasks/<task_id>")
@login_required
def task_page(task_id: str):
    return _page(task_id)


@bp.post("/tasks/<task_id>")
@login_required
def complete(task_id: str):
    c = container()
    with c.uow() as uow:
        try:
            task = access.task(uow.session, g.me, task_id)
        except NotFound:
            abort(404)
    if task.form_key not in FORMS:
        abort(404)
    data, uploads = parse(task.form_key, request.form, request.files)
    try:
        services.complete_task(c, g.me, task_id, data, uploads)
    except InvalidData as exc:
        return _page(task_id, request.form, i18n.errors(exc.errors), 422)
    except Forbidden as exc:
        flash(str(exc), "error")
        return _page(task_id, request.form, status=403)
    except Conflict as exc:
        flash(_("This task was already completed or taken: %(why)s", why=str(exc)), "error")
        return redirect(url_for("ui.inbox"), 303)
    except ProcessFailure as exc:
        flash(_("The process could not continue; nothing was changed. %(why)s", why=str(exc)), "error")
        return _page(task_id, request.form, status=422)
    flash(_("Done: %(title)s", title=_(task.title)))
    return redirect(url_for("ui.application_page", application_id=int(task.business_key)) if task.business_key
                    else url_for("ui.inbox"), 303)


def _act(action, task_id: str, done: str, then: str):
    try:
        action(container(), g.me, task_id)
        flash(done)
    except (Forbidden, Conflict) as exc:
        flash(str(exc), "error")
    except NotFound:
        abort(404)
    return redirect(then, 303)


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str):
    return _act(services.claim, task_id, _("The task is yours."), url_for("ui.task_page", task_id=task_id))


@bp.post("/tasks/<task_id>/release")
@login_required
def release(task_id: str):
    return _act(services.release, task_id, _("The task is back in the queue."), url_for("ui.inbox"))
