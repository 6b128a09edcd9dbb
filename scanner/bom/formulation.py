"""Inventory.pipelines -> CycloneDX `formulation`: how the models were made.

One formula per pipeline source (`dvc`), one workflow per pipeline file (`dvc.yaml`), one
task per stage: its command(s) as a step, its inputs (data, scripts, base models: component
refs; params: name/value parameters) and outputs (artifacts, metrics), and task dependencies
from the paths one stage writes and another reads. Paths that are not components of the AIBOM
are named in the task's properties instead, so no reference dangles. The shape is the same in
CycloneDX 1.5, 1.6 and 1.7.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..model import PipelineStage, StagePath
from ..redact import redact_text
from .graph import BomGraph

MAX_TASKS = 500


def _redact(text: str) -> str:
    return redact_text(text)[0]


def task_type(stage: PipelineStage) -> str:
    """CycloneDX task types are CI/CD words: evaluation is `test`, everything else `build`."""
    words = f"{stage.name} {' '.join(stage.commands)}".lower()
    return "test" if any(w in words for w in ("eval", "test", "valid", "score")) else "build"


def _ref(path: str, graph: BomGraph) -> str | None:
    ref = graph.by_path.get(path)
    if ref is not None:
        return ref
    # a file inside a summarised folder: the folder's component
    parts = path.split("/")
    for i in range(len(parts) - 1, 0, -1):
        ref = graph.by_path.get("/".join(parts[:i]))
        if ref is not None:
            return ref
    return None


def build_formulation(pipelines: list[PipelineStage], graph: BomGraph) -> list[dict[str, Any]]:
    if not pipelines:
        return []
    by_file: dict[tuple[str, str], list[PipelineStage]] = defaultdict(list)
    for stage in pipelines[:MAX_TASKS]:
        by_file[(stage.source, stage.location.path)].append(stage)
    formulas: dict[str, dict[str, Any]] = {}
    for (source, path), stages in sorted(by_file.items()):
        formula = formulas.setdefault(source, {"bom-ref": f"formula:{source}", "workflows": []})
        formula["workflows"].append(_workflow(source, path, stages, graph))
    return [formulas[k] for k in sorted(formulas)]


def _workflow(
    source: str, path: str, stages: list[PipelineStage], graph: BomGraph
) -> dict[str, Any]:
    workflow_ref = f"workflow:{source}:{_redact(path)}"
    tasks = []
    writers: dict[str, str] = {}
    ordered = sorted(stages, key=lambda s: (s.location.line or 0, s.name))
    for stage in ordered:
        for out in stage.outputs:
            writers[out.path] = _task_ref(source, path, stage)
    dependencies = []
    types: set[str] = set()
    for stage in ordered:
        task, kind = _task(source, path, stage, graph)
        tasks.append(task)
        types.add(kind)
        needs = sorted(
            {
                writer
                for dep in stage.inputs
                for out_path, writer in writers.items()
                if writer != task["bom-ref"]
                and (dep.path == out_path or dep.path.startswith(out_path + "/"))
            }
        )
        dependencies.append(
            {"ref": task["bom-ref"], "dependsOn": needs} if needs else {"ref": task["bom-ref"]}
        )
    workflow: dict[str, Any] = {
        "bom-ref": workflow_ref,
        "uid": _redact(path),
        "name": _redact(path),
        "taskTypes": sorted(types) or ["build"],
        "tasks": tasks,
        "taskDependencies": dependencies,
    }
    return workflow


def _task_ref(source: str, path: str, stage: PipelineStage) -> str:
    return f"task:{source}:{_redact(path)}:{_redact(stage.name)}"


def _task(
    source: str, path: str, stage: PipelineStage, graph: BomGraph
) -> tuple[dict[str, Any], str]:
    kind = task_type(stage)
    task: dict[str, Any] = {
        "bom-ref": _task_ref(source, path, stage),
        "uid": _redact(stage.name),
        "name": _redact(stage.name),
        "taskTypes": [kind],
    }
    if stage.commands:
        task["steps"] = [
            {
                "name": _redact(stage.name),
                "commands": [{"executed": _redact(c)} for c in stage.commands],
            }
        ]
    props: list[tuple[str, str]] = [("aibom:stage:source", source)]
    if stage.location.line:
        props.append(("aibom:stage:line", str(stage.location.line)))
    props.append(("aibom:stage:locked", "true" if stage.locked else "false"))
    props.extend(("aibom:stage:stale", _redact(p)) for p in stage.stale)
    inputs: list[dict[str, Any]] = []
    seen: set[str] = set()
    for dep in stage.inputs:
        entry = _resource(dep, graph, props, "aibom:stage:input", seen)
        if entry is not None:
            inputs.append(entry)
    if stage.params:
        inputs.append(
            {
                "parameters": [
                    {"name": _redact(f"{file}:{key}"), "value": _redact(value)}
                    for file, key, value in stage.params
                ]
            }
        )
    outputs: list[dict[str, Any]] = []
    seen = set()
    for out in stage.outputs:
        entry = _resource(out, graph, props, "aibom:stage:output", seen)
        if entry is not None:
            entry = {"type": "metrics" if out.role == "metrics" else "artifact", **entry}
            outputs.append(entry)
    if inputs:
        task["inputs"] = inputs
    if outputs:
        task["outputs"] = outputs
    task["properties"] = [{"name": k, "value": v} for k, v in props]
    return task, kind


def _resource(
    item: StagePath, graph: BomGraph, props: list[tuple[str, str]], name: str, seen: set[str]
) -> dict[str, Any] | None:
    ref = _ref(item.path, graph)
    label = _redact(item.path) + (f" md5:{item.md5}" if item.md5 else "")
    props.append((name, label))
    if ref is None or ref in seen:
        return None
    seen.add(ref)
    return {"resource": {"ref": _redact(ref)}}
