"""Licence classes used by AIB802 (licence propagation)."""

from __future__ import annotations

import pytest

from aibom.checks.data import NON_COMMERCIAL, PERMISSIVE, SHARE_ALIKE


@pytest.mark.parametrize(
    "licence", ["cc-by-nc-4.0", "CC-BY-NC-SA-4.0", "cc-by-nc-nd-3.0", "openrail", "research-only"]
)
def test_non_commercial(licence: str) -> None:
    assert NON_COMMERCIAL.search(licence)


@pytest.mark.parametrize("licence", ["cc-by-sa-4.0", "odbl", "gpl-3.0", "agpl-3.0"])
def test_share_alike(licence: str) -> None:
    assert SHARE_ALIKE.search(licence)
    assert not NON_COMMERCIAL.search(licence)


@pytest.mark.parametrize("licence", ["apache-2.0", "MIT", "bsd-3-clause", "cc-by-4.0", "cc0-1.0"])
def test_permissive_is_neither(licence: str) -> None:
    assert PERMISSIVE.match(licence)
    assert not NON_COMMERCIAL.search(licence)
    assert not SHARE_ALIKE.search(licence)


def test_words_containing_nc_or_sa_are_not_matched() -> None:
    for licence in ("bsd-3-clause", "unsafe-license", "nasa-1.3", "llama3.2"):
        assert not NON_COMMERCIAL.search(licence), licence
