"""Git LFS pointers checked out instead of their content (rule AIB903)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aibom.config import Config
from aibom.model import ArtifactFormat
from aibom.scan import scan
from aibom.sniff import sniff

OID = "ab" * 32


def _pointer(path: Path, size: int = 4096) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize {size}\n"
    path.write_text(text, "ascii")
    return path


@pytest.mark.parametrize("name", ["model.safetensors", "weights.bin", "model.pkl", "x.onnx"])
def test_a_pointer_under_a_model_name_is_aib903_not_a_malformed_model(
    tmp_path: Path, name: str
) -> None:
    path = _pointer(tmp_path / "m" / name)
    assert sniff(path) == ArtifactFormat.LFS_POINTER
    result = scan(Config(roots=(tmp_path,)))
    rules = {(f.rule_id, f.location.path) for f in result.findings}
    assert rules == {("AIB903", f"m/{name}")}
    (artifact,) = result.inventory.artifacts
    assert (artifact.sha256, artifact.size) == (OID, 4096)  # the real content's identity
    assert result.complete


def test_a_pointer_under_another_name_is_inventoried_not_reported(tmp_path: Path) -> None:
    _pointer(tmp_path / "docs" / "diagram.png")
    result = scan(Config(roots=(tmp_path,)))
    assert result.findings == []
    (artifact,) = result.inventory.artifacts
    assert (artifact.path, artifact.sha256) == ("docs/diagram.png", OID)


def test_a_malformed_pointer_is_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_text("version https://git-lfs.github.com/spec/v1\nsize 12\n", "ascii")
    result = scan(Config(roots=(tmp_path,)))
    assert {f.rule_id for f in result.findings} == {"AIB902"}
    assert not result.complete
