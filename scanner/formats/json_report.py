"""Machine-readable findings report. Its schema (`aibom-report/1`) is documented in
docs/json-report.md and shipped as aibom/schemas/report-1.schema.json; fields are only
ever added within a schema version."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .. import __version__
from ..model import Finding, Severity
from ..policy import fails, severity_of
from ..rules import get_rule
from ..scan import ScanResult

SCHEMA = "aibom-report/1"


def render(result: ScanResult, *, color: bool = False) -> str:
    return json.dumps(as_document(result), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def as_document(result: ScanResult) -> dict[str, Any]:
    inv = result.inventory
    config = result.config
    counts = Counter(severity_of(f, config).label for f in result.findings)
    return {
        "schema": SCHEMA,
        "tool": {"name": "aibom", "version": __version__},
        "root": inv.shown_roots,
        "complete": result.complete,
        "summary": {
            "files_scanned": inv.files_scanned,
            "dependencies": len(inv.dependencies),
            "artifacts": len(inv.artifacts),
            "code_references": len(inv.code_refs),
            "findings": {s.label: counts.get(s.label, 0) for s in Severity},
            "suppressed": len(result.suppressed),
            "fail_on": config.fail_on.label,
            "failed": fails(result.findings, config),
        },
        "findings": [_finding(f, result, False) for f in result.findings]
        + [_finding(f, result, True) for f in result.suppressed],
        "errors": [{"location": _location(e.location), "reason": e.reason} for e in inv.errors],
    }


def _finding(finding: Finding, result: ScanResult, suppressed: bool) -> dict[str, Any]:
    rule = get_rule(finding.rule_id)
    return {
        "rule": rule.id,
        "slug": rule.slug,
        "title": rule.title,
        "severity": severity_of(finding, result.config).label,
        "message": rule.render(finding),
        "remediation": rule.remediation,
        "location": _location(finding.location),
        "args": finding.arg_dict,
        "fingerprint": finding.fingerprint,
        "suppressed": suppressed,
    }


def _location(loc: Any) -> dict[str, Any]:
    return {"path": loc.path, "line": loc.line, "member": loc.member}
