"""End-to-end behaviour of `aibom scan` through the CLI: streams, exit codes, reports."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from aibom.cli import main
from aibom.commands.scan import Progress
from aibom.model import FileRef


def _project(tmp_path: Path, pyproject: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    return tmp_path


def test_broken_file_makes_an_incomplete_scan_exit_2_with_the_reason(tmp_path: Path) -> None:
    _project(tmp_path, "[project\nname = 'x'\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2, result.output
    report = json.loads(result.stdout)
    assert report["complete"] is False
    assert [f["rule"] for f in report["findings"]] == ["AIB901"]
    assert report["findings"][0]["location"]["path"] == "pyproject.toml"
    assert "scan INCOMPLETE" in result.stderr
    assert "pyproject.toml" in result.stderr


def test_quiet_suppresses_summary_and_report_file_keeps_stdout_empty(tmp_path: Path) -> None:
    _project(tmp_path, "[project\n")
    report = tmp_path / "out" / "r.sarif"
    report.parent.mkdir()
    result = CliRunner().invoke(
        main, ["scan", str(tmp_path), "-q", "--format", "sarif", "--report", str(report)]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ""
    assert json.loads(report.read_text())["version"] == "2.1.0"


def test_missing_path_is_a_usage_error_with_a_hint(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert f"error: path does not exist ({tmp_path / 'nope'})" in result.stderr
    assert "hint: check the path you gave" in result.stderr


def test_bad_config_key_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / ".aibom.toml").write_text("colour = true\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert result.exit_code == 2
    assert "error: unknown configuration key 'colour'" in result.stderr


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    for i in range(30):
        (tmp_path / f"f{i}.txt").write_text("x")
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert "scanning:" not in result.stderr
    assert "\r" not in result.stderr


def test_progress_draws_on_a_terminal_after_the_delay_and_clears() -> None:
    stream = io.StringIO()
    progress = Progress(stream, delay=0.0)
    progress.update(FileRef(Path("a"), "a", 2_000_000))
    progress.close()
    assert stream.getvalue() == "\r\x1b[Kscanning: 1 files, 2.0 MB read\r\x1b[K"
    quiet = io.StringIO()
    slow = Progress(quiet, delay=60.0)
    slow.update(FileRef(Path("a"), "a", 1))
    slow.close()
    assert quiet.getvalue() == ""


def test_python_dash_m_runs_the_same_program() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aibom", "rules"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "AIB901" in done.stdout
