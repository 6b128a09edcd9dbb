from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """CLI scans use the digest cache: keep it out of the user's own cache folder (through the
    platform's variable, so `Config.cache_dir` stays unset as a user's would be)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        patch.delenv("AIBOM_CACHE_DIR", raising=False)
        yield


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `network` run only when AIBOM_NETWORK_TESTS=1 (never in the default run)."""
    import os

    if os.environ.get("AIBOM_NETWORK_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="network test: set AIBOM_NETWORK_TESTS=1 to run")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)


# ---- fake plugins that raise: the fail-closed guard (`aibom.scan.guarded`) must turn any
# exception from a collector or analyzer into a scan error on that file, never a crash.

RAISES = {
    "ValueError": ValueError("malformed on purpose"),
    "RecursionError": RecursionError("nested on purpose"),
    "MemoryError": MemoryError(),
}


@pytest.fixture(params=sorted(RAISES))
def raising_plugins(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every analyzer and every collector raises the parametrised exception."""
    from aibom import analyzers, sources

    exc = RAISES[request.param]

    def fail(*_args: object) -> object:
        raise exc

    for fmt in list(analyzers.ANALYZERS):
        monkeypatch.setitem(analyzers.ANALYZERS, fmt, lambda: fail)
    for kind in list(sources.COLLECTORS):
        monkeypatch.setitem(sources.COLLECTORS, kind, lambda: fail)
    return str(request.param)
