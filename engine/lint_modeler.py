"""BPMN as modelers write it: Camunda 7 and 8 form keys, pools drawn for documentation only,
plain and manual tasks, timers left empty.

`prepare` runs on each freshly parsed file before it is linted and parsed: it sets aside the
processes that are not executable and writes a Camunda form key as our formKey property, so
one set of checks and one parser serve every dialect. `lint_modeler` adds the checks that
these constructs need (called from lint.lint_bpmn).
"""
from __future__ import annotations

from lxml import etree

from .lint import LintConfig, Problem  # lint.lint_bpmn imports this module when it runs, not when lint loads

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF, "camunda": CAMUNDA, "zeebe": ZEEBE}

# A bpmn:task or bpmn:manualTask is worked by a person in its lane's post, who marks it done
# on this form; the product must define it (the engine only knows its key).
DONE_FORM = "task_done"
PLAIN_TASKS = ".//bpmn:task|.//bpmn:manualTask"
TIMES = ("timeDate", "timeDuration", "timeCycle")


def executable(proc) -> bool:
    return (proc.get("isExecutable") or "true").strip().lower() in ("true", "1")


def prepare(root, filename: str) -> list[Problem]:
    """Adapt one parsed file in place; returns the problems found while doing so."""
    return drop_non_executable(root, filename) + adopt_form_keys(root, filename)


def drop_non_executable(root, filename: str) -> list[Problem]:
    """A process marked isExecutable="false" (say, the customer's pool in a collaboration)
    is documentation: it is neither linted, nor compiled, nor offered for deployment."""
    processes = root.xpath("//bpmn:process", namespaces=NS)
    problems = []
    if processes and not any(executable(p) for p in processes):
        first = processes[0]
        problems.append(Problem(filename, first.get("id"), first.sourceline,
                                "no executable process in this file: every process is marked isExecutable=\"false\"; "
                                "mark the one to run isExecutable=\"true\""))
    for proc in processes:
        if executable(proc):
            proc.set("isExecutable", "true")  # "1" is XML Schema's true too; SpiffWorkflow reads only "true"
        else:
            proc.getparent().remove(proc)
    return problems


def form_key_aliases(task) -> list[tuple[str, str]]:
    """(where, form key) for each form named the Camunda way on a user task."""
    found = []
    value = task.get(f"{{{CAMUNDA}}}formKey")
    if value is not None:
        found.append(("camunda:formKey", value.strip()))
    for definition in task.xpath("bpmn:extensionElements/zeebe:formDefinition", namespaces=NS):
        for attr in ("formKey", "formId"):
            value = definition.get(attr)
            if value is not None:
                found.append((f"zeebe:formDefinition {attr}", value.strip()))
    return [(where, key) for where, key in found if key]


def adopt_form_keys(root, filename: str) -> list[Problem]:
    """camunda:formKey="x" and <zeebe:formDefinition formKey|formId="x"/> mean our
    <spiffworkflow:property name="formKey" value="x"/>; the usual form checks then apply."""
    problems = []
    for task in root.iter(f"{{{BPMN}}}userTask"):
        aliases = form_key_aliases(task)
        if not aliases:
            continue
        ours = task.xpath("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='formKey']/@value",
                          namespaces=NS)
        named = {key for _, key in aliases} | set(ours)
        if len(named) > 1:
            said = [f"formKey '{key}'" for key in ours] + [f"{where} '{key}'" for where, key in aliases]
            problems.append(Problem(filename, task.get("id"), task.sourceline,
                                    f"user task names more than one form ({', '.join(said)}); keep one"))
        elif not ours:
            _add_property(task, "formKey", aliases[0][1])
    return problems


def _add_property(task, name: str, value: str) -> None:
    ext = task.find(f"{{{BPMN}}}extensionElements")
    if ext is None:
        ext = etree.Element(f"{{{BPMN}}}extensionElements")
        docs = task.findall(f"{{{BPMN}}}documentation")  # the schema wants documentation first
        task.insert(task.index(docs[-1]) + 1 if docs else 0, ext)
    props = ext.find(f"{{{SPIFF}}}properties")
    if props is None:
        props = etree.SubElement(ext, f"{{{SPIFF}}}properties")
    etree.SubElement(props, f"{{{SPIFF}}}property", name=name, value=value)


def lint_modeler(root, filename: str, config: LintConfig) -> list[Problem]:
    lanes: dict[str, str] = {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        for ref in lane.xpath("bpmn:flowNodeRef/text()", namespaces=NS):
            lanes[ref.strip()] = lane.get("name") or ""
    problems = []
    for proc in root.xpath("//bpmn:process", namespaces=NS):
        problems += _plain_tasks(proc, filename, config, lanes)
        problems += _timers(proc, filename)
    return problems


def _plain_tasks(proc, filename: str, config: LintConfig, lanes: dict[str, str]) -> list[Problem]:
    """A plain or manual task waits for a person: it deploys only if someone can finish it."""
    problems = []
    if not config.strict:  # designers' scratch models, as for user tasks
        return problems
    for task in proc.xpath(PLAIN_TASKS, namespaces=NS):
        tid = task.get("id")
        what = "manual task" if etree.QName(task).localname == "manualTask" else "task"
        post = lanes.get(tid)
        if not post:
            problems.append(Problem(filename, tid, task.sourceline,
                                    f"{what} is not in a lane: nobody could mark it done; put it in the lane of the post "
                                    "that does it, or make it a user, service or script task"))
        elif post not in config.posts:
            problems.append(Problem(filename, tid, task.sourceline,
                                    f"{what} is in lane '{post}', which is not a known post "
                                    f"({', '.join(sorted(config.posts))}): nobody could mark it done"))
        elif DONE_FORM not in config.forms:
            problems.append(Problem(filename, tid, task.sourceline,
                                    f"{what} would be marked done on form '{DONE_FORM}', which is not defined"))
    return problems


def _timers(proc, filename: str) -> list[Problem]:
    problems = []
    for definition in proc.xpath(".//bpmn:timerEventDefinition", namespaces=NS):
        event = definition.getparent()
        given = definition.xpath("|".join(f"bpmn:{t}" for t in TIMES), namespaces=NS)
        if not any((t.text or "").strip() for t in given):
            name = event.get("name") or event.get("id")
            detail = f"its {etree.QName(given[0]).localname} is empty" if given else "it has no timeDate, timeDuration or timeCycle"
            problems.append(Problem(filename, event.get("id"), event.sourceline,
                                    f"timer event '{name}' never fires: {detail}"))
    return problems
