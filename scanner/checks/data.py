"""Checks over data sets, DVC records and lineage (rules in `rules/rules_data.toml`)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from ..config import Config
from ..model import Artifact, ArtifactFormat, ComponentKind, Finding, Inventory, Location
from .check import Check
from .issue_rules import rule_for

COMMIT = re.compile(r"^[0-9a-f]{40}$")
# licences that do not allow commercial use, or that require derived work to share alike
NON_COMMERCIAL = re.compile(r"(^|[-_. ])nc([-_. ]|$)|non-?commercial|research|openrail", re.I)
SHARE_ALIKE = re.compile(r"(^|[-_. ])sa([-_. ]|$)|^odbl|^gpl|^agpl|^lgpl|share-?alike", re.I)
PERMISSIVE = re.compile(
    r"^(apache-2\.0|mit|bsd-[23]-clause|isc|cc-by-4\.0|cc-by-3\.0|unlicense|cc0-1\.0)$", re.I
)


def dvc_mismatches(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for artifact in inventory.artifacts:
        for issue in artifact.issues:
            if rule_for(issue) == "AIB801":
                yield Finding.make(
                    "AIB801", issue.location, detail=issue.detail, path=artifact.path
                )


def _licences(art: Artifact) -> list[str]:
    return [lic for lic in art.licenses if lic.strip()]


def _restrictive(licences: list[str]) -> str | None:
    for lic in licences:
        if NON_COMMERCIAL.search(lic):
            return lic
    for lic in licences:
        if SHARE_ALIKE.search(lic):
            return lic
    return None


def _sources(inventory: Inventory) -> tuple[dict[str, Artifact], dict[str, Artifact]]:
    """Data sets and models the scan found, by name and by path."""
    by_name: dict[str, Artifact] = {}
    by_path: dict[str, Artifact] = {}
    for art in inventory.artifacts:
        if art.kind is ComponentKind.FILE:
            continue
        by_path[art.path] = art
        if art.name:
            by_name.setdefault(art.name, art)
    return by_name, by_path


def _lineage_sources(
    model: Artifact, by_name: dict[str, Artifact], by_path: dict[str, Artifact]
) -> Iterator[tuple[str, str, Artifact | None]]:
    """(what, name, the artifact when the scan found it) for each dataset and base model."""
    for name in sorted(set(model.trained_on)):
        yield "data set", name, by_name.get(name) or by_path.get(name)
    for base in sorted(set(model.ancestors)):
        local = posixpath.normpath(posixpath.join(model.path, base.name))
        yield "base model", base.name, by_name.get(base.name) or by_path.get(local)


def licence_propagation(inventory: Inventory, config: Config) -> Iterator[Finding]:
    by_name, by_path = _sources(inventory)
    for model in inventory.artifacts:
        if model.kind is not ComponentKind.MODEL or not model.licenses:
            continue
        permissive = [lic for lic in _licences(model) if PERMISSIVE.match(lic.strip())]
        if not permissive or _restrictive(_licences(model)):
            continue
        for source, name, found in _lineage_sources(model, by_name, by_path):
            if found is None or found is model:
                continue
            restrictive = _restrictive(_licences(found))
            if restrictive:
                yield Finding.make(
                    "AIB802",
                    model.location,
                    model=model.name or model.path,
                    model_license=", ".join(permissive),
                    source=source,
                    name=name,
                    source_license=restrictive,
                )


def untraceable_lineage(inventory: Inventory, config: Config) -> Iterator[Finding]:
    by_name, by_path = _sources(inventory)
    loaded = {r.target for r in inventory.code_refs if r.kind == "hub-dataset" and r.target}
    for model in inventory.artifacts:
        if model.kind is not ComponentKind.MODEL or model.format != ArtifactFormat.HUGGINGFACE:
            continue
        shown = model.name or model.path
        for source, name, found in _lineage_sources(model, by_name, by_path):
            if source == "data set":
                if found is None and name not in loaded:
                    detail = f"the card names data set {name}, of which the repository has no trace"
                    yield Finding.make("AIB803", model.location, model=shown, detail=detail)
                elif found is not None and not _licences(found):
                    detail = f"data set {name} has no licence"
                    yield Finding.make("AIB803", model.location, model=shown, detail=detail)
        seen: set[str] = set()
        for base in sorted(set(model.ancestors), key=lambda b: (b.name, b.revision is None)):
            if base.name in seen:
                continue
            seen.add(base.name)
            if base.revision and COMMIT.match(base.revision.lower()):
                continue
            if by_name.get(base.name) is not None and by_name[base.name].version:
                continue  # the base model is in the scan, at a known commit
            pinned = f" (revision {base.revision})" if base.revision else ""
            detail = f"base model {base.name}{pinned} is not pinned to a commit ({base.source})"
            yield Finding.make("AIB803", model.location, model=shown, detail=detail)


def stage_data_integrity(inventory: Inventory, config: Config) -> Iterator[Finding]:
    arts = {a.path: a for a in inventory.artifacts}
    outputs = {o.path for s in inventory.pipelines for o in s.outputs}
    for stage in inventory.pipelines:
        for dep in stage.inputs:
            if dep.role != "dep" or dep.is_dir:
                continue
            art = arts.get(dep.path)
            if art is None or art.kind is not ComponentKind.DATA:
                continue
            inside_output = any(dep.path == o or dep.path.startswith(o + "/") for o in outputs)
            tracked = "aibom:dvc:tracked-by" in art.properties or art.format == "lfs-pointer"
            parent = arts.get(art.parent or "")
            if parent is not None and "aibom:dvc:tracked" in parent.properties:
                tracked = True
            if tracked or inside_output:
                continue
            yield Finding.make(
                "AIB804",
                Location(stage.location.path, stage.location.line),
                stage=stage.name,
                file=stage.location.path,
                path=dep.path,
            )


def remote_data(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for ref in inventory.code_refs:
        if ref.kind == "remote-data" and dict(ref.args).get("pinned") == "no" and ref.target:
            yield Finding.make("AIB805", ref.location, call=ref.call, url=ref.target)


CHECKS = (
    Check(frozenset({"AIB801"}), dvc_mismatches, "dvc-mismatch"),
    Check(frozenset({"AIB802"}), licence_propagation, "licence-propagation"),
    Check(frozenset({"AIB803"}), untraceable_lineage, "lineage"),
    Check(frozenset({"AIB804"}), stage_data_integrity, "stage-data-integrity"),
    Check(frozenset({"AIB805"}), remote_data, "remote-data"),
)
