"""The scan pipeline's guarantees: a collector or analyzer that raises on hostile input makes
that file a scan error and the scan incomplete (exit 2), in `scan` and in `check` alike."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner

from aibom.cli import main
from aibom.config import Config
from aibom.scan import scan


def _tree(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("six==1.17.0\n", "utf-8")
    (tmp_path / "model.pkl").write_bytes(pickle.dumps({"w": [1.0]}, protocol=4))
    return tmp_path


def test_scan_reports_every_file_whose_plugin_raised(raising_plugins: str, tmp_path: Path) -> None:
    root = _tree(tmp_path)
    result = scan(Config(roots=(root,)))
    failed = sorted(e.location.path for e in result.inventory.errors)
    assert failed == ["model.pkl", "requirements.txt"]
    assert not result.complete
    assert {f.rule_id for f in result.findings} >= {"AIB901"}


def test_scan_cli_exits_2_when_a_plugin_raised(raising_plugins: str, tmp_path: Path) -> None:
    root = _tree(tmp_path)
    out = CliRunner().invoke(main, ["scan", str(root), "--format", "json", "-q"])
    assert out.exit_code == 2, out.output
    assert "model.pkl" in out.output and "requirements.txt" in out.output


@pytest.mark.parametrize("models", [False, True])
def test_check_reports_the_file_when_a_plugin_raised(
    raising_plugins: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models: bool
) -> None:
    root = _tree(tmp_path)
    monkeypatch.chdir(root)
    name = "model.pkl" if models else "requirements.txt"
    args = ["check", "--models", name] if models else ["check", name]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 2, out.output
    assert f"{name}: AIB901" in out.output
