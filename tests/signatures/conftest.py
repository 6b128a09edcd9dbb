from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from signature_fixtures import SIGS


@pytest.fixture(autouse=True)
def _sigstore_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sigstore library keeps its TUF cache under the user's cache folder: use a temporary one."""
    home = tmp_path_factory.getbasetemp() / "sigstore-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


@pytest.fixture
def sigs(tmp_path: Path) -> Path:
    """A private copy of fixtures/signatures (tests may edit it)."""
    dest = tmp_path / "signatures"
    shutil.copytree(SIGS, dest, ignore=shutil.ignore_patterns("*.py"))
    return dest
