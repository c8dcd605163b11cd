"""Deployments: immutable, hashed, numbered snapshots of the model set.

Deploying validates the whole set as it would run; a bad set raises ModelError and
stores nothing. Each process (and decision) gets a new version only when its own
file changed, and running instances stay on the deployment they started with.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .compiler import CompiledModels, compile_models, kind_of
from .lint import LintConfig, ModelError, Problem
from .models import Deployment, DeploymentFile, ModelFile, ProcessDefinition

MAX_MODEL_BYTES = 2 * 1024 * 1024


@dataclass
class DeployResult:
    deployment: Deployment
    created: bool
    definitions: list[ProcessDefinition]


class DefinitionStore:
    """Compiled deployments are cached by id: they never change once stored."""

    def __init__(self, lint_config: Callable[[], LintConfig] | LintConfig | None = None):
        self._lint_config = lint_config
        self._compiled: dict[int, CompiledModels] = {}
        self._versions: dict[tuple[int, int], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def lint_config(self) -> LintConfig:
        cfg = self._lint_config
        return cfg() if callable(cfg) else (cfg or LintConfig(strict=False))

    def latest(self, session: Session) -> Deployment | None:
        return session.scalars(select(Deployment).order_by(Deployment.version.desc()).limit(1)).first()

    def files_of(self, session: Session, deployment: Deployment) -> dict[str, bytes]:
        hashes = {f.filename: f.sha256 for f in deployment.files}
        rows = session.execute(select(ModelFile.sha256, ModelFile.content).where(ModelFile.sha256.in_(set(hashes.values()))))
        content = {h: bytes(c) for h, c in rows}
        return {name: content[h] for name, h in hashes.items()}

    def compiled(self, session: Session, deployment_id: int) -> CompiledModels:
        found = self._compiled.get(deployment_id)
        if found is not None:
            return found
        with self._lock:
            if deployment_id not in self._compiled:
                deployment = session.get(Deployment, deployment_id)
                # Stored deployments passed lint once; re-check only that they still parse.
                self._compiled[deployment_id] = compile_models(self.files_of(session, deployment), LintConfig(strict=False))
            return self._compiled[deployment_id]

    def versions(self, session: Session, definition_id: int, deployment_id: int) -> tuple[int, int]:
        """(definition version, deployment version): immutable, so read once per process."""
        key = (definition_id, deployment_id)
        found = self._versions.get(key)
        if found is None:
            found = self._versions[key] = (
                session.get(ProcessDefinition, definition_id).version, session.get(Deployment, deployment_id).version)
        return found

    def deploy(self, session: Session, files: dict[str, bytes], actor: str, now: datetime, replace: bool = False) -> DeployResult:
        for name, content in files.items():
            if len(content) > MAX_MODEL_BYTES:
                raise ModelError([Problem(name, None, None, f"file is {len(content)} bytes; the limit is {MAX_MODEL_BYTES}")])
            if kind_of(name) is None:
                raise ModelError([Problem(name, None, None, "only .bpmn, .dmn and .tests.json files can be deployed")])
        latest = self.latest(session)
        merged = {} if (replace or latest is None) else self.files_of(session, latest)
        merged.update(files)
        compiled = compile_models(merged, self.lint_config())
        content_hash = hashlib.sha256(
            "\n".join(f"{name}:{compiled.hashes[name]}" for name in sorted(merged)).encode()
        ).hexdigest()
        if latest is not None and latest.content_hash == content_hash:
            return DeployResult(latest, False, [])

        known = set(session.scalars(select(ModelFile.sha256).where(ModelFile.sha256.in_(set(compiled.hashes.values())))))
        for name, content in merged.items():
            h = compiled.hashes[name]
            if h not in known:
                session.add(ModelFile(sha256=h, content=content))
                known.add(h)
        deployment = Deployment(
            version=(latest.version + 1) if latest else 1, content_hash=content_hash,
            deployed_by=actor, deployed_at=now,
        )
        session.add(deployment)
        session.flush()
        for name in sorted(merged):
            session.add(DeploymentFile(deployment_id=deployment.id, filename=name, kind=kind_of(name), sha256=compiled.hashes[name]))

        entries = [(pid, pname, fname, "bpmn") for pid, (pname, fname) in compiled.processes.items()]
        entries += [(t.decision_id, t.name, t.filename, "dmn") for t in compiled.tables.values()]
        created: list[ProcessDefinition] = []
        for pid, pname, fname, kind in sorted(entries):
            current = self.latest_definition(session, pid)
            file_hash = compiled.hashes[fname]
            if current is not None and current.sha256 == file_hash:
                continue
            definition = ProcessDefinition(
                process_id=pid, name=pname, version=(current.version + 1) if current else 1,
                deployment_id=deployment.id, filename=fname, sha256=file_hash, kind=kind, created_at=now,
            )
            session.add(definition)
            created.append(definition)
        session.flush()
        session.expire(deployment, ["files"])
        self._compiled[deployment.id] = compiled
        audit.record(session, audit.PendingEvent(
            at=now, actor=actor, type="deployed",
            data={"deployment": deployment.version, "files": {n: compiled.hashes[n] for n in sorted(merged)},
                  "new_versions": {d.process_id: d.version for d in created}},
            model_version=f"d{deployment.version}",
        ))
        return DeployResult(deployment, True, created)

    def latest_definition(self, session: Session, process_id: str) -> ProcessDefinition | None:
        return session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
            .order_by(ProcessDefinition.version.desc()).limit(1)
        ).first()

    def list_latest(self, session: Session) -> list[ProcessDefinition]:
        newest = (
            select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("v"))
            .group_by(ProcessDefinition.process_id).subquery()
        )
        return list(session.scalars(
            select(ProcessDefinition).join(newest, (ProcessDefinition.process_id == newest.c.process_id) & (ProcessDefinition.version == newest.c.v))
            .order_by(ProcessDefinition.kind, ProcessDefinition.process_id)
        ))
