"""The SpiffWorkflow script engine the runtime hands each workflow it loads.

Every expression and script SpiffWorkflow evaluates (gateway conditions, scripts, pre- and
post-scripts, timers, multi-instance collections and conditions, service-task parameters,
message correlations) reaches FEEL through this engine: SpiffWorkflow's Python `eval` and
`exec` are never called. Service tasks go to the registry and DMN tasks to our evaluator, and
the run context hears what happened, for the audit log.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import audit, dmn, feel
from .expressions import Expressions
from .services import ServiceContext, ServiceRegistry

if TYPE_CHECKING:
    from .runtime import RunContext


def _plain(value: Any) -> Any:
    return feel.to_plain(value)


class FeelEnvironment(BasePythonScriptEngineEnvironment):
    """Answers SpiffWorkflow's calls that bypass the task (process completion conditions,
    message correlations) in FEEL too."""

    def __init__(self, expressions: Expressions):
        super().__init__({})
        self.expressions = expressions

    def evaluate(self, expression, context, external_context=None):
        return self.expressions.evaluate(expression, {**(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        self.expressions.run_script(script, context, None)
        return True


class RuntimeScriptEngine(PythonScriptEngine):
    def __init__(self, expressions: Expressions, services: ServiceRegistry, run: "RunContext"):
        super().__init__(environment=FeelEnvironment(expressions))
        self.expressions = expressions
        self.services = services
        self.run = run

    def validate(self, expression):
        feel.parse_expression(expression)

    def evaluate(self, task, expression, external_context=None):
        data = {**external_context, **task.data} if external_context else task.data
        try:
            if external_context is not None:
                # SpiffWorkflow passes the data objects only when it evaluates a sequence flow's or a
                # conditional event's condition: those take their path only when true.
                return self.expressions.condition(expression, data)
            return self.expressions.evaluate(expression, data)
        except feel.FeelError as exc:
            raise WorkflowTaskException(f"FEEL expression {expression!r}: {exc}", task=task, exception=exc) from exc

    def execute(self, task, script, external_context=None):
        spec = task.task_spec
        result_variable = getattr(spec, "result_variable", None) if script == getattr(spec, "script", None) else None
        try:
            self.expressions.run_script(script, task.data, result_variable)
        except feel.FeelError as exc:
            raise WorkflowTaskException(f"FEEL script: {exc}", task=task, exception=exc) from exc
        return True

    def call_service(self, task, operation_name=None, operation_params=None, **_):
        fn = self.services.for_run(operation_name, self.run.is_test)
        params = {k: v["value"] for k, v in (operation_params or {}).items()}
        ctx = ServiceContext(self.run.session, self.run, task.data, task.task_spec.name)
        try:
            result = fn(ctx, **params) or {}
        except (WorkflowTaskException, SpiffWorkflowException):
            raise
        except Exception as exc:
            raise WorkflowTaskException(f"service {operation_name} failed: {exc}", task=task, exception=exc) from exc
        self.run.record("service_called", task, {"service": operation_name, "params": _json_safe(params),
                                                 **({"dry_run": True} if self.run.is_test else {})})
        # SpiffWorkflow json-decodes what a service returns; Decimals and dates travel as text.
        import json

        return json.dumps(result, default=_json_default, ensure_ascii=False)

    def decide(self, decision_id: str, task) -> dict[str, Any]:
        decision = self.run.models.tables[decision_id]
        try:
            ev = dmn.evaluate(decision, task.data, self.expressions.budget())
        except (dmn.DecisionError, feel.FeelError) as exc:
            raise WorkflowTaskException(f"decision {decision_id}: {exc}", task=task, exception=exc) from exc
        version = f"{decision_id}@d{self.run.deployment_version}:{decision.sha256[:12]}"
        outputs = _plain(ev.outputs)
        inputs = _json_safe(_plain(ev.inputs))
        context = _json_safe({k: task.data[k] for k in decision.reads if k in task.data})
        self.run.decisions.append({
            "table": decision_id, "name": decision.name, "version": version, "inputs": inputs,
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


def _json_default(o: Any) -> Any:
    from decimal import Decimal

    if isinstance(o, Decimal):
        return str(o)
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(f"{type(o).__name__} is not JSON-able")


def _json_safe(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))
