from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from aibom.analyzers.safetensors_files import analyze_file
from aibom.config import Config
from aibom.model import ArtifactIssue, ComponentKind, FileRef, Location

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "models" / "formats"


def run(path: Path, rel: str | None = None):
    ref = FileRef(path, rel or path.name, path.stat().st_size)
    collected = analyze_file(ref, "safetensors", Config())
    assert len(collected.artifacts) == 1
    return collected.artifacts[0]


def raw_file(tmp_path: Path, header: object, data: bytes, length: int | None = None) -> Path:
    body = header if isinstance(header, bytes) else json.dumps(header).encode()
    path = tmp_path / "x.safetensors"
    path.write_bytes(struct.pack("<Q", len(body) if length is None else length) + body + data)
    return path


def test_real_file_facts_and_properties() -> None:
    artifact = run(FORMATS / "tiny.safetensors")
    assert artifact.format == "safetensors"
    assert artifact.kind is ComponentKind.MODEL
    assert artifact.framework == "pytorch"
    assert artifact.sha256 == "812abf487f2c5b27d0eec252c3be4a12593d49c03ad4327abc9ad862b30ec169"
    assert artifact.size == 214
    assert artifact.facts == {
        "tensors": 2,
        "parameters": 15,
        "dtypes": ["F16", "F32"],
        "metadata": {"format": "pt"},
    }
    assert artifact.properties == {
        "cdx:ai-ml:model:parameter:count": "15",
        "aibom:tensors": "2",
        "aibom:dtypes": "F16,F32",
        "aibom:safetensors:format": "pt",
    }
    assert artifact.issues == []
    assert artifact.incomplete == []


def test_hash_matches_hashlib_for_a_multi_block_file(tmp_path: Path) -> None:
    big = {"w": np.arange(3 * 1024 * 1024, dtype=np.float32)}  # 12 MiB: several hash blocks
    path = tmp_path / "big.safetensors"
    save_file(big, path)
    artifact = run(path)
    assert artifact.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert artifact.facts["parameters"] == 3 * 1024 * 1024
    assert artifact.framework is None  # no __metadata__ format key


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("bad_overlap.safetensors", "tensor 'b' overlaps 'a' (bytes 8..16)"),
        (
            "bad_length.safetensors",
            "header length 1000000000 runs past the end of the file (214 bytes)",
        ),
        ("bad_json.safetensors", "header is not valid JSON (Expecting ',' delimiter at char 59)"),
        ("bad_dtype.safetensors", "tensor 'a' has unknown dtype 'F128'"),
    ],
)
def test_malformed_fixtures(name: str, detail: str) -> None:
    artifact = run(FORMATS / name)
    assert artifact.issues == [ArtifactIssue("safetensors:malformed", detail, Location(name))]
    assert artifact.incomplete == [f"malformed safetensors header: {detail}"]
    assert artifact.facts == {}
    assert artifact.sha256 == hashlib.sha256((FORMATS / name).read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("header", "data", "detail"),
    [
        (
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}},
            bytes(12),
            "tensors cover 8 bytes but the data area holds 12 (4 unaccounted bytes)",
        ),
        (
            {
                "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]},
                "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]},
            },
            bytes(12),
            "gap of 4 bytes before tensor 'a'",
        ),
        (
            {"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}},
            bytes(8),
            "tensor 'a' spans 8 bytes but F32 x [3] needs 12",
        ),
        (
            {"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}},
            bytes(4),
            "tensor 'a' has an invalid shape [-1]",
        ),
        (
            {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 40]}},
            bytes(4),
            "tensor 'a' ends at 40, past the data area (4 bytes)",
        ),
        (
            {"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}},
            bytes(4),
            "tensor 'a' ends before it begins (4 > 0)",
        ),
        (
            {"__metadata__": {"format": 1}},
            b"",
            "__metadata__ must map strings to strings",
        ),
        ([1, 2], b"", "header does not start with a JSON object '{'"),
    ],
)
def test_header_violations(tmp_path: Path, header: object, data: bytes, detail: str) -> None:
    artifact = run(raw_file(tmp_path, header, data))
    assert [i.detail for i in artifact.issues] == [detail]
    assert artifact.incomplete == [f"malformed safetensors header: {detail}"]


def test_duplicate_keys_are_a_parser_differential(tmp_path: Path) -> None:
    body = (
        b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},'
        b' "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}'
    )
    artifact = run(raw_file(tmp_path, body, bytes(4)))
    assert [i.detail for i in artifact.issues] == [
        "key 'a' appears twice in the header (readers disagree)"
    ]


def test_hostile_inputs_never_raise(tmp_path: Path) -> None:
    cases = {
        "short": b"\x01\x00",
        "non_utf8": struct.pack("<Q", 4) + b"{\xff\xfe}",
        "deep": struct.pack("<Q", 200_002) + b"{" + b'"a":' + b"[" * 100_000 + b"]" * 100_000,
        "zero_len": struct.pack("<Q", 0) + b"abcd",
    }
    details = {}
    for name, data in cases.items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(data)
        artifact = run(path)
        assert artifact.incomplete, name
        details[name] = artifact.issues[0].detail
    assert details == {
        "short": "file is 2 bytes, shorter than the 8-byte length prefix",
        "non_utf8": "header is not UTF-8 (byte 1)",
        "deep": "header JSON is nested too deeply",
        "zero_len": "header length 0 is too short for a JSON object",
    }


def test_empty_tensor_and_padding_are_valid(tmp_path: Path) -> None:
    header = {
        "e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]},
        "a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
    }
    body = json.dumps(header).encode()
    body += b" " * (-len(body) % 8)  # writers pad the header with spaces
    path = tmp_path / "pad.safetensors"
    path.write_bytes(struct.pack("<Q", len(body)) + body + bytes(4))
    artifact = run(path)
    assert artifact.issues == []
    assert artifact.facts["tensors"] == 2
    assert artifact.facts["parameters"] == 2
    assert artifact.facts["dtypes"] == ["BF16", "F32"]


def test_extra_keys_in_a_tensor_entry_are_accepted_like_the_library_does(
    tmp_path: Path,
) -> None:
    header = {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "note": "x"}}
    artifact = run(raw_file(tmp_path, header, bytes(4)))
    assert artifact.issues == []
    assert artifact.facts["tensors"] == 1
