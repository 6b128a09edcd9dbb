"""F14: control characters from scanned names never reach the terminal raw, and a file name
that is not UTF-8 (carried with surrogateescape) goes into every output format."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aibom.commands import scan as scan_command
from aibom.config import ScanRequest
from aibom.formats.text import escape_controls

# a global whose name erases the line above and prints a fake all-clear
FAKE_OK = "\x1b[1A\x1b[2K\rOK: no findings"
EVIL = b"\x80\x02cposix\nsystem" + FAKE_OK.encode() + b"\nX\x04\x00\x00\x00true\x85R."


def test_escape_controls() -> None:
    assert escape_controls("plain name") == "plain name"
    assert escape_controls("a\nb\x1b[2K\r") == "a\\x0ab\\x1b[2K\\x0d"
    assert escape_controls("x\u202ey") == "x\\u202ey"
    assert escape_controls(os.fsdecode(b"w\xff")) == "w\\xff"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file names are bytes")
def test_hostile_names_in_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    name = os.fsdecode(b"evil\xff\nCRITICAL none\x1b[2K.pkl")
    (repo / name).write_bytes(EVIL)
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("text", "json", "sarif"):
        code = scan_command.run(
            ScanRequest(
                paths=(repo,),
                output=out / f"aibom-{fmt}.{'xml' if fmt == 'text' else 'json'}",
                report=out / f"report.{fmt}",
                report_format=fmt,
                quiet=True,
            )
        )
        assert code == 1  # the payload is found whatever its name
    text = (out / "report.text").read_text()
    assert "\x1b" not in text and "\r" not in text
    finding_lines = [line for line in text.splitlines() if "AIB201" in line]
    assert len(finding_lines) == 1  # the newline in the name did not split the finding
    assert "\\x0a" in finding_lines[0] and "\\x1b[1A" in text  # (the message may wrap)
    report = json.loads((out / "report.json").read_text())
    assert any(f["rule"] == "AIB201" for f in report["findings"])
    json.loads((out / "report.sarif").read_text())
    json.loads((out / "aibom-json.json").read_text())
    assert (out / "aibom-text.xml").read_text().startswith("<?xml")
    scan_command.run(ScanRequest(paths=(repo,)))
    captured = capsys.readouterr()
    assert "\x1b[1A" not in captured.out and "\x1b[1A" not in captured.err
