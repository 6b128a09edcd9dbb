"""NumPy .npy/.npz: header parsing without evaluation, object arrays scanned as pickles,
plain arrays never read except to hash."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from aibom.analyzers import get_analyzer
from aibom.analyzers.blobs import Blob
from aibom.analyzers.numpy_files import NpyError, parse_header
from aibom.config import Config
from aibom.model import Artifact, ComponentKind, FileRef, Location
from aibom.sniff import sniff

MODELS = Path(__file__).resolve().parent.parent.parent / "fixtures" / "models"


def npy(header: str, payload: bytes = b"", version: int = 1) -> bytes:
    raw = header.encode("latin-1")
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw + payload
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(raw)) + raw + payload


def analyze(path: Path) -> Artifact:
    fmt = sniff(path)
    assert fmt == "numpy"
    (artifact,) = get_analyzer(fmt)(
        FileRef(path, path.name, path.stat().st_size), fmt, Config()
    ).artifacts
    return artifact


def test_real_int_array() -> None:
    artifact = analyze(MODELS / "benign" / "arange.npy")
    assert artifact.kind is ComponentKind.DATA
    assert artifact.facts["arrays"] == [
        {
            "npy_version": "1.0",
            "dtype": "<i8",
            "shape": [2, 3],
            "fortran_order": False,
            "object_array": False,
            "data_bytes": 48,
            "member": None,
        }
    ]
    assert artifact.properties == {"aibom:numpy:dtype": "<i8", "aibom:numpy:shape": "2x3"}
    assert artifact.pickle_imports == []
    assert artifact.incomplete == []


def test_object_array_pickle_is_scanned() -> None:
    artifact = analyze(MODELS / "malicious" / "objarr.npy")
    assert [(i.qualname, i.member, i.called) for i in artifact.pickle_imports] == [
        ("posix.system", None, True)
    ]
    assert [(i.kind, i.location, i.arg_dict) for i in artifact.issues] == [
        ("numpy:object-array", Location("objarr.npy"), {"dtype": "|O"})
    ]


def test_npz_members() -> None:
    fmt = sniff(MODELS / "malicious" / "arrays.npz")
    path = MODELS / "malicious" / "arrays.npz"
    (artifact,) = get_analyzer(fmt)(
        FileRef(path, path.name, path.stat().st_size), fmt, Config()
    ).artifacts
    assert artifact.format == "npz"
    assert [(i.member, i.qualname) for i in artifact.pickle_imports] == [
        ("labels.npy", "posix.system")
    ]
    assert artifact.facts["arrays"][0]["member"] == "labels.npy"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (
            "{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,)}",
            ".npy header holds a Call, not a plain literal",
        ),
        ("[1, 2]", ".npy header is not a dict literal"),
        (
            "{'descr': '<f8', 'shape': (1,)}",
            ".npy header keys are ['descr', 'shape'], expected ['descr', 'fortran_order', 'shape']",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}",
            ".npy header has an invalid shape (-1,)",
        ),
        (
            "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,)}",
            ".npy header fortran_order is not a bool",
        ),
        ("{'descr': '<f8', ", ".npy header is not a dict literal"),
    ],
)
def test_malformed_headers(header: str, reason: str) -> None:
    data = npy(header)
    with pytest.raises(NpyError) as exc:
        parse_header(Blob(data, 0, len(data)))
    assert str(exc.value) == reason


def test_header_limits_and_versions() -> None:
    data = b"\x93NUMPY\x02\x00" + struct.pack("<I", 1 << 20)
    with pytest.raises(NpyError, match="longer than 65536"):
        parse_header(Blob(data, 0, len(data)))
    v3 = npy("{'descr': '<U2', 'fortran_order': False, 'shape': (3,), }", b"\x00" * 24, version=3)
    info = parse_header(Blob(v3, 0, len(v3)))
    assert (info.version, info.descr, info.shape, info.has_object) == ("3.0", "<U2", (3,), False)
    structured = npy(
        "{'descr': [('a', '<i4'), ('b', '|O')], 'fortran_order': False, 'shape': (1,), }"
    )
    assert parse_header(Blob(structured, 0, len(structured))).has_object is True


def test_truncated_array_data_is_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "cut.npy"
    path.write_bytes(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", b"\x00" * 10))
    artifact = analyze(path)
    assert artifact.incomplete == ["array data truncated: 10 of 32 bytes"]
    assert artifact.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_malformed_file_is_incomplete_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "bad.npy"
    path.write_bytes(b"\x93NUMPY\x09\x00garbage")
    artifact = analyze(path)
    assert artifact.incomplete == ["unsupported .npy version 9.0"]
