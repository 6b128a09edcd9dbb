from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from aibom.analyzers import onnx_files as onnx_analyzer
from aibom.config import Config
from aibom.model import ArtifactIssue, FileRef, Location

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "formats"


def run(path: Path, rel: str | None = None):
    ref = FileRef(path, rel or path.name, path.stat().st_size)
    collected = onnx_analyzer.analyze_file(ref, "onnx", Config())
    assert len(collected.artifacts) == 1
    return collected.artifacts[0]


def tiny_model() -> onnx.ModelProto:
    return onnx.load(FORMATS / "tiny.onnx")


def test_real_model_facts() -> None:
    artifact = run(FORMATS / "tiny.onnx")
    assert artifact.sha256 == hashlib.sha256((FORMATS / "tiny.onnx").read_bytes()).hexdigest()
    assert artifact.framework == "onnx"
    assert artifact.facts == {
        "ir_version": 14,
        "opsets": {"ai.onnx": 17},
        "nodes": 2,
        "tensors": 2,
        "parameters": 15,
        "dtypes": ["FLOAT"],
        "op_types": ["Add", "MatMul"],
        "custom_domains": {},
        "external_data": [],
        "producer_name": "aibom-fixtures",
        "producer_version": "1.0",
        "graph_name": "tiny",
    }
    assert artifact.properties == {
        "aibom:onnx:producer": "aibom-fixtures 1.0",
        "aibom:onnx:opsets": "ai.onnx=17",
        "cdx:ai-ml:model:parameter:count": "15",
        "aibom:tensors": "2",
        "aibom:dtypes": "FLOAT",
    }
    assert artifact.issues == []
    assert artifact.incomplete == []


def test_custom_domain_fixture() -> None:
    artifact = run(FORMATS / "custom_domain.onnx")
    assert artifact.facts["custom_domains"] == {"com.example.custom": ["Evil"]}
    assert artifact.facts["opsets"] == {"ai.onnx": 17, "com.example.custom": 1}
    assert artifact.issues == [
        ArtifactIssue(
            "onnx:custom-domain",
            "custom domain com.example.custom: Evil",
            Location("custom_domain.onnx"),
            (("domain", "com.example.custom"), ("ops", "Evil")),
        )
    ]


def test_external_data_escaping_fixture() -> None:
    artifact = run(FORMATS / "external_escape.onnx")
    assert artifact.facts["external_data"] == ["../../etc/passwd"]
    assert artifact.issues == [
        ArtifactIssue(
            "onnx:external-data-escapes",
            "'../../etc/passwd' (climbs out of the folder with '..')",
            Location("external_escape.onnx"),
            (
                ("tensor", "W"),
                ("path", "../../etc/passwd"),
                ("why", "climbs out of the folder with '..'"),
            ),
        )
    ]


def test_external_data_beside_the_model_is_fine() -> None:
    artifact = run(FORMATS / "external_ok.onnx")
    assert artifact.facts["external_data"] == ["external_ok.onnx.data"]
    assert artifact.facts["parameters"] == 15
    assert artifact.issues == []


def test_missing_external_data(tmp_path: Path) -> None:
    shutil.copy(FORMATS / "external_ok.onnx", tmp_path / "m.onnx")
    artifact = run(tmp_path / "m.onnx")
    assert [(i.kind, i.detail, i.arg_dict) for i in artifact.issues] == [
        (
            "onnx:external-data-missing",
            "external_ok.onnx.data",
            {"tensor": "W", "path": "external_ok.onnx.data"},
        )
    ]


def with_location(tmp_path: Path, location: str) -> Path:
    model = tiny_model()
    tensor = model.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", location
    folder = tmp_path / "model"
    folder.mkdir(exist_ok=True)
    onnx.save_model(model, folder / "m.onnx")
    return folder / "m.onnx"


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("/etc/passwd", "absolute path"),
        ("C:\\Windows\\win.ini", "absolute path"),
        ("sub/../../secret", "climbs out of the folder with '..'"),
        ("..\\..\\secret", "climbs out of the folder with '..'"),
    ],
)
def test_escaping_locations(tmp_path: Path, location: str, why: str) -> None:
    artifact = run(with_location(tmp_path, location))
    assert [(i.kind, i.arg_dict["why"]) for i in artifact.issues] == [
        ("onnx:external-data-escapes", why)
    ]


def test_symlink_out_of_the_folder(tmp_path: Path) -> None:
    path = with_location(tmp_path, "weights.bin")
    (tmp_path / "outside.bin").write_bytes(bytes(48))
    os.symlink(tmp_path / "outside.bin", path.parent / "weights.bin")
    artifact = run(path)
    assert [i.kind for i in artifact.issues] == ["onnx:external-data-escapes"]
    assert artifact.issues[0].arg_dict["why"] == f"symlink to {tmp_path / 'outside.bin'}"


def test_subfolder_location_inside_the_folder_is_fine(tmp_path: Path) -> None:
    path = with_location(tmp_path, "data/../weights.bin")
    (path.parent / "weights.bin").write_bytes(bytes(48))
    assert run(path).issues == []


def test_subgraphs_are_walked(tmp_path: Path) -> None:
    then_graph = helper.make_graph(
        [helper.make_node("Hidden", [], ["t"], domain="evil.ops")],
        "then",
        [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, [1])],
    )
    else_graph = helper.make_graph(
        [
            helper.make_node(
                "Constant", [], ["e"], value=numpy_helper.from_array(np.ones(3, np.float32))
            )
        ],
        "else",
        [],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, [3])],
    )
    node = helper.make_node("If", ["c"], ["y"], then_branch=then_graph, else_branch=else_graph)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("c", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(model, tmp_path / "if.onnx")
    artifact = run(tmp_path / "if.onnx")
    assert artifact.facts["op_types"] == ["Constant", "Hidden", "If"]
    assert artifact.facts["custom_domains"] == {"evil.ops": ["Hidden"]}
    assert artifact.facts["nodes"] == 3
    assert artifact.facts["parameters"] == 3


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_deeply_nested_subgraphs_are_bounded(tmp_path: Path) -> None:
    # protobuf itself refuses to build this; real writers never nest this deep
    graph = b""
    for _ in range(40):
        graph = _field(1, _field(5, _field(6, graph)))  # graph.node.attribute.g
    (tmp_path / "deep.onnx").write_bytes(b"\x08\x07" + _field(7, graph))
    artifact = run(tmp_path / "deep.onnx")
    assert artifact.issues[0].detail == "subgraphs nested deeper than 32 levels"
    assert artifact.incomplete == [
        "malformed ONNX protobuf: subgraphs nested deeper than 32 levels"
    ]


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"\x08" + b"\xff" * 11, "varint longer than 10 bytes at byte 11"),
        (b"\x08\x07\x3a\xff\xff\x03", "field 7 at byte 6 claims 65535 bytes; only 0 remain"),
        (b"\x08\x07\x0b", "unsupported wire type 3 (field 1) at byte 3"),
        (b"\x08\x07", "not an ONNX model: no graph"),
        (b"hello world, not a protobuf", "unsupported wire type 4 (field 13) at byte 3"),
    ],
)
def test_malformed_protobufs(tmp_path: Path, data: bytes, detail: str) -> None:
    (tmp_path / "x.onnx").write_bytes(data)
    artifact = run(tmp_path / "x.onnx")
    assert [(i.kind, i.detail) for i in artifact.issues] == [("onnx:malformed", detail)]


def test_truncated_fixture_and_empty_file(tmp_path: Path) -> None:
    artifact = run(FORMATS / "truncated.onnx")
    assert artifact.issues == [
        ArtifactIssue(
            "onnx:malformed",
            "field 7 at byte 26 claims 167 bytes; only 73 remain",
            Location("truncated.onnx"),
        )
    ]
    (tmp_path / "empty.onnx").write_bytes(b"")
    empty = run(tmp_path / "empty.onnx")
    assert empty.incomplete == ["empty file"]


def test_model_local_functions_are_not_custom_ops(tmp_path: Path) -> None:
    function = helper.make_function(
        "local.fns",
        "Double",
        ["a"],
        ["b"],
        [helper.make_node("Add", ["a", "a"], ["b"])],
        [helper.make_opsetid("", 17)],
    )
    graph = helper.make_graph(
        [
            helper.make_node("Double", ["x"], ["y"], domain="local.fns"),
            helper.make_node("Gelu2", ["y"], ["z"], domain="com.vendor"),
        ],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(
        graph,
        functions=[function],
        opset_imports=[
            helper.make_opsetid("", 17),
            helper.make_opsetid("local.fns", 1),
            helper.make_opsetid("com.vendor", 1),
        ],
    )
    onnx.save_model(model, tmp_path / "f.onnx")
    artifact = run(tmp_path / "f.onnx")
    assert artifact.facts["functions"] == ["local.fns:Double"]
    assert artifact.facts["custom_domains"] == {"com.vendor": ["Gelu2"]}
    assert artifact.facts["op_types"] == ["Add", "Double", "Gelu2"]


def test_node_count_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onnx_analyzer, "MAX_NODES", 3)
    artifact = run(FORMATS / "tiny.onnx")  # 2 nodes + 2 initializers
    assert artifact.incomplete == ["ONNX analysis stopped: more than 3 nodes and tensors"]
    assert artifact.issues == []


def test_onnx_named_like_other_weights_is_found_by_content(tmp_path: Path) -> None:
    from aibom.config import Config as _Config
    from aibom.scan import collect

    shutil.copy(FORMATS / "custom_domain.onnx", tmp_path / "model.bin")
    (tmp_path / "notes.bin").write_bytes(b"\x08\x01plain bytes")
    inv = collect(_Config(roots=(tmp_path,), workers=1))
    formats = {a.path: a.format for a in inv.artifacts}
    assert formats == {"model.bin": "onnx", "notes.bin": "unknown"}
    model = next(a for a in inv.artifacts if a.path == "model.bin")
    assert model.facts["custom_domains"] == {"com.example.custom": ["Evil"]}
