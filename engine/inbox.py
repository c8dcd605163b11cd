"""Inbox queries over the task table: never touches serialized workflows."""
from __future__ import annotations

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from .models import DutyHolder, HumanTask
from .runtime import Actor, SodPolicy


def workable(session: Session, actor: Actor, sod: SodPolicy, limit: int = 50, offset: int = 0,
             business_key: str | None = None) -> tuple[list[HumanTask], int | None]:
    """Ready tasks assigned to the actor, or unassigned in one of their posts, minus those
    that separation of duties forbids them on that application."""
    conflicting = exists().where(and_(
        DutyHolder.business_key == HumanTask.business_key,
        DutyHolder.username == actor.username,
        DutyHolder.duty != HumanTask.duty,
        DutyHolder.duty.in_(sod.exclusive),
        HumanTask.duty.in_(sod.exclusive),
    ))
    mine = HumanTask.assignee == actor.username
    queue = and_(HumanTask.assignee.is_(None), HumanTask.post.in_(actor.posts or {"-"}))
    query = select(HumanTask).where(HumanTask.state == "ready", or_(mine, queue), ~conflicting)
    if business_key is not None:
        query = query.where(HumanTask.business_key == business_key)
    rows = list(session.scalars(query.order_by(HumanTask.created_at, HumanTask.id).limit(limit + 1).offset(offset)))
    more = offset + limit if len(rows) > limit else None
    return rows[:limit], more


def of_business_key(session: Session, business_key: str, states: tuple[str, ...] = ("ready",)) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.business_key == business_key, HumanTask.state.in_(states)).order_by(HumanTask.created_at)))


def of_instance(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.state == "ready").order_by(HumanTask.created_at)))
