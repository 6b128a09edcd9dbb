"""Every rule can fire: each rule in rules/ has fixtures/rules/<RULE-ID>/{bad,good} (made by
fixtures/rules/make_rule_fixtures.py, by hand for the pins rules, by fixtures/data/make_data.py for
the data rules (AIB801-AIB805), and by
fixtures/signatures/make_signatures.py), and the rule fires on `bad` and not on `good`.

A case runs `aibom scan <folder> --format json` plus the words in its `args` file (paths
relative to the rule's folder), or the aibom command in its `command` file ({case} is the
folder). A case with `pages/` answers `--online` index look-ups from those pages
(`<host>/<project>.json`, PEP 691 JSON) at the time in `now`: no network."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from aibom.cli import main
from aibom.rules import all_rules

RULES = Path(__file__).resolve().parent.parent / "fixtures" / "rules"
CASES = sorted(p.name for p in RULES.iterdir() if p.is_dir())
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def test_every_rule_has_a_fixture_pair_and_every_pair_a_rule() -> None:
    assert set(CASES) == set(all_rules())
    for case in CASES:
        assert (RULES / case / "bad").is_dir() and (RULES / case / "good").is_dir(), case


def _words(rule: str, name: str) -> list[str]:
    path = RULES / rule / name
    return path.read_text("utf-8").split() if path.is_file() else []


def _serve(pages: Path) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        project = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        page = pages / request.url.host / f"{project}.json"
        if page.is_file():
            return httpx.Response(
                200, content=page.read_bytes(), headers={"content-type": JSON_TYPE}
            )
        return httpx.Response(404)

    return httpx.MockTransport(answer)


def fired(rule: str, side: str, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    folder = RULES / rule
    pages = folder / "pages"
    if pages.is_dir():
        from aibom.enrich import index

        original = index.enrich_from_index
        now = datetime.fromisoformat((folder / "now").read_text("utf-8").strip())

        def offline(inventory: Any, config: Any, **kw: Any) -> Any:
            return original(inventory, config, transport=_serve(pages), now=now)

        monkeypatch.setattr(index, "enrich_from_index", offline)
    monkeypatch.chdir(folder)
    command = [w.replace("{case}", side) for w in _words(rule, "command")]
    words = command or ["scan", side, "-q"]
    out = CliRunner().invoke(main, [*words, "--format", "json", *_words(rule, "args")])
    assert out.exit_code in (0, 1, 2), out.output
    report = json.loads(out.stdout)
    return {f.get("rule") or f.get("rule_id") for f in report["findings"]}


@pytest.mark.parametrize("rule", CASES)
def test_rule_fires_on_bad_and_not_on_good(rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = fired(rule, "bad", monkeypatch)
    good = fired(rule, "good", monkeypatch)
    assert rule in bad, f"{rule} did not fire on bad: {sorted(bad)}"
    assert rule not in good, f"{rule} fired on good too: {sorted(good)}"
