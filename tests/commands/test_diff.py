"""`aibom diff REV1 REV2 --repo PATH`: scans two git revisions without touching the
working copy or the index."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from aibom.cli import main


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin:/usr/local/bin",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "requirements.txt").write_text("requests==2.31.0\nnumpy==1.26.4\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "v1")
    _git(repo, "tag", "v1")
    (repo / "requirements.txt").write_text("requests==2.32.3\nnumpy==1.24.0\n")
    lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 4096\n"
    (repo / "model.safetensors").write_text(lfs)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "v2")
    return repo


def test_diff_of_two_revisions(repo: Path) -> None:
    (repo / "requirements.txt").write_text("uncommitted==1.0\n")  # working copy: untouched
    status_before = _git(repo, "status", "--porcelain")
    result = CliRunner().invoke(
        main,
        ["diff", "v1", "HEAD", "--repo", str(repo), "--format", "json", "--fail-on", "downgraded"],
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    kinds = {(c["kind"], c["subject"]) for c in doc["changes"]}
    assert ("upgraded", "requests") in kinds
    assert ("downgraded", "numpy") in kinds
    assert ("added", "model.safetensors") in kinds
    # the LFS pointer is a pointer, not a (pickle or safetensors) model file
    assert not any(c["kind"] == "new-pickle-file" for c in doc["changes"])
    assert (repo / "requirements.txt").read_text() == "uncommitted==1.0\n"
    assert _git(repo, "status", "--porcelain") == status_before
    assert _git(repo, "worktree", "list").count("\n") == 0


def test_unknown_revision_is_a_clear_error(repo: Path) -> None:
    result = CliRunner().invoke(main, ["diff", "v0", "HEAD", "--repo", str(repo)])
    assert result.exit_code == 2
    assert "error: not a git revision: 'v0'" in result.stderr
