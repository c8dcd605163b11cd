"""Inbox queries over the task table: never touches serialized workflows."""
from __future__ import annotations

import json

from sqlalchemy import Text, and_, cast, exists, or_, select
from sqlalchemy.orm import Session

from .models import DutyHolder, HumanTask
from .runtime import Actor, SodPolicy


def workable(session: Session, actor: Actor, sod: SodPolicy, limit: int = 50, offset: int = 0,
             business_key: str | None = None, in_scope=None) -> tuple[list[HumanTask], int | None]:
    """Ready tasks assigned to the actor, or waiting in their queue, minus those that
    separation of duties forbids them on that application. `in_scope`, a condition the caller
    builds, narrows the queue to what the actor may see."""
    mine = HumanTask.assignee == actor.username
    queue = in_queue(actor) if in_scope is None else and_(in_queue(actor), in_scope)
    query = select(HumanTask).where(HumanTask.state == "ready", or_(mine, queue), ~conflicts(actor, sod))
    if business_key is not None:
        query = query.where(HumanTask.business_key == business_key)
    rows = list(session.scalars(query.order_by(HumanTask.created_at, HumanTask.id).limit(limit + 1).offset(offset)))
    more = offset + limit if len(rows) > limit else None
    return rows[:limit], more


def in_queue(actor: Actor):
    """Unassigned, in one of the actor's posts, and open to them: no candidate list, or one naming them."""
    return and_(HumanTask.assignee.is_(None), HumanTask.post.in_(actor.posts or {"-"}), _open_to(actor.username))


def conflicts(actor: Actor, sod: SodPolicy):
    """The actor already holds another exclusive duty on the task's application."""
    return exists().where(and_(
        DutyHolder.business_key == HumanTask.business_key,
        DutyHolder.username == actor.username,
        DutyHolder.duty != HumanTask.duty,
        DutyHolder.duty.in_(sod.exclusive),
        HumanTask.duty.in_(sod.exclusive),
    ))


def named(username: str):
    """The task's candidate list names the user."""
    needle = json.dumps(username).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(HumanTask.candidates, Text).like(f"%{needle}%", escape="\\")


def _open_to(username: str):
    # Candidates are a JSON list; matching its text keeps the query the same on SQLite and PostgreSQL.
    return or_(cast(HumanTask.candidates, Text) == "[]", named(username))


def of_business_key(session: Session, business_key: str, states: tuple[str, ...] = ("ready",)) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.business_key == business_key, HumanTask.state.in_(states)).order_by(HumanTask.created_at)))


def of_instance(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.state == "ready").order_by(HumanTask.created_at)))
