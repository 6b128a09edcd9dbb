"""Checks over the facts the non-pickle format analyzers and the Hugging Face folder analyzer
recorded (`Artifact.issues`). The one table `ISSUE_RULES` maps each issue kind to its rule;
wording, severity and remediation live in `rules/rules_formats.toml`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..model import ArtifactIssue, Finding, Inventory
from .check import Check

# ArtifactIssue.kind -> rule id. "remote-code:*" (runs when the model is loaded) and
# "remote-code-later:*" (runs only when some function is called) are matched by prefix.
ISSUE_RULES: dict[str, str] = {
    "safetensors:malformed": "AIB220",
    "gguf:chat-template": "AIB225",
    "hf:chat-template": "AIB225",
    "gguf:malformed": "AIB226",
    "onnx:external-data-escapes": "AIB230",
    "onnx:external-data-missing": "AIB231",
    "onnx:custom-domain": "AIB232",
    "onnx:malformed": "AIB233",
    "keras:lambda": "AIB235",
    "keras:external-module": "AIB236",
    "keras:dangerous-reference": "AIB237",
    "hdf5:external-link": "AIB237",
    "hf:custom-code": "AIB240",
    "hf:missing-shard": "AIB241",
    "hf:unindexed-weight": "AIB242",
    "remote-code:": "AIB245",
    "remote-code-later:": "AIB246",
}
RULE_IDS = frozenset(ISSUE_RULES.values())


def rule_for(issue: ArtifactIssue) -> str | None:
    """The rule an issue kind maps to, or None for kinds other checks own."""
    if issue.kind in ISSUE_RULES:
        return ISSUE_RULES[issue.kind]
    if ":" not in issue.kind:
        return None
    return ISSUE_RULES.get(issue.kind.split(":", 1)[0] + ":")


def artifact_issue_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for artifact in inventory.artifacts:
        for issue in artifact.issues:
            rule_id = rule_for(issue)
            if rule_id is None:
                continue
            args = {"detail": issue.detail, "artifact": artifact.path}
            args.update(issue.arg_dict)
            if rule_id == "AIB235":
                args.setdefault("note", "")
                if artifact.format == "hdf5":
                    args["note"] = " (safe_mode does not protect .h5 files)"
            yield Finding.make(rule_id, issue.location, **args)


CHECKS: tuple[Check, ...] = (
    Check(RULE_IDS, artifact_issue_findings, "model formats and Hugging Face folders"),
)
