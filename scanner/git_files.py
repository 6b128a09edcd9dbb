"""The files git tracks or has staged under a folder (`git ls-files`): what `aibom scan
--tracked-only` (the repository-wide pre-commit hook) looks at, so that untracked files and
whatever `.gitignore` leaves out (checkpoints, caches) never block or slow a commit."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError


@dataclass(frozen=True)
class TrackedFiles:
    files: frozenset[str]  # POSIX paths relative to the listed folder
    folders: frozenset[str]  # every folder holding one of them ("" is the folder itself)

    def wants_folder(self, rel: str) -> bool:
        return rel in self.folders

    def wants_file(self, rel: str) -> bool:
        return rel in self.files


def tracked_files(folder: Path) -> TrackedFiles:
    """Files in the index (tracked, or staged for the next commit) below `folder`."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "-z", "--cached"],  # relative to folder
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(
            "git is not installed", hint="--tracked-only lists files with git ls-files"
        ) from None
    if done.returncode != 0:
        raise InputError(
            "not inside a git repository",
            str(folder),
            hint="--tracked-only scans the files git tracks; drop it to scan the folder",
        )
    files: set[str] = set()
    folders: set[str] = {""}
    for raw in done.stdout.split(b"\0"):
        if not raw:
            continue
        name = raw.decode("utf-8", "surrogateescape")
        files.add(name)
        parts = name.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return TrackedFiles(frozenset(files), frozenset(folders))


def toplevel(folder: Path) -> Path | None:
    """The top-level folder of the git work tree holding `folder`, or None outside git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
        )
    except (FileNotFoundError, NotADirectoryError):
        return None
    top = done.stdout.strip()
    return Path(top) if done.returncode == 0 and top else None
