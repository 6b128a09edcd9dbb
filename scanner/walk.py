"""Walk the scanned roots: yield files, never leave a root through a symlink, never loop,
record what could not be read.

Skipped by default (not silently: they are not part of a project's own files):
`.git` and other VCS folders, tool caches, and virtual environments (a folder holding
`pyvenv.cfg`, or `site-packages`), which are inventoried only when given with `--env`.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .git_files import TrackedFiles, tracked_files
from .model import FileRef, FileStamp, Location, ScanError

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".tox",
        ".nox",
        ".eggs",
        "node_modules",
        ".ipynb_checkpoints",
        "site-packages",
        "dist-packages",
    }
)


@dataclass
class WalkResult:
    files: list[FileRef] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)


# content-addressed copies a tool keeps inside a project (DVC's cache and scratch space):
# the project's own files, not these copies, are what the AIBOM lists
TOOL_STORES = frozenset({(".dvc", "cache"), (".dvc", "tmp")})


def _is_tool_store(path: Path) -> bool:
    return (path.parent.name, path.name) in TOOL_STORES


def is_virtualenv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()


def is_excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    """An exclude pattern matches the relative path, any of its parent folders, or its name."""
    if not patterns:
        return False
    parts = rel.split("/")
    candidates = {rel, parts[-1]} | {"/".join(parts[: i + 1]) for i in range(len(parts))}
    for pattern in patterns:
        pat = pattern.rstrip("/")
        for cand in candidates:
            if fnmatch.fnmatchcase(cand, pat):
                return True
    return False


def walk(
    roots: tuple[Path, ...], exclude: tuple[str, ...] = (), *, tracked_only: bool = False
) -> WalkResult:
    """All regular files under `roots` (a root may also be a single file), sorted. With
    `tracked_only`, only the files git tracks or has staged (`aibom.git_files`)."""
    result = WalkResult()
    multiple = len(roots) > 1
    for root in roots:
        prefix = root.as_posix().rstrip("/") + "/" if multiple else ""
        if not root.exists() and not root.is_symlink():
            result.errors.append(ScanError(Location(root.as_posix()), "path does not exist"))
            continue
        if root.is_file():
            rel = root.as_posix() if multiple else root.name
            _add_file(root, rel, result)
            continue
        real_root = root.resolve()
        tracked = tracked_files(root) if tracked_only else None
        for ref in _walk_dir(root, real_root, prefix, exclude, result, tracked):
            result.files.append(ref)
    result.files.sort(key=lambda f: f.rel)
    return result


def _add_file(path: Path, rel: str, result: WalkResult) -> None:
    try:
        st = path.stat()
    except OSError as exc:
        result.errors.append(ScanError(Location(rel), f"cannot read: {exc.strerror or exc}"))
        return
    if stat.S_ISREG(st.st_mode):
        result.files.append(FileRef(path, rel, st.st_size, FileStamp.of(st)))


def _walk_dir(
    root: Path,
    real_root: Path,
    prefix: str,
    exclude: tuple[str, ...],
    result: WalkResult,
    tracked: TrackedFiles | None = None,
) -> Iterator[FileRef]:
    seen_dirs: set[tuple[int, int]] = set()
    stack: list[tuple[Path, str]] = [(root, "")]
    # Symlinked folders inside the tree are walked last, so a folder is listed under its own
    # path; one already visited (an alias such as `docs/skills -> ../skills`, or a loop such
    # as `pkg/loop -> ..`) is skipped: every file in it was scanned under its real path.
    linked: list[tuple[Path, str]] = []
    while stack or linked:
        folder, rel_folder = stack.pop() if stack else linked.pop(0)
        try:
            st = folder.stat()
        except OSError as exc:
            result.errors.append(
                ScanError(Location(prefix + (rel_folder or ".")), f"cannot read folder: {exc}")
            )
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in seen_dirs:
            continue
        seen_dirs.add(ident)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            result.errors.append(
                ScanError(
                    Location(prefix + (rel_folder or ".")),
                    f"cannot list folder: {exc.strerror or exc}",
                )
            )
            continue
        subdirs: list[tuple[Path, str]] = []
        linked_here: list[tuple[Path, str]] = []
        for entry in entries:
            rel = f"{rel_folder}/{entry.name}" if rel_folder else entry.name
            shown = prefix + rel
            if is_excluded(rel, exclude):
                continue
            if tracked is not None and not (tracked.wants_file(rel) or tracked.wants_folder(rel)):
                continue  # untracked or ignored by git
            path = Path(entry.path)
            try:
                is_link = entry.is_symlink()
                if is_link:
                    problem = _symlink_problem(path, real_root)
                    if problem:
                        result.errors.append(ScanError(Location(shown), problem))
                        continue
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError as exc:
                result.errors.append(ScanError(Location(shown), f"cannot read: {exc}"))
                continue
            if is_dir:
                if entry.name in SKIP_DIRS or is_virtualenv(path) or _is_tool_store(path):
                    continue
                (linked_here if is_link else subdirs).append((path, rel))
                continue
            try:
                st_file = entry.stat(follow_symlinks=True)
            except OSError as exc:
                result.errors.append(
                    ScanError(Location(shown), f"cannot read: {exc.strerror or exc}")
                )
                continue
            if stat.S_ISREG(st_file.st_mode):
                yield FileRef(path, shown, st_file.st_size, FileStamp.of(st_file))
        stack.extend(reversed(subdirs))
        linked.extend(linked_here)


def _symlink_problem(path: Path, real_root: Path) -> str | None:
    try:
        target = path.resolve(strict=True)
    except RuntimeError:
        return "symlink loop"
    except OSError:
        return f"broken symlink (points to {os.readlink(path)!s})"
    if target != real_root and real_root not in target.parents:
        return f"symlink points outside the scanned tree ({os.readlink(path)!s}); not followed"
    return None
