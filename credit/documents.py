"""Comments and evidence on applications and tasks. Documents are stored once per content
hash and referenced, so forms and workflow state carry ids, never bytes."""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, LargeBinary, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from forms.fields import MAX_FILE_BYTES, sniff

from .models import CreditBase

MAX_COMMENT = 2000


class DocumentRefused(ValueError):
    """field -> messages, like every refusal of input."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.errors = {field: [message]}


class Blob(CreditBase):
    __tablename__ = "document_blob"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Attachment(CreditBase):
    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(ForeignKey("document_blob.sha256"))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]


class Comment(CreditBase):
    __tablename__ = "comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


def add_comment(session: Session, application_id: int, author: str, body: str, now: datetime,
                task_id: str | None = None) -> Comment:
    body = (body or "").strip()
    if not body:
        raise DocumentRefused("body", "This field is required.")
    if len(body) > MAX_COMMENT:
        raise DocumentRefused("body", "Too long.")
    comment = Comment(application_id=application_id, task_id=task_id, author=author, body=body, at=now)
    session.add(comment)
    session.flush()
    return comment


def keep(session: Session, content: bytes) -> str:
    """Store bytes once, by their SHA-256; every document (uploads, contracts, reports) points here."""
    digest = hashlib.sha256(content).hexdigest()
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, content=content))
        session.flush()  # the blob row must exist before anything points at it
    return digest


def blob(session: Session, digest: str) -> bytes:
    return session.get(Blob, digest).content


def store(session: Session, application_id: int, filename: str, content: bytes, uploader: str, now: datetime,
          task_id: str | None = None, field: str = "file") -> Attachment:
    """Check an upload by its bytes (type and size) and keep it once per hash."""
    if not content:
        raise DocumentRefused(field, "The file is empty.")
    if len(content) > MAX_FILE_BYTES:
        raise DocumentRefused(field, f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    content_type = sniff(content)
    if content_type is None:
        raise DocumentRefused(field, "Only JPEG, PNG and PDF files are accepted.")
    digest = keep(session, content)
    name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"
    attachment = Attachment(application_id=application_id, task_id=task_id, filename=name, content_type=content_type,
                            size=len(content), sha256=digest, uploaded_by=uploader, uploaded_at=now)
    session.add(attachment)
    session.flush()
    return attachment


def of_application(session: Session, application_id: int) -> tuple[list[Comment], list[Attachment]]:
    comments = list(session.scalars(select(Comment).where(Comment.application_id == application_id).order_by(Comment.id)))
    attachments = list(session.scalars(select(Attachment).where(Attachment.application_id == application_id)
                                       .order_by(Attachment.id)))
    return comments, attachments


def content_of(session: Session, attachment: Attachment) -> bytes:
    return blob(session, attachment.sha256)


