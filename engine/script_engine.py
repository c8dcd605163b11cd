"""The SpiffWorkflow script engine the runtime hands each workflow it loads.

It routes expressions and scripts to the sandbox, service tasks to the registry and
DMN tasks to our evaluator, and tells the run context what happened for the audit log.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import audit, dmn
from .sandbox import Sandbox, ScriptError
from .services import ServiceContext, ServiceRegistry

if TYPE_CHECKING:
    from .runtime import RunContext


def _json_default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(f"{type(o).__name__} is not JSON-able")


class _SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def __init__(self, sandbox: Sandbox):
        super().__init__({})
        self.sandbox = sandbox

    def evaluate(self, expression, context, external_context=None):
        return self.sandbox.evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        self.sandbox.execute(script, context, external_context)
        return True


class RuntimeScriptEngine(PythonScriptEngine):
    def __init__(self, sandbox: Sandbox, services: ServiceRegistry, run: "RunContext"):
        super().__init__(environment=_SandboxEnvironment(sandbox))
        self.sandbox = sandbox
        self.services = services
        self.run = run

    def validate(self, expression):
        from .sandbox import compile_checked

        compile_checked(expression, "eval")

    def call_service(self, task, operation_name=None, operation_params=None, **_):
        fn = self.services.get(operation_name)
        params = {k: v["value"] for k, v in (operation_params or {}).items()}
        ctx = ServiceContext(self.run.session, self.run, task.data, task.task_spec.name)
        try:
            result = fn(ctx, **params) or {}
        except WorkflowTaskException:
            raise
        except Exception as exc:
            raise WorkflowTaskException(f"service {operation_name} failed: {exc}", task=task, exception=exc) from exc
        self.run.record("service_called", task, {"service": operation_name, "params": params})
        return json.dumps(result, default=_json_default, ensure_ascii=False)

    def decide(self, decision_id: str, task) -> dict[str, Any]:
        table = self.run.models.tables[decision_id]
        try:
            ev = dmn.evaluate(table, task.data, self.sandbox)
        except (dmn.DecisionError, ScriptError) as exc:
            raise WorkflowTaskException(f"decision {decision_id}: {exc}", task=task, exception=exc) from exc
        version = f"{decision_id}@d{self.run.deployment_version}:{table.sha256[:12]}"
        outputs = json.loads(json.dumps(ev.outputs, default=_json_default))
        inputs = json.loads(json.dumps(ev.inputs, default=_json_default))
        context = json.loads(json.dumps({k: task.data[k] for k in table.reads if k in task.data}, default=_json_default))
        self.run.decisions.append({
            "table": decision_id, "name": table.name, "version": version, "inputs": inputs,
            "outputs": outputs, "matched_rules": ev.matched_rules, "descriptions": ev.descriptions, "context": context,
            "task": task.task_spec.name, "at": self.run.now.isoformat(),
        })
        audit.record(self.run.session, audit.PendingEvent(
            at=self.run.now, actor=self.run.actor, type="decision_evaluated",
            instance_id=self.run.instance_id, business_key=self.run.business_key, task_id=str(task.id),
            data={"table": decision_id, "inputs": inputs, "outputs": outputs}, model_version=version,
            rule_ids=ev.matched_rules,
        ))
        return outputs
