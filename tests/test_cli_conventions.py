"""CLI conventions every command shares: `-` is stdout, one stdout output per run, output
folders created before scanning, one error format on stderr, case-insensitive rule ids,
help text on every option and examples in the help of scan, diff and verify."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from aibom.cli import main

DEMO = Path(__file__).resolve().parent.parent / "fixtures" / "projects" / "demo"


def _invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), prog_name="aibom")


def test_report_dash_is_stdout_not_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: `--report -` wrote a file named `-` (which the next scan read)."""
    monkeypatch.chdir(tmp_path)
    done = _invoke("scan", str(DEMO), "-q", "--format", "sarif", "--report", "-")
    assert done.exit_code == 1
    assert json.loads(done.stdout)["version"] == "2.1.0"
    assert not (tmp_path / "-").exists() and not (DEMO / "-").exists()


def test_write_baseline_dash_is_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    done = _invoke("scan", str(DEMO), "-q", "--write-baseline", "-")
    assert done.exit_code == 0
    assert json.loads(done.stdout)["schema"].startswith("aibom-baseline")
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("-o", "-", "--report", "-", "--format", "sarif"),
        ("-o", "-", "--format", "json"),
        ("--report", "-", "--write-baseline", "-"),
    ],
)
def test_two_outputs_on_stdout_are_a_usage_error(args: tuple[str, ...], tmp_path: Path) -> None:
    """Before: `-o - --report - --format sarif` silently dropped the SARIF."""
    done = _invoke("scan", str(DEMO), "-q", *args)
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and "cannot all write to stdout" in done.stderr
    assert "\nhint: " in done.stderr


def test_output_parent_folders_are_created(tmp_path: Path) -> None:
    """Before: `-o missing/dir/x.json` failed with 'No such file or directory' after the scan."""
    out = tmp_path / "out" / "x" / "aibom.cdx.json"
    report = tmp_path / "reports" / "aibom.sarif"
    done = _invoke(
        "scan", str(DEMO), "-q", "-o", str(out), "--format", "sarif", "--report", str(report)
    )
    assert done.exit_code == 1, done.output
    assert json.loads(out.read_text("utf-8"))["bomFormat"] == "CycloneDX"
    assert json.loads(report.read_text("utf-8"))["version"] == "2.1.0"


def test_unwritable_output_fails_before_scanning(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", "utf-8")
    done = _invoke("scan", str(DEMO), "-q", "-o", str(tmp_path / "file" / "aibom.cdx.json"))
    assert done.exit_code == 2
    assert done.stderr.startswith("error: cannot create the output folder")
    assert done.stdout == ""  # no report: nothing was scanned
    bad_name = _invoke("scan", str(DEMO), "-q", "-o", str(tmp_path / "aibom.txt"))
    assert bad_name.exit_code == 2 and bad_name.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "--format", "yaml"),
        ("diff", "a.json"),
        ("rules", "--format", "html"),
        ("scan", "--no-such-option"),
    ],
)
def test_usage_errors_use_the_one_error_format(args: tuple[str, ...]) -> None:
    """Before: click's `Error: ...` with a usage block, unlike aibom's `error:`/`hint:`."""
    done = _invoke(*args)
    assert done.exit_code == 2
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: run `aibom ")
    assert "Usage:" not in done.stderr and done.stdout == ""


def test_check_and_validate_errors_use_the_one_error_format(tmp_path: Path) -> None:
    """Before: `nonexist.txt: error: file not found`, and validate's errors on stdout."""
    with CliRunner().isolated_filesystem(temp_dir=tmp_path):
        check = _invoke("check", "nonexist.txt")
        validate = _invoke("validate", "nonexist.json")
    for done in (check, validate):
        assert done.exit_code == 2
        assert done.stdout == ""
        assert done.stderr.startswith("error: file not found (nonexist.")


@pytest.mark.parametrize("rule_id", ["AIB201", "aib201", "Aib201", "pickle-dangerous-global"])
def test_rule_ids_are_case_insensitive(rule_id: str) -> None:
    """Before: `aibom rules aib201` answered 'no rule'."""
    done = _invoke("rules", rule_id)
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("AIB201 ")


def test_every_option_has_help_and_key_commands_show_examples() -> None:
    assert isinstance(main, click.Group)
    missing = [
        f"{name} {param.opts[0]}"
        for name, command in main.commands.items()
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    assert missing == []
    for name in ("scan", "diff", "verify"):
        text = _invoke(name, "--help").stdout
        assert "Examples:" in text and f"aibom {name} " in text and "Exit codes:" in text
    top = _invoke("--help").stdout
    assert "..." not in top.split("Commands:")[1]  # no short help cut off
