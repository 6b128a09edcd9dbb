from __future__ import annotations

import os
from pathlib import Path

import pytest

from aibom.walk import is_excluded, walk


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_walk_lists_files_sorted_and_skips_vcs_caches_and_venvs(tmp_path: Path) -> None:
    _touch(tmp_path / "b.txt")
    _touch(tmp_path / "a" / "requirements.txt")
    _touch(tmp_path / ".git" / "config")
    _touch(tmp_path / "__pycache__" / "x.pyc")
    _touch(tmp_path / "node_modules" / "pkg" / "index.js")
    _touch(tmp_path / "venv" / "pyvenv.cfg")
    _touch(tmp_path / "venv" / "lib" / "requirements.txt")
    result = walk((tmp_path,))
    assert [f.rel for f in result.files] == ["a/requirements.txt", "b.txt"]
    assert result.errors == []


def test_exclude_patterns_match_paths_folders_and_names(tmp_path: Path) -> None:
    _touch(tmp_path / "models" / "big.bin")
    _touch(tmp_path / "docs" / "requirements.txt")
    _touch(tmp_path / "keep" / "requirements.txt")
    _touch(tmp_path / "keep" / "notes.tmp")
    result = walk((tmp_path,), exclude=("models", "docs/*", "*.tmp"))
    assert [f.rel for f in result.files] == ["keep/requirements.txt"]
    assert is_excluded("a/b/c.txt", ("a/b",))
    assert not is_excluded("a/bc/c.txt", ("a/b",))


def test_symlink_loop_is_not_followed(tmp_path: Path) -> None:
    _touch(tmp_path / "pkg" / "requirements.txt")
    os.symlink("..", tmp_path / "pkg" / "loop")
    result = walk((tmp_path,))
    # every file was scanned once, under its real path: nothing is missing, nothing to report
    assert [f.rel for f in result.files] == ["pkg/requirements.txt"]
    assert result.errors == []


def test_symlinked_folder_alias_is_walked_once_under_its_real_path(tmp_path: Path) -> None:
    # `deepspeed/ops/csrc -> ../../csrc`: the alias sorts before the real folder
    _touch(tmp_path / "zreal" / "requirements.txt")
    os.symlink("zreal", tmp_path / "alias")
    result = walk((tmp_path,))
    assert [f.rel for f in result.files] == ["zreal/requirements.txt"]
    assert result.errors == []


def test_self_referencing_symlink_and_broken_symlink(tmp_path: Path) -> None:
    os.symlink("self", tmp_path / "self")
    os.symlink("missing-target", tmp_path / "dangling")
    result = walk((tmp_path,))
    reasons = {e.location.path: e.reason for e in result.errors}
    assert reasons["self"] == "symlink loop"
    assert reasons["dangling"] == "broken symlink (points to missing-target)"
    assert result.files == []


def test_symlink_out_of_the_root_is_not_followed(tmp_path: Path) -> None:
    outside = _touch(tmp_path / "outside" / "secret.pkl")
    root = tmp_path / "root"
    _touch(root / "requirements.txt")
    os.symlink(outside, root / "weights.pkl")
    os.symlink(outside.parent, root / "linked-dir")
    result = walk((root,))
    assert [f.rel for f in result.files] == ["requirements.txt"]
    paths = sorted(e.location.path for e in result.errors)
    assert paths == ["linked-dir", "weights.pkl"]
    assert all("outside the scanned tree" in e.reason for e in result.errors)


def test_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    _touch(tmp_path / "blobs" / "abc", "data")
    (tmp_path / "snap").mkdir()
    os.symlink("../blobs/abc", tmp_path / "snap" / "model.bin")
    result = walk((tmp_path,))
    assert [f.rel for f in result.files] == ["blobs/abc", "snap/model.bin"]
    assert result.errors == []


def test_unreadable_folder_is_a_scan_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _touch(tmp_path / "ok" / "requirements.txt")
    _touch(tmp_path / "locked" / "requirements.txt")
    real_scandir = os.scandir

    def fake_scandir(path: os.PathLike[str] | str) -> object:
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    result = walk((tmp_path,))
    assert [f.rel for f in result.files] == ["ok/requirements.txt"]
    assert [(e.location.path, e.reason) for e in result.errors] == [
        ("locked", "cannot list folder: Permission denied")
    ]


def test_missing_root_and_single_file_root(tmp_path: Path) -> None:
    req = _touch(tmp_path / "reqs.txt")
    result = walk((req,))
    assert [f.rel for f in result.files] == ["reqs.txt"]
    result = walk((tmp_path / "nope",))
    assert result.files == []
    assert [e.reason for e in result.errors] == ["path does not exist"]


def test_multiple_roots_are_prefixed(tmp_path: Path) -> None:
    _touch(tmp_path / "one" / "requirements.txt")
    _touch(tmp_path / "two" / "requirements.txt")
    result = walk((tmp_path / "one", tmp_path / "two"))
    rels = [f.rel for f in result.files]
    assert rels == [
        f"{(tmp_path / 'one').as_posix()}/requirements.txt",
        f"{(tmp_path / 'two').as_posix()}/requirements.txt",
    ]
