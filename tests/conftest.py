from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `network` run only when AIBOM_NETWORK_TESTS=1 (never in the default run)."""
    import os

    if os.environ.get("AIBOM_NETWORK_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="network test: set AIBOM_NETWORK_TESTS=1 to run")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)
