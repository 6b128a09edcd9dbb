"""aibom diff on release pairs that differ in one data, lineage or pipeline fact
(fixtures/data/releases, made with DVC and huggingface_hub by make_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aibom.bom.cyclonedx import render_bom
from aibom.bom.read import parse_bom
from aibom.config import Config
from aibom.diff.compare import Changes, diff
from aibom.diff.render import render
from aibom.scan import scan

RELEASES = Path(__file__).resolve().parent.parent / "fixtures" / "data" / "releases"


def _diff(case: str, spec: str = "1.6") -> Changes:
    boms = []
    for version in ("v1", "v2"):
        result = scan(Config(roots=(RELEASES / case / version,), reproducible=True))
        boms.append(parse_bom(render_bom(result, "json", spec).encode(), version))
    return diff(boms[0], boms[1])


def _kinds(changes: Changes) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for change in changes.changes:
        out.setdefault(change.kind, set()).add(change.subject)
    return out


def test_swapped_dataset_is_a_content_change() -> None:
    kinds = _kinds(_diff("dataset-swapped"))
    assert "data/raw.csv" in kinds["dataset-content-changed"]
    assert "data/prepared" in kinds["dataset-content-changed"]  # derived data follows
    assert "hash-changed" not in kinds
    assert "dataset-license-changed" not in kinds


def test_edited_label_file() -> None:
    changes = _diff("label-edited")
    kinds = _kinds(changes)
    assert "data/labels.tsv" in kinds["dataset-content-changed"]
    assert "data/raw.csv" not in kinds["dataset-content-changed"]
    (metric,) = [c for c in changes.changes if c.kind == "metric-regressed"]
    assert metric.subject == "metrics.json"
    assert (metric.old, metric.new) == ("1", "0.7")


def test_edited_eval_script_is_a_pipeline_change_only() -> None:
    changes = _diff("eval-script-edited")
    assert [(c.kind, c.subject) for c in changes.changes] == [
        ("pipeline-changed", "src/evaluate.py")
    ]
    assert changes.changes[0].detail.startswith("dep sha-256 ")


def test_changed_base_model() -> None:
    changes = _diff("base-model-changed")
    kinds = _kinds(changes)
    assert kinds["base-model-changed"] == {"models/classifier"}
    (base,) = [c for c in changes.changes if c.kind == "base-model-changed"]
    assert (base.old, base.new) == ("bert-base-uncased", "roberta-base")
    assert kinds["metric-regressed"] == {"models/classifier"}
    assert "dataset-content-changed" not in kinds


def test_changed_dataset_licence() -> None:
    changes = _diff("dataset-licence-changed")
    assert [(c.kind, c.subject, c.old, c.new) for c in changes.changes] == [
        ("dataset-license-changed", "data", "CC-BY-4.0", "CC-BY-NC-4.0")
    ]


@pytest.mark.parametrize("spec", ["1.5", "1.7"])
def test_same_result_from_other_spec_versions(spec: str) -> None:
    assert _kinds(_diff("label-edited", spec)) == _kinds(_diff("label-edited"))


def test_fail_on_and_markdown_sections() -> None:
    changes = _diff("dataset-swapped")
    assert changes.matching(["dataset-content-changed"])
    text = render(changes, "markdown")
    attention = text.split("### Needs attention", 1)[1].split("###", 1)[0]
    assert "| `dataset-content-changed` |" in attention


def test_unchanged_release_has_no_changes() -> None:
    boms = []
    for _ in range(2):
        result = scan(Config(roots=(RELEASES / "label-edited" / "v1",), reproducible=True))
        boms.append(parse_bom(render_bom(result, "json").encode(), "x"))
    assert diff(boms[0], boms[1]).changes == []
