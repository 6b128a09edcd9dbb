"""NumPy `.npy` arrays (and, through archives.py, the members of `.npz` files).

The header is a Python dict literal; it is parsed with `ast` after checking that it is a
dict of plain literals with the expected keys (never evaluated as code, bounded in length).
An object array (`descr` containing `O`) stores a pickle after the header: that pickle is
scanned like any other. Other arrays' data is never read except to hash it.
"""

from __future__ import annotations

import ast
import struct
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..model import ArtifactIssue, Collected, ComponentKind, FileRef, Location
from .blobs import Blob, new_artifact, open_buffer
from .hashing import sha256_of
from .pickle_blobs import PickleResult, analyze_pickle_blob, finish_artifact, record_pickle
from .pickle_vm import Limits

MAGIC = b"\x93NUMPY"
MAX_HEADER = 65536
_KEYS = {"descr", "fortran_order", "shape"}


class NpyError(ValueError):
    pass


@dataclass
class NpyInfo:
    version: str
    descr: Any
    fortran_order: bool
    shape: tuple[int, ...]
    data_offset: int  # relative to the blob start
    has_object: bool
    pickle: PickleResult | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def parse_header(blob: Blob) -> NpyInfo:
    head = blob.head(12)
    if head[:6] != MAGIC:
        raise NpyError("not a .npy file (bad magic)")
    if len(head) < 10:
        raise NpyError("truncated .npy header")
    major, minor = head[6], head[7]
    if major == 1:
        (hlen,) = struct.unpack_from("<H", head, 8)
        start = 10
        encoding = "latin-1"
    elif major in (2, 3):
        if len(head) < 12:
            raise NpyError("truncated .npy header")
        (hlen,) = struct.unpack_from("<I", head, 8)
        start = 12
        encoding = "latin-1" if major == 2 else "utf-8"
    else:
        raise NpyError(f"unsupported .npy version {major}.{minor}")
    if hlen > MAX_HEADER:
        raise NpyError(f".npy header of {hlen} bytes is longer than {MAX_HEADER}")
    if blob.start + start + hlen > blob.end:
        raise NpyError(".npy header runs past the end of the data")
    raw = bytes(blob.buf[blob.start + start : blob.start + start + hlen])
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise NpyError(".npy header is not valid text") from None
    header = _literal_dict(text)
    if set(header) != _KEYS:
        raise NpyError(f".npy header keys are {sorted(header)}, expected {sorted(_KEYS)}")
    shape = header["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise NpyError(f".npy header has an invalid shape {shape!r}")
    if not isinstance(header["fortran_order"], bool):
        raise NpyError(".npy header fortran_order is not a bool")
    descr = header["descr"]
    return NpyInfo(
        version=f"{major}.{minor}",
        descr=descr,
        fortran_order=header["fortran_order"],
        shape=shape,
        data_offset=start + hlen,
        has_object=_has_object(descr),
    )


def _literal_dict(text: str) -> dict[str, Any]:
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise NpyError(".npy header is not a dict literal") from None
    if not isinstance(node, ast.Dict):
        raise NpyError(".npy header is not a dict literal")
    for sub in ast.walk(node):
        if not isinstance(
            sub, (ast.Dict, ast.Tuple, ast.List, ast.Constant, ast.Load, ast.UnaryOp, ast.USub)
        ):
            raise NpyError(f".npy header holds a {type(sub).__name__}, not a plain literal")
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        raise NpyError(".npy header is not a dict literal") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise NpyError(".npy header is not a dict with string keys")
    return value


def _has_object(descr: Any, depth: int = 0) -> bool:
    if depth > 32:
        return True  # fail closed
    if isinstance(descr, str):
        return descr.lstrip("<>|=").startswith("O")
    if isinstance(descr, (list, tuple)):
        return any(_has_object(item, depth + 1) for item in descr)
    return False


def _itemsize(descr: Any) -> int | None:
    if not isinstance(descr, str):
        return None
    text = descr.lstrip("<>|=")
    if len(text) < 2 or not text[1:].isdigit():
        return None
    size = int(text[1:])
    return size * 4 if text[0] == "U" else size


def analyze_npy_blob(blob: Blob, member: str | None, limits: Limits | None = None) -> NpyInfo:
    """Header facts; for object arrays the pickle after the header is scanned."""
    info = parse_header(blob)
    info.facts = {
        "npy_version": info.version,
        "dtype": info.descr if isinstance(info.descr, str) else "structured",
        "shape": list(info.shape),
        "fortran_order": info.fortran_order,
        "object_array": info.has_object,
    }
    data = Blob(blob.buf, blob.start + info.data_offset, blob.end)
    if info.has_object:
        info.pickle = analyze_pickle_blob(data, member, limits, raw_file=False)
    else:
        itemsize = _itemsize(info.descr)
        if itemsize is not None:
            count = 1
            for dim in info.shape:
                count *= dim
            expected = count * itemsize
            info.facts["data_bytes"] = data.size
            if expected != data.size:
                info.facts["expected_data_bytes"] = expected
    return info


def record_npy(artifact: Any, info: NpyInfo, member: str | None) -> None:
    entry = dict(info.facts, member=member)
    artifact.facts.setdefault("arrays", []).append(entry)
    if info.pickle is not None:
        record_pickle(artifact, info.pickle, member)
        artifact.issues.append(
            ArtifactIssue(
                "numpy:object-array",
                "object array: loading it needs allow_pickle=True, which runs its pickle",
                Location(artifact.path, member=member),
                (("dtype", str(info.facts["dtype"])),),
            )
        )
    if (
        "expected_data_bytes" in info.facts
        and info.facts["expected_data_bytes"] > info.facts["data_bytes"]
    ):
        artifact.incomplete.append(
            f"{member + ': ' if member else ''}array data truncated: "
            f"{info.facts['data_bytes']} of {info.facts['expected_data_bytes']} bytes"
        )


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    artifact = new_artifact(file, "numpy")
    artifact.kind = ComponentKind.DATA
    try:
        with open_buffer(file.path, file.size) as buf:
            blob = Blob(buf, 0, len(buf))
            try:
                info = analyze_npy_blob(blob, None)
                record_npy(artifact, info, None)
                if isinstance(info.descr, str):
                    artifact.properties["aibom:numpy:dtype"] = info.descr
                artifact.properties["aibom:numpy:shape"] = "x".join(map(str, info.shape))
            except NpyError as exc:
                artifact.incomplete.append(str(exc))
            artifact.sha256 = sha256_of(buf, file.path, file.size)
    except OSError as exc:
        artifact.incomplete.append(f"cannot read: {exc.strerror or exc}")
    finish_artifact(artifact, file.path.parent)
    if artifact.framework is None:
        artifact.framework = "numpy"
    return Collected(artifacts=[artifact])
