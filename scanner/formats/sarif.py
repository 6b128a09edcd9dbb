"""SARIF 2.1.0 for code-scanning UIs (GitHub code scanning and others).

- `tool.driver.rules` is built from `rules/` (every rule, in id order): help text,
  default level, `security-severity` (GitHub's severity display) and CWE tags;
- results carry locations with line numbers (and the archive member in the message),
  `partialFingerprints` from the finding's fingerprint (stable across line moves; the 2nd,
  3rd... occurrence of the same finding on other lines gets `:2`, `:3`... so alerts never
  merge), and suppressions for inline ignores and baseline entries;
- URIs are relative to the git top-level of the scanned folder (GitHub resolves them against
  the repository root), or to the current folder outside git, under `%SRCROOT%`, which
  `originalUriBaseIds` defines; a file outside that base gets an absolute `file:` URI;
- a notebook finding's line is mapped to its line in the `.ipynb` file, or left out;
- scan problems (rule group `scan`: unreadable files, incomplete analysis, LFS pointers) are
  not alerts: they are `toolExecutionNotifications`, and `executionSuccessful` is false when
  the scan is incomplete;
- info findings are left out unless `--sarif-info` asks for them (they would flood the
  Security tab).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..model import Finding, Location, Severity
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


SCAN_GROUP = "scan"  # rules about the scan itself: notifications, not alerts


def as_document(result: ScanResult) -> dict[str, Any]:
    rules = list(all_rules().values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    places = Places.of(result)
    inline = {(s.location.path, s.location.line) for s in result.inventory.suppressions}
    groups = {rule.id: rule.group for rule in rules}
    tool_problems: list[Finding] = []

    def wanted(finding: Finding, suppressed: bool = False) -> bool:
        if groups.get(finding.rule_id) == SCAN_GROUP:
            if not suppressed:
                tool_problems.append(finding)
            return False
        info = severity_of(finding, result.config) is Severity.INFO
        return result.config.sarif_info or not info

    shown: list[tuple[Finding, str | None]] = [(f, None) for f in result.findings if wanted(f)]
    shown += [
        (f, "inSource" if _key(f) in inline else "external")
        for f in result.suppressed
        if wanted(f, True)
    ]
    seen: Counter[str] = Counter()
    results = []
    for finding, suppression in sorted(shown, key=lambda p: _order(p[0])):
        seen[finding.fingerprint] += 1
        results.append(
            _result(finding, result, index, suppression, places, seen[finding.fingerprint])
        )
    notified = {e.location for e in result.inventory.errors}
    problems = [(e.location, f"scan incomplete: {e.reason}") for e in result.inventory.errors]
    for finding in tool_problems:
        if finding.location not in notified:
            rule = get_rule(finding.rule_id)
            problems.append((finding.location, f"{finding.rule_id}: {rule.render(finding)}"))
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
                "originalUriBaseIds": places.base_ids(result.config.reproducible),
                "invocations": [
                    {
                        "executionSuccessful": result.complete,
                        "toolExecutionNotifications": [
                            {
                                "level": "error",
                                "message": {"text": text},
                                "locations": [places.physical(location)],
                            }
                            for location, text in problems
                        ],
                    }
                ],
            }
        ],
    }


def _order(finding: Finding) -> tuple[str, int, str, str]:
    loc = finding.location
    return (loc.path, loc.line or 0, loc.member or "", finding.rule_id)


@dataclass(frozen=True)
class Places:
    """Where the scanned paths are on disk and what SARIF URIs they get."""

    roots: tuple[Path, ...]
    base: Path  # the git top-level of the (first) scanned folder, else the current folder

    @classmethod
    def of(cls, result: ScanResult) -> Places:
        from ..git_files import toplevel

        roots = result.config.roots
        first = roots[0] if roots else Path(".")
        folder = first if first.is_dir() else first.parent
        top = toplevel(folder)
        return cls(tuple(roots), Path(os.path.realpath(top if top is not None else Path.cwd())))

    def on_disk(self, rel: str) -> Path:
        """The file a finding's path names (paths are relative to the single scanned root,
        or, with several roots, carry the root as given)."""
        if len(self.roots) == 1:
            root = self.roots[0]
            if root.is_file():
                return Path(os.path.realpath(root))
            return Path(os.path.realpath(root)) / rel
        return Path(os.path.abspath(rel))

    def physical(self, location: Location) -> dict[str, Any]:
        path = self.on_disk(location.path)
        try:
            rel = path.relative_to(self.base).as_posix()
            artifact = {"uri": quote(rel, safe="/"), "uriBaseId": "%SRCROOT%"}
        except ValueError:  # outside the repository: an absolute URI
            artifact = {"uri": path.as_uri()}
        physical: dict[str, Any] = {"artifactLocation": artifact}
        line = location.line
        if line is not None and location.path.endswith(".ipynb"):
            line = _notebook_line(path, location)
        if line is not None and line > 0:
            physical["region"] = {"startLine": line}
        return {"physicalLocation": physical}

    def base_ids(self, reproducible: bool) -> dict[str, Any]:
        text = "the repository root (git top-level), or the folder aibom ran in"
        entry: dict[str, Any] = {"description": {"text": text}}
        if not reproducible:  # an absolute path would make the report machine-specific
            entry["uri"] = self.base.as_uri() + "/"
        return {"%SRCROOT%": entry}


def _notebook_line(path: Path, location: Location) -> int | None:
    from .notebook_lines import ipynb_line

    member = location.member or ""
    if not member.startswith("cell ") or not member[5:].isdigit() or location.line is None:
        return None
    return ipynb_line(path, int(member[5:]), location.line)


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
    finding: Finding,
    result: ScanResult,
    index: dict[str, int],
    suppression: str | None,
    places: Places,
    occurrence: int,
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
        "locations": [places.physical(finding.location)],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(finding, occurrence)},
        "properties": {"security-severity": SECURITY_SEVERITY[severity]},
    }
    if suppression is not None:
        entry["suppressions"] = [{"kind": suppression, "status": "accepted"}]
    return entry


def _key(finding: Finding) -> tuple[str, int | None]:
    return (finding.location.path, finding.location.line)


def _fingerprint(finding: Finding, occurrence: int) -> str:
    return finding.fingerprint if occurrence == 1 else f"{finding.fingerprint}:{occurrence}"


def _pascal(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("-"))
