from __future__ import annotations

from pathlib import Path

import pytest

from aibom.commands.scan import exit_code
from aibom.config import Config
from aibom.errors import InputError
from aibom.model import Artifact, Finding, Inventory, Location, ScanError, Severity, Suppression
from aibom.policy import apply_policy, fails, read_baseline, write_baseline
from aibom.scan import ScanResult

ERR = Finding.make("AIB901", Location("requirements.txt", 4), reason="bad line")
INC = Finding.make("AIB902", Location("model.pt"), reason="truncated")


def test_disabled_rules_are_dropped_and_suppressions_split_out() -> None:
    inv = Inventory(roots=(".",))
    inv.suppressions.append(Suppression(Location("requirements.txt", 4), ("AIB901",), "known"))
    kept, suppressed = apply_policy([ERR, INC], inv, Config())
    assert kept == [INC]
    assert suppressed == [ERR]
    kept, suppressed = apply_policy([ERR, INC], inv, Config(disabled_rules=frozenset({"AIB902"})))
    assert kept == []
    assert suppressed == [ERR]


def test_suppression_by_slug_or_for_every_rule_on_the_line() -> None:
    inv = Inventory(roots=(".",))
    inv.suppressions.append(Suppression(Location("requirements.txt", 4), ("scan-error",)))
    assert apply_policy([ERR], inv, Config()) == ([], [ERR])
    inv.suppressions[:] = [Suppression(Location("requirements.txt", 4), ())]
    assert apply_policy([ERR], inv, Config()) == ([], [ERR])
    inv.suppressions[:] = [Suppression(Location("requirements.txt", 5), ())]
    assert apply_policy([ERR], inv, Config()) == ([ERR], [])


def test_fail_threshold_overrides_and_strict() -> None:
    assert fails([ERR], Config())  # high >= high
    assert not fails([ERR], Config(fail_on=Severity.CRITICAL))
    overridden = Config(
        fail_on=Severity.CRITICAL, severity_overrides=(("AIB901", Severity.CRITICAL),)
    )
    assert fails([ERR], overridden)
    assert not fails([], Config(fail_on=Severity.INFO))


def test_baseline_round_trip_matches_by_fingerprint_not_line(tmp_path: Path) -> None:
    inv = Inventory(roots=(".",))
    result = ScanResult(inv, [ERR, INC], Config())
    path = tmp_path / "baseline.json"
    write_baseline([*result.findings, *result.suppressed], path)
    prints = read_baseline(path)
    assert prints == {ERR.fingerprint, INC.fingerprint}
    moved = Finding.make("AIB901", Location("requirements.txt", 40), reason="bad line")
    new = Finding.make("AIB901", Location("other.txt", 1), reason="bad line")
    kept, suppressed = apply_policy([moved, new], inv, Config(baseline=path))
    assert kept == [new]
    assert suppressed == [moved]


def test_bad_baselines_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="baseline file not found"):
        read_baseline(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="cannot read baseline"):
        read_baseline(bad)
    bad.write_text('{"schema": "something-else", "findings": []}')
    with pytest.raises(InputError, match="not an aibom baseline"):
        read_baseline(bad)


def test_exit_codes() -> None:
    clean = ScanResult(Inventory(roots=(".",)), [], Config())
    assert exit_code(clean) == 0
    failing = ScanResult(
        Inventory(roots=(".",)), [INC.__class__.make("AIB901", Location("x"), reason="r")], Config()
    )
    assert exit_code(failing) == 1
    zero = ScanResult(failing.inventory, failing.findings, Config(exit_zero=True))
    assert exit_code(zero) == 0
    from aibom.formats.text import verdict

    assert verdict(failing).endswith("(exit 1)")
    assert verdict(zero).endswith("(exit 0: --exit-zero)")
    incomplete_inv = Inventory(roots=(".",), errors=[ScanError(Location("x"), "unreadable")])
    incomplete = ScanResult(incomplete_inv, [], Config())
    assert exit_code(incomplete) == 2
    partial = Inventory(roots=(".",))
    partial.artifacts.append(Artifact(path="m.pt", format="pickle", size=1, incomplete=["cut"]))
    assert exit_code(ScanResult(partial, [], Config(exit_zero=True))) == 2
