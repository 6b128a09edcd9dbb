"""Default-run fuzzing: a few dozen mutated seeds per parser family (seconds in total). The
long mode (`python -m tests.fuzz.long --budget SECONDS`) runs the same targets for hours."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .families import FAMILIES, asked_global, mutate, run_one

EXAMPLES = 15


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_survives_mutated_seeds(name: str) -> None:
    family = FAMILIES[name]
    seeds = family.seeds()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(seed=st.integers(0, 2**32 - 1), which=st.integers(0, len(seeds) - 1))
    def check(seed: int, which: int) -> None:
        data = mutate(random.Random(seed), seeds[which], seeds)
        with tempfile.TemporaryDirectory(prefix="aibom-fuzz-") as tmp:
            outcome = run_one(family, data, Path(tmp))
        assert outcome.crash is None, (name, outcome.crash)
        assert outcome.fail_open is None, (name, outcome.fail_open)

    check()


def test_oracle_sees_the_global_the_unpickler_asks_for() -> None:
    # the oracle itself: protocol 0 GLOBAL, and protocol 4 STACK_GLOBAL through memo
    assert asked_global(b"cposix\nsystem\n(S'true'\ntR.") == ("posix", "system")
    p4 = b"\x80\x04\x8c\x05posix\x94\x8c\x06system\x94\x93\x94."
    assert asked_global(p4) == ("posix", "system")
    assert asked_global(b"\x80\x04K\x01.") is None
