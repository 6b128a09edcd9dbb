"""Checks over pickle-bearing artifacts: each global the unpickler would import is judged
against `rules/pickle_globals.toml` (known-safe exact names, dangerous entries, everything
else unknown), plus the structural facts the analyzers recorded (nesting, TorchScript code,
object arrays, archive tampering, global mutation, extension codes, trailing data)."""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..model import Artifact, Finding, Inventory, Location, PickleImport, is_pickle_based
from .check import Check
from .issue_rules import PICKLE_ISSUE_RULE_IDS, rule_for
from .pickle_policy import Verdict, judge


def _skip(artifact: Artifact, imp: PickleImport) -> bool:
    # TorchScript classes are compiled from the archive's own code, not Python imports:
    # AIB207 reports that code.
    return artifact.format == "torchscript" and imp.module.startswith("__torch__")


def _location(artifact: Artifact, imp: PickleImport) -> Location:
    return Location(artifact.path, member=imp.member)


def pickle_global_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for artifact in inventory.artifacts:
        seen: set[tuple[str | None, str, Verdict]] = set()
        # unknown globals: one finding per file and kind, listing them
        unknown: dict[str, dict[str, PickleImport]] = {"AIB202": {}, "AIB203": {}}
        shipped = set(artifact.facts.get("shipped_modules", ()))
        for imp in artifact.pickle_imports:
            if _skip(artifact, imp):
                continue
            found = judge(imp, config)
            verdict = found.verdict
            if verdict is Verdict.SAFE:
                continue
            key = (imp.member, imp.qualname, verdict)
            if key in seen:
                continue
            seen.add(key)
            loc = _location(artifact, imp)
            called = " (called)" if imp.called else ""
            if verdict is Verdict.DANGEROUS:
                why = (
                    "this file runs code when loaded"
                    if imp.called
                    else "loading this file imports it, a code-execution gadget"
                )
                yield Finding.make(
                    "AIB201",
                    loc,
                    **{
                        "global": imp.qualname,
                        "called": called,
                        "why": why,
                        "entry": found.entry,
                        "listed_by": ", ".join(found.sources),
                        "capability": str(found.capability),
                        "opcode": imp.opcode,
                        "offset": imp.offset,
                    },
                )
            elif verdict is Verdict.UNRESOLVED:
                yield Finding.make(
                    "AIB204",
                    loc,
                    **{"global": imp.name, "opcode": imp.opcode, "offset": imp.offset},
                )
            elif verdict is Verdict.HIGHER_ORDER:
                yield Finding.make(
                    "AIB215",
                    loc,
                    **{"global": imp.qualname, "why": found.detail, "opcode": imp.opcode},
                )
            elif verdict is Verdict.CLOSED_WORLD:
                yield Finding.make(
                    "AIB213",
                    loc,
                    **{"global": imp.qualname, "library": found.detail, "opcode": imp.opcode},
                )
            elif imp.module.split(".", 1)[0] in shipped:
                yield Finding.make(
                    "AIB214",
                    loc,
                    **{"global": imp.qualname, "module": imp.module.split(".", 1)[0]},
                )
            else:
                rule = "AIB202" if verdict is Verdict.UNKNOWN_STDLIB else "AIB203"
                unknown[rule].setdefault(imp.qualname, imp)
        for rule, imports in unknown.items():
            if not imports:
                continue
            names = sorted(imports)
            first = imports[names[0]]
            shown = [n + (" (called)" if imports[n].called else "") for n in names]
            yield Finding.make(
                rule,
                Location(artifact.path, member=first.member),
                **{"count": len(names), "globals": ", ".join(shown)},
            )


def pickle_format_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for artifact in inventory.artifacts:
        fmt = artifact.format
        if is_pickle_based(fmt) or (artifact.facts.get("pickles") and fmt not in ("numpy", "npz")):
            shown = fmt
            if fmt == "pytorch-zip":
                shown = "PyTorch zip"
            elif fmt == "pytorch-legacy":
                shown = "legacy PyTorch checkpoint"
            yield Finding.make("AIB205", artifact.location, format=shown)


def nested_pickle_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for artifact in inventory.artifacts:
        for nested in artifact.facts.get("nested_pickles", []):
            yield Finding.make(
                "AIB206",
                Location(artifact.path, member=nested.get("member")),
                via=nested["via"],
                offset=nested["offset"],
                globals=", ".join(nested["globals"]) or "nothing",
            )


def issue_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for artifact in inventory.artifacts:
        for issue in artifact.issues:
            rule_id = rule_for(issue)
            if rule_id is None or rule_id not in PICKLE_ISSUE_RULE_IDS:
                continue
            args = {"detail": issue.detail}
            args.update(issue.arg_dict)
            yield Finding.make(rule_id, issue.location, **args)


CHECKS: tuple[Check, ...] = (
    Check(
        frozenset({"AIB201", "AIB202", "AIB203", "AIB204", "AIB213", "AIB214", "AIB215"}),
        pickle_global_findings,
        "pickle-globals",
    ),
    Check(frozenset({"AIB205"}), pickle_format_findings, "pickle-format"),
    Check(frozenset({"AIB206"}), nested_pickle_findings, "nested-pickles"),
    Check(PICKLE_ISSUE_RULE_IDS, issue_findings, "pickle-container-issues"),
)
