"""SARIF 2.1.0 for code-scanning UIs (GitHub code scanning and others).

- `tool.driver.rules` is built from `rules/` (every rule, in id order): help text,
  default level, `security-severity` (GitHub's severity display) and CWE tags;
- results carry locations with line numbers (and the archive member in the message),
  `partialFingerprints` from the finding's fingerprint (stable across line moves), and
  suppressions for inline ignores and baseline entries.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..model import Finding, Severity
from ..policy import severity_of
from ..rules import Rule, all_rules, get_rule
from ..scan import ScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/aibom/aibom"

# GitHub maps security-severity to: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, < 4 low.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
FINGERPRINT_KEY = "aibomFindingHash/v1"


def render(result: ScanResult, *, color: bool = False) -> str:
    return json.dumps(as_document(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def as_document(result: ScanResult) -> dict[str, Any]:
    rules = list(all_rules().values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    inline = {(s.location.path, s.location.line) for s in result.inventory.suppressions}
    results = [_result(f, result, index, None) for f in result.findings]
    results += [
        _result(f, result, index, "inSource" if _key(f) in inline else "external")
        for f in result.suppressed
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "aibom",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(rule, result) for rule in rules],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "warning",
                                "message": {"text": f"scan incomplete: {e.reason}"},
                                "locations": [_physical(e.location.path, e.location.line)],
                            }
                            for e in result.inventory.errors
                        ],
                    }
                ],
            }
        ],
    }


def _rule(rule: Rule, result: ScanResult) -> dict[str, Any]:
    severity = result.config.severity_for(rule.id, rule.severity)
    tags = ["security", "supply-chain", rule.group]
    tags += [f"external/cwe/cwe-{cwe}" for cwe in rule.cwe]
    help_md = f"{rule.description}\n\n**Remediation:** {rule.remediation}"
    if rule.example:
        help_md += f"\n\n**Example:**\n\n```\n{rule.example}\n```"
    entry: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal(rule.slug),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": " ".join(rule.description.split())},
        "help": {
            "text": f"{' '.join(rule.description.split())} Remediation: {rule.remediation}",
            "markdown": help_md,
        },
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": tags,
            "precision": "high",
        },
    }
    if rule.references:
        entry["helpUri"] = rule.references[0]
    return entry


def _result(
    finding: Finding, result: ScanResult, index: dict[str, int], suppression: str | None
) -> dict[str, Any]:
    rule = get_rule(finding.rule_id)
    severity = severity_of(finding, result.config)
    message = rule.render(finding)
    if finding.location.member:
        message += f" [in {finding.location.member}]"
    entry: dict[str, Any] = {
        "ruleId": rule.id,
        "ruleIndex": index[rule.id],
        "level": LEVEL[severity],
        "message": {"text": message},
        "locations": [_physical(finding.location.path, finding.location.line)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"security-severity": SECURITY_SEVERITY[severity]},
    }
    if suppression is not None:
        entry["suppressions"] = [{"kind": suppression, "status": "accepted"}]
    return entry


def _key(finding: Finding) -> tuple[str, int | None]:
    return (finding.location.path, finding.location.line)


def _physical(path: str, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(path.lstrip("/"), safe="/"), "uriBaseId": "%SRCROOT%"}
    }
    if line is not None and line > 0:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _pascal(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("-"))
