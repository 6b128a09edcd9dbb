"""Baselines: record today's findings so that only new ones fail CI.

A baseline is a JSON file listing findings by fingerprint (rule id, path, archive member and
arguments; never the line number, so moving a line does not resurrect a finding):

    {"schema": "aibom-baseline/1", "findings": [{"fingerprint": "...", "rule": "AIB101",
      "location": "requirements.txt:3", "message": "..."}]}
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError
from .rules import get_rule
from .scan import ScanResult

SCHEMA = "aibom-baseline/1"


def write_baseline(result: ScanResult, path: Path) -> None:
    entries = {}
    for finding in [*result.findings, *result.suppressed]:
        rule = get_rule(finding.rule_id)
        entries[finding.fingerprint] = {
            "fingerprint": finding.fingerprint,
            "rule": rule.id,
            "location": str(finding.location),
            "message": rule.render(finding),
        }
    document = {"schema": SCHEMA, "findings": [entries[k] for k in sorted(entries)]}
    Path(path).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")


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
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise InputError(f"not an aibom baseline (expected schema {SCHEMA!r})", str(path))
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise InputError("baseline has no 'findings' list", str(path))
    prints = set()
    for index, entry in enumerate(findings):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise InputError(f"baseline entry {index} has no fingerprint", str(path))
        prints.add(entry["fingerprint"])
    return frozenset(prints)
