"""Tables the workflow runtime owns: deployments, instances, the task mirror, timers, duties, audit."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value, dialect):
        from datetime import timezone

        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class EngineBase(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class ModelFile(EngineBase):
    """A BPMN or DMN file's content, stored once per content hash."""

    __tablename__ = "model_file"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Deployment(EngineBase):
    """An immutable snapshot of the whole model set. Instances pin the one they started on."""

    __tablename__ = "deployment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime]
    files: Mapped[list["DeploymentFile"]] = relationship(
        back_populates="deployment", order_by="DeploymentFile.filename"
    )


class DeploymentFile(EngineBase):
    __tablename__ = "deployment_file"
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # bpmn | dmn
    sha256: Mapped[str] = mapped_column(ForeignKey("model_file.sha256"))
    deployment: Mapped[Deployment] = relationship(back_populates="files")


class ProcessDefinition(EngineBase):
    """One version of one executable process: bumps only when its own file changes."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("process_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8), default="bpmn")  # bpmn process | dmn decision
    created_at: Mapped[datetime]


class ProcessInstance(EngineBase):
    __tablename__ = "process_instance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"))
    process_id: Mapped[str] = mapped_column(String(128))
    business_key: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running | complete | failed
    serialization: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    started_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[Optional[datetime]]
    error: Mapped[Optional[str]] = mapped_column(Text)  # why it failed (status `failed`)
    error_element: Mapped[Optional[str]] = mapped_column(String(128))  # the BPMN element that failed
    # A designer's test run: synthetic data, services replaced by dry-run doubles, its tasks only for its
    # starter; left out of monitoring figures.
    is_test: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)
    __mapper_args__ = {"version_id_col": version}


class HumanTask(EngineBase):
    """Mirror of READY user tasks, so inbox queries never deserialize a workflow."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_inbox_post", "state", "post", "created_at"),
        Index("ix_human_task_inbox_assignee", "state", "assignee", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    business_key: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    process_id: Mapped[str] = mapped_column(String(128))
    spec_name: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(255))
    form_key: Mapped[str] = mapped_column(String(64))
    post: Mapped[str] = mapped_column(String(32))
    duty: Mapped[Optional[str]] = mapped_column(String(32))
    assignee: Mapped[Optional[str]] = mapped_column(String(64))
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16))  # ready | completed | cancelled
    due_at: Mapped[Optional[datetime]]
    created_at: Mapped[datetime]
    completed_at: Mapped[Optional[datetime]]
    completed_by: Mapped[Optional[str]] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # submitted form data, once completed


class Timer(EngineBase):
    __tablename__ = "timer"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # task UUID of the waiting event
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    spec_name: Mapped[str] = mapped_column(String(128))
    fire_at: Mapped[datetime] = mapped_column(index=True)


class DutyHolder(EngineBase):
    """Who holds which duty on a business key: the basis of separation of duties."""

    __tablename__ = "duty_holder"
    business_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    duty: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    since: Mapped[datetime]


class AuditEvent(EngineBase):
    """Append-only and hash-chained: seq is gap-free and every hash covers its predecessor."""

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    business_key: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_version: Mapped[Optional[str]] = mapped_column(String(64))
    rule_ids: Mapped[list[Any]] = mapped_column(default=list)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(EngineBase):
    """Single row locked while sealing, so concurrent writers extend one chain, never fork it."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


class Lease(EngineBase):
    """A named lease: who holds it and until when. Whoever holds an unexpired lease acts; the others wait."""

    __tablename__ = "lease"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    renewed_at: Mapped[datetime]
