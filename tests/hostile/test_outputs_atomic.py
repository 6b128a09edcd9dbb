"""F15: every output file is written to a temporary file in the same folder, then renamed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aibom import outputs
from aibom.commands import scan as scan_command
from aibom.config import ScanRequest


def test_failed_write_keeps_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "aibom.json"
    target.write_text("previous document\n")

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt  # the process is killed between writing and renaming

    monkeypatch.setattr(outputs.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_text_atomic(target, "new document\n")
    assert target.read_text() == "previous document\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aibom.json"]  # no temp file left


def test_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old")
    target.chmod(0o640)
    outputs.write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_scan_writes_every_output_through_the_atomic_helper(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "requirements.txt").write_text("requests==2.31.0\n")
    written: list[str] = []
    real = outputs.write_text_atomic

    def spy(path: Path, text: str, **kw: object) -> None:
        written.append(Path(path).name)
        real(path, text, **kw)  # type: ignore[arg-type]

    for module in ("aibom.outputs", "aibom.bom.cyclonedx", "aibom.policy", "aibom.commands.scan"):
        mod = __import__(module, fromlist=["x"])
        monkeypatch.setattr(mod, "write_text_atomic", spy)
    out = tmp_path / "out"
    out.mkdir()
    request = ScanRequest(
        paths=(project,),
        output=out / "aibom.json",
        report=out / "report.sarif",
        report_format="sarif",
        write_baseline=out / "baseline.json",
        quiet=True,
    )
    scan_command.run(request)
    assert sorted(written) == ["aibom.json", "baseline.json", "report.sarif"]
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]
