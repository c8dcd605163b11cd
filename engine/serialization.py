"""Workflow state as SpiffWorkflow's versioned JSON, without the specs.

Specs come from the immutable deployment the instance is pinned to, so each row
holds only task state and data: small rows, and no re-parsing of specs per load.
"""
from __future__ import annotations

import json
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

SERIALIZER_VERSION = VERSION


class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None, script_engine=None):
        workflow = self.target_class(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateSerializer:
    def __init__(self):
        registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        _SpecFreeWorkflowConverter(BpmnWorkflow, registry)
        self._inner = BpmnWorkflowSerializer(registry)
        self.version = SERIALIZER_VERSION

    def dumps(self, workflow: BpmnWorkflow) -> str:
        inner = self._inner
        inner.registry._encoder_mode = True
        try:
            dct = inner.to_dict(workflow)
        finally:
            inner.registry._encoder_mode = False
        dct[inner.VERSION_KEY] = self.version
        return json.dumps(dct, cls=inner._encoder_cls, separators=(",", ":"), ensure_ascii=False)

    def loads(self, text: str, spec, subprocess_specs, script_engine=None) -> BpmnWorkflow:
        dct = json.loads(text)
        version = dct.pop(self._inner.VERSION_KEY)
        if version != self.version and version in MIGRATIONS:
            raise ValueError(f"state written by serializer {version}; migrate it before loading")
        return self._inner.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs, script_engine=script_engine)
