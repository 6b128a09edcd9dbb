"""Writing output files atomically: a temporary file in the same folder, then a rename.

A scan killed while it writes leaves the previous file whole (or no file), never a truncated
one. Every file aibom writes (AIBOM, report, baseline, rewritten requirements) goes through
`write_text_atomic`.
"""

from __future__ import annotations

import os
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
