"""Checks over the facts the non-pickle format analyzers and the Hugging Face folder analyzer
recorded (`Artifact.issues`), mapped to rules by `checks/issue_rules.py`; wording, severity
and remediation live in `rules/rules_formats.toml`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..model import Finding, Inventory
from .check import Check
from .issue_rules import FORMAT_RULE_IDS as RULE_IDS
from .issue_rules import rule_for


def artifact_issue_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for artifact in inventory.artifacts:
        for issue in artifact.issues:
            rule_id = rule_for(issue)
            if rule_id is None or rule_id not in RULE_IDS:
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
