from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from aibom.analyzers import keras_files as keras
from aibom.config import Config
from aibom.model import Artifact, ArtifactIssue, ComponentKind, FileRef, Location

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "formats"


def ref(path: Path) -> FileRef:
    return FileRef(path, path.name, path.stat().st_size)


def keras_zip(path: Path) -> Artifact:
    return keras.analyze_keras_file(ref(path), Config())


def h5(path: Path) -> Artifact:
    collected = keras.analyze_file(ref(path), "hdf5", Config())
    assert len(collected.artifacts) == 1
    return collected.artifacts[0]


def test_benign_keras_archive() -> None:
    artifact = keras_zip(FORMATS / "dense.keras")
    assert artifact.format == "keras"
    assert artifact.framework == "keras"
    assert artifact.kind is ComponentKind.MODEL
    assert artifact.sha256 == hashlib.sha256((FORMATS / "dense.keras").read_bytes()).hexdigest()
    assert artifact.facts == {
        "keras_weights": ["model.weights.h5"],
        "keras_version": "3.15.1",
        "model_class": "Sequential",
        "layers": 2,
        "layer_classes": ["Dense", "InputLayer"],
        "lambda_layers": [],
        "parameters": 15,
        "dtypes": ["float32"],
    }
    assert artifact.properties == {
        "aibom:keras:version": "3.15.1",
        "cdx:ai-ml:model:parameter:count": "15",
        "aibom:dtypes": "float32",
    }
    assert artifact.issues == []
    assert artifact.incomplete == []


def test_lambda_layer() -> None:
    artifact = keras_zip(FORMATS / "lambda.keras")
    assert artifact.facts["lambda_layers"] == ["double"]
    assert artifact.issues == [
        ArtifactIssue(
            "keras:lambda",
            "Lambda layer double",
            Location("lambda.keras", member="config.json"),
            (("layer", "double"),),
        )
    ]


def test_lambda_in_a_nested_model() -> None:
    artifact = keras_zip(FORMATS / "nested_lambda.keras")
    assert artifact.facts["layer_classes"] == ["Dense", "InputLayer", "Lambda", "Sequential"]
    assert [(i.kind, i.arg_dict) for i in artifact.issues] == [
        ("keras:lambda", {"layer": "hidden_double"})
    ]


def test_layer_from_outside_keras() -> None:
    artifact = keras_zip(FORMATS / "evil_module.keras")
    assert [(i.kind, i.detail, i.arg_dict) for i in artifact.issues] == [
        (
            "keras:external-module",
            "object system from module os",
            {"what": "object", "name": "system", "module": "os"},
        ),
        (
            "keras:external-module",
            "registered object os>system from module os",
            {"what": "registered object", "name": "os>system", "module": "os"},
        ),
    ]


def test_analyze_keras_zip_contract_for_the_archive_analyzer() -> None:
    with zipfile.ZipFile(FORMATS / "lambda.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert keras.is_keras_zip(list(members))
    assert not keras.is_keras_zip(["config.json", "data.pkl"])
    artifact = Artifact(path="release.zip", format="zip", size=1)
    keras.analyze_keras_zip(artifact, list(members), members.__getitem__, Config())
    assert artifact.format == "keras"
    assert artifact.facts["lambda_layers"] == ["double"]
    assert artifact.issues[0].location == Location("release.zip", member="config.json")


def config_with(*objects: dict[str, object]) -> bytes:
    layers = [{"module": "keras.layers", "class_name": "InputLayer", "config": {"name": "in"}}]
    layers.extend(objects)
    return json.dumps(
        {"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": layers}}
    ).encode()


def analyze_config(raw: bytes, names: tuple[str, ...] = ("config.json", "metadata.json")):
    members = {"config.json": raw, "metadata.json": b'{"keras_version": "3.9.0"}'}
    artifact = Artifact(path="m.keras", format="zip", size=len(raw))
    keras.analyze_keras_zip(artifact, list(names), members.__getitem__, Config())
    return artifact


def test_dangerous_keras_references() -> None:
    artifact = analyze_config(
        config_with(
            {
                "module": "keras.layers",
                "class_name": "Activation",
                "config": {
                    "name": "a",
                    "activation": {
                        "module": "keras.config",
                        "class_name": "function",
                        "config": "enable_unsafe_deserialization",
                        "registered_name": "function",
                    },
                },
            },
            {
                "module": "keras.layers",
                "class_name": "StringLookup",
                "config": {"name": "lk", "vocabulary": "/etc/shadow"},
            },
            {"module": "keras.layers", "class_name": "TFSMLayer", "config": {"name": "sm"}},
            {
                "module": "builtins",
                "class_name": "function",
                "config": "exec",
                "registered_name": "function",
            },
        )
    )
    assert [(i.kind, i.arg_dict) for i in artifact.issues] == [
        ("keras:external-module", {"what": "function", "name": "exec", "module": "builtins"}),
        (
            "keras:dangerous-reference",
            {"what": "StringLookup vocabulary file"},
        ),
        ("keras:dangerous-reference", {"what": "TFSMLayer"}),
        ("keras:dangerous-reference", {"what": "enable_unsafe_deserialization"}),
    ]
    assert artifact.issues[1].detail == (
        "StringLookup reads its vocabulary from '/etc/shadow' (CVE-2025-12058)"
    )


def test_custom_registered_layer_of_a_keras_package_is_not_flagged() -> None:
    artifact = analyze_config(
        config_with(
            {
                "module": "keras_hub.src.models.bert.bert_backbone",
                "class_name": "BertBackbone",
                "config": {"name": "b"},
                "registered_name": "keras_hub>BertBackbone",
            }
        )
    )
    assert artifact.issues == []


@pytest.mark.parametrize(
    ("raw", "names", "reason"),
    [
        (b"{not json", ("config.json",), "config.json: config.json is not valid JSON"),
        (b'{"a": "\xff"}', ("config.json",), "config.json: config.json is not UTF-8 (byte 7)"),
        (
            b"[" * 100_000 + b"]" * 100_000,
            ("config.json",),
            "config.json: config.json is nested too deeply",
        ),
        (
            json.dumps({"class_name": "X", "config": {"layers": [[[[]]]]}})
            .encode()
            .replace(b"[[[[]]]]", b"[" * 300 + b"]" * 300),
            ("config.json",),
            "config nested deeper than 200 levels",
        ),
        (b"{}", ("metadata.json",), "Keras archive has no config.json"),
    ],
)
def test_bad_configs_are_incomplete(raw: bytes, names: tuple[str, ...], reason: str) -> None:
    artifact = analyze_config(raw, names)
    assert len(artifact.incomplete) == 1
    assert artifact.incomplete[0].startswith(reason)


def test_corrupt_zip(tmp_path: Path) -> None:
    path = tmp_path / "bad.keras"
    path.write_bytes(b"PK\x03\x04" + bytes(40))
    artifact = keras_zip(path)
    assert artifact.incomplete == ["cannot read the Keras archive: File is not a zip file"]


def test_h5_models() -> None:
    dense = h5(FORMATS / "dense.h5")
    assert dense.format == "hdf5"
    assert dense.framework == "keras"
    assert dense.facts == {
        "keras_version": "3.15.1",
        "backend": "jax",
        "hdf5_model": True,
        "parameters": 15,
        "dtypes": ["float32"],
        "model_class": "Sequential",
        "layers": 2,
        "layer_classes": ["Dense", "InputLayer"],
        "lambda_layers": [],
    }
    assert dense.properties == {
        "aibom:keras:version": "3.15.1",
        "cdx:ai-ml:model:parameter:count": "15",
        "aibom:dtypes": "float32",
    }
    assert dense.issues == []
    assert dense.incomplete == []
    lam = h5(FORMATS / "lambda.h5")
    assert [(i.kind, i.location) for i in lam.issues] == [("keras:lambda", Location("lambda.h5"))]


def test_h5_without_h5py_is_not_analysed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h5py", None)
    artifact = h5(FORMATS / "lambda.h5")
    assert artifact.incomplete == ["HDF5 model not analysed: install aibom[h5] (h5py)"]
    assert artifact.issues == []
    assert artifact.sha256 == hashlib.sha256((FORMATS / "lambda.h5").read_bytes()).hexdigest()


def test_plain_hdf5_data_and_external_links(tmp_path: Path) -> None:
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(4)
        f["grp/ext"] = h5py.ExternalLink("/etc/other.h5", "/secret")
    artifact = h5(path)
    assert artifact.kind is ComponentKind.DATA
    assert artifact.facts == {"hdf5_model": False, "parameters": 4, "dtypes": ["int64"]}
    assert [(i.kind, i.detail, i.arg_dict) for i in artifact.issues] == [
        (
            "hdf5:external-link",
            "/grp/ext links to /etc/other.h5:/secret",
            {"what": "HDF5 external link"},
        )
    ]


def test_h5_weights_without_model_config_are_not_clean(tmp_path: Path) -> None:
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"dense"]
        f["dense/kernel"] = np.ones(2)
    artifact = h5(path)
    assert artifact.incomplete == [
        "HDF5 Keras weights without model_config: layers and code not checked"
    ]


def test_truncated_h5(tmp_path: Path) -> None:
    path = tmp_path / "t.h5"
    path.write_bytes((FORMATS / "lambda.h5").read_bytes()[:600])
    artifact = h5(path)
    assert len(artifact.incomplete) == 1
    assert artifact.incomplete[0].startswith("cannot read the HDF5 file:")


def test_hdf5_hard_link_cycle_terminates(tmp_path: Path) -> None:
    path = tmp_path / "loop.h5"
    with h5py.File(path, "w") as f:
        group = f.create_group("a")
        group["w"] = np.ones(3)
        group["again"] = f["a"]  # a hard link to its own parent
    artifact = h5(path)
    assert artifact.incomplete == []
    assert artifact.facts["parameters"] == 3


def weights_with_link(tmp_path: Path) -> bytes:
    path = tmp_path / "w.h5"
    with h5py.File(path, "w") as f:
        f["layers/dense/vars/0"] = np.ones((4, 3), np.float32)
        f["layers/dense/vars/1"] = h5py.ExternalLink("/etc/passwd", "/x")
    return path.read_bytes()


def test_keras_weights_with_an_external_link(tmp_path: Path) -> None:
    with zipfile.ZipFile(FORMATS / "dense.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["model.weights.h5"] = weights_with_link(tmp_path)
    artifact = Artifact(path="m.keras", format="zip", size=1)
    keras.analyze_keras_zip(artifact, list(members), members.__getitem__, Config())
    assert [(i.kind, i.detail, i.location) for i in artifact.issues] == [
        (
            "hdf5:external-link",
            "/layers/dense/vars/1 links to /etc/passwd:/x",
            Location("m.keras", member="model.weights.h5"),
        )
    ]
    assert artifact.facts["parameters"] == 12


def test_keras_weights_not_checked_are_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(FORMATS / "dense.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}

    def too_big(name: str) -> bytes:
        if name == "model.weights.h5":
            raise ValueError("member larger than 67108864 bytes")
        return members[name]

    artifact = Artifact(path="m.keras", format="zip", size=1)
    keras.analyze_keras_zip(artifact, list(members), too_big, Config())
    assert artifact.properties["aibom:keras:weights-not-checked"] == (
        "member larger than 67108864 bytes"
    )
    assert artifact.incomplete == []
    monkeypatch.setitem(sys.modules, "h5py", None)
    artifact = Artifact(path="m.keras", format="zip", size=1)
    keras.analyze_keras_zip(artifact, list(members), members.__getitem__, Config())
    assert artifact.properties["aibom:keras:weights-not-checked"] == "h5py not installed"
