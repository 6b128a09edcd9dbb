"""Policy: which findings are reported, which are suppressed, and which fail the run.

- disabled rules (config `disable`) are dropped;
- inline suppressions (`# aibom: ignore[RULE-ID] reason` on a line) and baseline entries
  (matched by fingerprint: rule, path, member, arguments — never the line) are moved to
  the suppressed list, which reports can still show;
- severity overrides (config `[tool.aibom.severity]`) change a rule's severity;
- a run fails when a reported finding is at or above `fail_on`, or, with `--strict`, when a
  rule tagged "strict" fired (unknown pickle imports, incomplete analysis).

Baselines record today's findings so that only new ones fail CI.

A baseline is a JSON file listing findings by fingerprint (rule id, path, archive member and
arguments; never the line number, so moving a line does not resurrect a finding):

    {"schema": "aibom-baseline/1", "findings": [{"fingerprint": "...", "rule": "AIB101",
      "location": "requirements.txt:3", "message": "..."}]}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .config import Config
from .errors import InputError
from .model import Finding, Inventory, Severity, Suppression
from .outputs import write_text_atomic
from .rules import get_rule

STRICT_TAG = "strict"


def severity_of(finding: Finding, config: Config) -> Severity:
    return config.severity_for(finding.rule_id, get_rule(finding.rule_id).severity_for(finding))


def apply_policy(
    findings: list[Finding], inventory: Inventory, config: Config
) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (reported, suppressed)."""
    baseline = read_baseline(config.baseline) if config.baseline is not None else frozenset()
    by_line = _suppressions_by_line(inventory.suppressions)
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        if finding.rule_id in config.disabled_rules:
            continue
        if _is_suppressed(finding, by_line) or finding.fingerprint in baseline:
            suppressed.append(finding)
        else:
            kept.append(finding)
    return kept, suppressed


def _suppressions_by_line(
    suppressions: list[Suppression],
) -> dict[tuple[str, int | None], list[Suppression]]:
    table: dict[tuple[str, int | None], list[Suppression]] = {}
    for item in suppressions:
        table.setdefault((item.location.path, item.location.line), []).append(item)
    return table


def _is_suppressed(
    finding: Finding, by_line: dict[tuple[str, int | None], list[Suppression]]
) -> bool:
    loc = finding.location
    if loc.line is None:
        return False
    for item in by_line.get((loc.path, loc.line), ()):
        if not item.rule_ids:
            return True
        rule = get_rule(finding.rule_id)
        if rule.id in item.rule_ids or rule.slug in item.rule_ids:
            return True
    return False


def fails(findings: list[Finding], config: Config) -> bool:
    for finding in findings:
        if severity_of(finding, config) >= config.fail_on:
            return True
        if config.strict and STRICT_TAG in get_rule(finding.rule_id).tags:
            return True
    return False


BASELINE_SCHEMA = "aibom-baseline/1"


def write_baseline(findings: list[Finding], path: Path) -> None:
    """Write a baseline of `findings` (give reported and suppressed ones alike)."""
    entries = {}
    for finding in findings:
        rule = get_rule(finding.rule_id)
        entries[finding.fingerprint] = {
            "fingerprint": finding.fingerprint,
            "rule": rule.id,
            "location": str(finding.location),
            "message": rule.render(finding),
        }
    document = {"schema": BASELINE_SCHEMA, "findings": [entries[k] for k in sorted(entries)]}
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if str(path) == "-":  # '-' means stdout, as for every output
        sys.stdout.write(text)
        return
    write_text_atomic(Path(path), text)


def read_baseline(path: Path) -> frozenset[str]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            "baseline file not found",
            str(path),
            hint="create it with `aibom scan --write-baseline FILE`",
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read baseline: {exc}", str(path)) from None
    if not isinstance(document, dict) or document.get("schema") != BASELINE_SCHEMA:
        raise InputError(f"not an aibom baseline (expected schema {BASELINE_SCHEMA!r})", str(path))
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise InputError("baseline has no 'findings' list", str(path))
    prints = set()
    for index, entry in enumerate(findings):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise InputError(f"baseline entry {index} has no fingerprint", str(path))
        prints.add(entry["fingerprint"])
    return frozenset(prints)
