"""collected_json: every analyzer's result survives the JSON round trip unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aibom.config import Config
from aibom.execution import collected_json
from aibom.execution.file_tasks import FileJob, analyze
from aibom.model import Artifact, Collected, Location, PickleImport, ScanError
from aibom.walk import walk

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_every_fixture_result_round_trips() -> None:
    files = walk((FIXTURES,)).files
    encoded = 0
    for file in files:
        result = analyze(FileJob(file), Config()).collected
        text = collected_json.dumps(result)
        assert collected_json.loads(text) == result, file.rel
        encoded += bool(result.artifacts or result.dependencies)
    assert encoded > 150  # models, dependency files and code, not only empty results


def test_free_form_values_keep_their_types() -> None:
    facts = {
        "tuple": (1, "a", (2.5, None)),
        "list": [True, {"nested": [1]}],
        "int_keys": {1: "one", (2, 3): "pair"},
        "inf": float("inf"),
    }
    artifact = Artifact(
        path="m.pkl",
        format="pickle",
        size=3,
        facts=facts,
        pickle_imports=[PickleImport("os", "system", opcode="GLOBAL", offset=2, called=True)],
    )
    original = Collected(artifacts=[artifact], errors=[ScanError(Location("x", 3), "why")])
    decoded = collected_json.loads(collected_json.dumps(original))
    assert decoded == original
    got = decoded.artifacts[0].facts
    assert type(got["tuple"]) is tuple and type(got["tuple"][2]) is tuple
    assert list(got["int_keys"]) == [1, (2, 3)]


def test_values_json_cannot_carry_are_refused() -> None:
    artifact = Artifact(path="m", format="pickle", size=1, facts={"raw": {1, 2}})
    with pytest.raises(collected_json.UnsupportedValue):
        collected_json.dumps(Collected(artifacts=[artifact]))


@pytest.mark.parametrize(
    "text",
    ["", "[]", "{}", "[1,2,3,4,5,6,7]", json.dumps([[], [], [["a"]], [], [], None, []])],
)
def test_text_that_is_not_a_result_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        collected_json.loads(text)


def test_the_empty_result_fast_path_is_the_encoding_of_an_empty_result() -> None:
    assert collected_json.dumps(Collected()) == collected_json._EMPTY
    assert collected_json.loads(collected_json._EMPTY) == Collected()
