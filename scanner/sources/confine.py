"""The scanned roots as a boundary: a file the scanned tree points at (a `-r` include, a
`file:` reference, a local project) is read only when it resolves inside a scanned root.

The scanned tree is untrusted: an include of `/home/ci/.netrc` or `../../secrets.txt` would
otherwise copy files the scan was never asked to read into the reports and the AIBOM. Such a
reference is reported (as a scan error: the scan is then incomplete), never followed.
"""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from .pep508 import real_path


def scan_roots(config: Config) -> tuple[Path, ...]:
    """The folders a scan may read: each root (a file root: its folder) and the folder of
    each requirements file named on the command line, resolved."""
    folders = [r if r.is_dir() else r.parent for r in config.roots]
    folders.extend(f.parent for f in config.extra_files)
    return tuple(dict.fromkeys(real_path(f) for f in folders))


def inside(path: Path, roots: tuple[Path, ...] | None) -> bool:
    """Whether `path` (resolved, symlinks followed) lies in one of `roots`; None: anywhere."""
    if roots is None:
        return True
    real = real_path(path)
    return any(real == root or real.is_relative_to(root) for root in roots)
