"""Task specs and parsers we add to SpiffWorkflow's: DMN tasks run by our evaluator,
and user tasks that keep their extension properties (form, due, duty, assignee)."""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser, UserTaskParser
from SpiffWorkflow.spiff.specs.defaults import ManualTask, NoneTask
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask

from .lint_modeler import DONE_FORM


class DecisionTask(SpiffBpmnTask):
    """businessRuleTask: evaluates a DMN table and merges its outputs into the task data."""

    def __init__(self, wf_spec, name, decision_ref, **kwargs):
        super().__init__(wf_spec, name, **kwargs)
        self.decision_ref = decision_ref

    def _run_hook(self, my_task):
        outputs = my_task.workflow.script_engine.decide(self.decision_ref, my_task)
        my_task.data.update(outputs)
        return super()._run_hook(my_task)


class DecisionTaskParser(SpiffTaskParser):
    @staticmethod
    def get_decision_ref(node):
        return SpiffTaskParser._parse_extensions(node).get("calledDecisionId")

    def create_task(self):
        extensions = self.parse_extensions()
        return DecisionTask(
            self.spec, self.bpmn_id,
            decision_ref=extensions.get("calledDecisionId"),
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


class PropertyUserTaskParser(UserTaskParser):
    def create_task(self):
        spec = super().create_task()
        spec.properties = self.parse_extensions().get("properties", {})
        return spec


class DoneFormTaskParser(SpiffTaskParser):
    """bpmn:task and bpmn:manualTask wait, as SpiffWorkflow has them (manual), for a person in
    their lane's post, who marks them done on the generic form (lint_modeler refuses those
    that nobody could finish)."""

    def create_task(self):
        spec = super().create_task()
        spec.properties = {"formKey": DONE_FORM}
        return spec


class ModelParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = dict(SpiffBpmnParser.OVERRIDE_PARSER_CLASSES)
    OVERRIDE_PARSER_CLASSES[full_tag("businessRuleTask")] = (DecisionTaskParser, DecisionTask)
    OVERRIDE_PARSER_CLASSES[full_tag("userTask")] = (
        PropertyUserTaskParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("userTask")][1]
    )
    OVERRIDE_PARSER_CLASSES[full_tag("task")] = (DoneFormTaskParser, NoneTask)
    OVERRIDE_PARSER_CLASSES[full_tag("manualTask")] = (DoneFormTaskParser, ManualTask)


class FeelScriptTaskParser(SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("scriptTask")][0]):
    """Script tasks keep their result variable (camunda:resultVariable or a `resultVariable`
    property): the FEEL value goes there; without one the script is a context written to the data."""

    def create_task(self):
        spec = super().create_task()
        from .lint import result_variable

        spec.result_variable = result_variable(self.node)
        return spec


ModelParser.OVERRIDE_PARSER_CLASSES[full_tag("scriptTask")] = (
    FeelScriptTaskParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("scriptTask")][1])
