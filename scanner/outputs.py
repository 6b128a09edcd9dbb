"""Writing output files atomically: a temporary file in the same folder, then a rename.

A scan killed while it writes leaves the previous file whole (or no file), never a truncated
one. Every file aibom writes (AIBOM, report, baseline, rewritten requirements) goes through
`write_text_atomic`.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str, *, newline: str | None = None) -> None:
    """Write `text` (UTF-8) to `path` via a temporary file in the same folder and a rename.

    The file keeps the permissions of the file it replaces (or the umask's default for a new
    file). Raises OSError as `open` would; the temporary file never outlives a failure.
    """
    path = Path(path)
    folder = path.parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# What aibom writes, recognised by its first bytes: an AIBOM (CycloneDX JSON or XML that uses
# aibom's properties), a findings report (JSON), a SARIF log whose tool is aibom.
OWN_OUTPUT_HEAD = 64 * 1024
_OWN_OUTPUT_SUFFIXES = (".json", ".xml", ".sarif")
_REPORT_START = re.compile(rb'^\{\s*"complete": (?:true|false),\s*"errors": \[')


def is_own_output(path: Path, size: int) -> bool:
    """True for a file an earlier `aibom scan -o/--report` wrote: not an input to scan."""
    if not path.name.lower().endswith(_OWN_OUTPUT_SUFFIXES) or size == 0:
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(OWN_OUTPUT_HEAD)
    except OSError:
        return False
    if _REPORT_START.match(head):
        return True
    if (
        b'"bomFormat": "CycloneDX"' in head[:4096]
        or b"http://cyclonedx.org/schema/bom" in head[:4096]
    ):
        return b'"aibom:' in head or b'name="aibom:' in head
    if b"sarif-2.1.0" in head[:4096]:
        return b'"name": "aibom"' in head
    return False
