"""Use cases as the web sees them: one unit of work each, collaborators from the container."""
from __future__ import annotations

from typing import Any

from credit import documents, services as credit_services
from engine.errors import InvalidData

from . import access, intake_rules
from .bootstrap import Container


def submit_application(c: Container, user: str, body: dict, key: str | None = None):
    with c.uow() as uow:
        app, created = credit_services.submit_application(uow.session, c.runtime, body, user, key, c.clock.now(),
                                                          age_rules=intake_rules.age_rules(c, uow.session))
        uow.commit()
        return app, created


def complete_task(c: Container, who, task_id: str, data: dict[str, Any],
                  uploads: dict[str, list[tuple[str, bytes]]] | None = None):
    """Store the uploads and complete the task in one transaction: a refused form keeps no file.
    `who` (a Principal, or an engine Actor) must see the task (404) and may work it (403)."""
    access.require_writer(who)
    actor = access.actor(who)
    with c.uow() as uow:
        data = dict(data)
        task = access.task(uow.session, who, task_id)
        if uploads and not (task.business_key or "").isdigit():
            raise InvalidData({name: ["This task belongs to no application."] for name in uploads})
        if uploads:
            errors: dict[str, list[str]] = {}
            for field_name, files in uploads.items():
                refs = []
                for filename, content in files:
                    try:
                        att = documents.store(uow.session, int(task.business_key), filename, content,
                                              actor.username, c.clock.now(), task_id=task.id, field=field_name)
                    except documents.DocumentRefused as exc:
                        errors.setdefault(field_name, []).extend(exc.errors[field_name])
                        continue
                    refs.append({"id": att.id, "sha256": att.sha256, "name": att.filename})
                if refs:
                    data[field_name] = refs
            if errors:
                raise InvalidData(errors)
        instance = c.runtime.complete(uow.session, task_id, actor, data)
        uow.commit()
        return instance


def claim(c: Container, who, task_id: str):
    access.require_writer(who)
    with c.uow() as uow:
        access.task(uow.session, who, task_id)
        task = c.runtime.claim(uow.session, task_id, access.actor(who))
        uow.commit()
        return task


def release(c: Container, who, task_id: str):
    access.require_writer(who)
    with c.uow() as uow:
        access.task(uow.session, who, task_id)
        task = c.runtime.release(uow.session, task_id, access.actor(who))
        uow.commit()
        return task


def reassign(c: Container, who, task_ids: list[str], to_user: str, reason: str) -> int:
    """A branch head (within their branch) or an administrator moves one task or many, with a reason; all or
    none. Four eyes hold: the new assignee must be someone who could claim the task (post, candidates,
    separation of duties, one committee seat each), whoever moves it, themselves included."""
    access.reassigner(who)
    if not reason.strip():
        raise InvalidData({"reason": ["This field is required."]})
    if not task_ids:
        raise InvalidData({"task_ids": ["This field is required."]})
    with c.uow() as uow:
        to = access.assignee(uow.session, to_user)
        for task_id in task_ids:
            access.task(uow.session, who, task_id)
            c.runtime.reassign(uow.session, task_id, to, access.actor(who), reason.strip())
        uow.commit()
    return len(task_ids)


def start_test_run(c: Container, who, process_id: str, data: dict[str, Any], business_key: str | None = None):
    """A designer's test run: synthetic data only (a key that could name an application is refused), services
    replaced by dry-run doubles, its tasks only for the designer; marked as a test. Returns the instance."""
    access.require_writer(who)
    access.test_key(business_key)
    with c.uow() as uow:
        instance = c.runtime.start(uow.session, process_id, data, who.username, business_key, test=True)
        uow.commit()
        return instance


def add_comment(c: Container, who, application_id: int, body: str, task_id: str | None = None):
    """An officer's comment on an application in their scope, maybe on one of its tasks."""
    user = who.username
    with c.uow() as uow:
        access.files_of(uow.session, who, application_id, task_id)
        comment = documents.add_comment(uow.session, application_id, user, body, c.clock.now(), task_id)
        c.runtime.record(uow.session, user, "comment_added", str(application_id),
                         {"comment_id": comment.id, "task_id": task_id})
        uow.commit()
        return comment


def upload(c: Container, who, application_id: int, filename: str, content: bytes, task_id: str | None = None):
    user = who.username
    with c.uow() as uow:
        access.files_of(uow.session, who, application_id, task_id)
        att = documents.store(uow.session, application_id, filename, content, user, c.clock.now(), task_id)
        c.runtime.record(uow.session, user, "attachment_added", str(application_id),
                         {"attachment_id": att.id, "sha256": att.sha256, "name": att.filename, "size": att.size})
        uow.commit()
        return att


def deploy_contract_template(c: Container, user: str, name: str, source: str) -> dict[str, Any]:
    """Validate and deploy a template as a new version; TemplateRefused (located problems) stores nothing."""
    from credit import contract_templates, contracts

    with c.uow() as uow:
        template, created = contract_templates.deploy(uow.session, name, source, user, c.clock.now(),
                                                      contracts.sample_context())
        if created:
            c.runtime.record(uow.session, user, "template_deployed", None,
                             {"name": name, "version": template.version, "sha256": template.sha256})
        uow.commit()
        return {"name": name, "version": template.version, "sha256": template.sha256, "created": created}


def preview_contract_template(c: Container, name: str, source: str) -> bytes:
    """The candidate rendered with sample data among the active templates, watermarked 样本; nothing stored."""
    from credit import contract_templates, contracts

    from .pdf import RenderRefused, html_to_pdf

    with c.uow() as uow:
        sources = {k: t.source for k, t in contract_templates.active(uow.session).items()}
    sample = contracts.sample_context()
    problems = contract_templates.validate(name, source, {k: v for k, v in sources.items() if k != name}, sample)
    if problems:
        raise contract_templates.TemplateRefused(problems)
    entry = name if name in ("contract", "first_inspection_report") or "extends" in source else contracts.ENTRY
    try:
        return html_to_pdf(contract_templates.render_html({**sources, name: source}, entry, sample))
    except RenderRefused as exc:  # a resource the fetcher refused: said to the designer, with its line if it shows
        raise contract_templates.refusal(name, source, sources, exc.problems) from None
