"""F10: `python -m aibom` inside a hostile repository must not import the repository's own
modules (a `click.py` there ran before: the current folder is first on sys.path)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_python_m_does_not_import_from_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "click.py").write_text(
        "import sys\nsys.stderr.write('HOSTILE MODULE RAN\\n')\nraise SystemExit(99)\n"
    )
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    done = subprocess.run(
        [sys.executable, "-m", "aibom", "scan", "--quiet", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "HOSTILE MODULE RAN" not in done.stderr
    assert done.returncode != 99, done.stderr
