"""safetensors: validate the JSON header without reading tensor data.

Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON (an object mapping
tensor names to {dtype, shape, data_offsets} plus an optional `__metadata__` str->str map),
then the data area. Offsets are relative to the data area and must tile it exactly: sorted
by begin, contiguous from 0, no gap, no overlap, ending at the data area's end.

The header is parsed here, not with the `safetensors` library: the library refuses a bad
file with one message, while aibom wants every violation named, and a hostile length must
never make us allocate more than `MAX_HEADER` bytes.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

from ..config import Config
from ..model import Artifact, ArtifactIssue, Collected, ComponentKind, FileRef, Location
from .card_text import parameter_count
from .hashing import hash_into

MAX_HEADER = 100 * 1024 * 1024

# dtype -> bits per element (safetensors 0.4 .. 0.8 spellings)
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "C64": 64,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
}

# `__metadata__["format"]` as written by the safetensors bindings -> framework
FRAMEWORKS = {
    "pt": "pytorch",
    "tf": "tensorflow",
    "flax": "flax",
    "jax": "jax",
    "np": "numpy",
    "numpy": "numpy",
    "mlx": "mlx",
    "paddle": "paddlepaddle",
}

MAX_REPORTED_PROBLEMS = 5


class HeaderError(ValueError):
    """The header is malformed; the message says how."""


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    artifact = Artifact(path=file.rel, format="safetensors", size=file.size)
    artifact.kind = ComponentKind.MODEL
    hash_into(artifact, file.path)
    try:
        with file.path.open("rb") as fh:
            header = read_header(fh, file.size)
    except OSError as exc:
        artifact.incomplete.append(f"cannot read the header: {exc.strerror or exc}")
        return Collected(artifacts=[artifact])
    except HeaderError as exc:
        detail = str(exc)
        artifact.incomplete.append(f"malformed safetensors header: {detail}")
        artifact.issues.append(ArtifactIssue("safetensors:malformed", detail, Location(file.rel)))
        return Collected(artifacts=[artifact])
    record_facts(artifact, header)
    return Collected(artifacts=[artifact])


class Header:
    """A validated safetensors header."""

    def __init__(self, tensors: dict[str, dict[str, Any]], metadata: dict[str, str]):
        self.tensors = tensors
        self.metadata = metadata

    @property
    def parameter_count(self) -> int:
        return sum(math.prod(t["shape"]) for t in self.tensors.values())

    @property
    def dtypes(self) -> list[str]:
        return sorted({t["dtype"] for t in self.tensors.values()})


def read_header(fh: Any, size: int) -> Header:
    """Read and validate the header of an open safetensors file of `size` bytes."""
    prefix = fh.read(8)
    if len(prefix) < 8:
        raise HeaderError(f"file is {size} bytes, shorter than the 8-byte length prefix")
    (length,) = struct.unpack("<Q", prefix)
    if length > size - 8:
        raise HeaderError(f"header length {length} runs past the end of the file ({size} bytes)")
    if length > MAX_HEADER:
        raise HeaderError(f"header length {length} exceeds the {MAX_HEADER}-byte limit")
    if length < 2:
        raise HeaderError(f"header length {length} is too short for a JSON object")
    raw = fh.read(length)
    if len(raw) < length:
        raise HeaderError("file ends inside the header")
    return parse_header(raw, data_size=size - 8 - length)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise HeaderError(f"key {key!r} appears twice in the header (readers disagree)")
        result[key] = value
    return result


def parse_header(raw: bytes, data_size: int) -> Header:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HeaderError(f"header is not UTF-8 (byte {exc.start})") from None
    if not text.startswith("{"):
        raise HeaderError("header does not start with a JSON object '{'")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise HeaderError("header JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise HeaderError(f"header is not valid JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise HeaderError("header is not a JSON object")
    metadata: dict[str, str] = {}
    raw_meta = data.pop("__metadata__", None)
    if raw_meta is not None:
        if not isinstance(raw_meta, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw_meta.items()
        ):
            raise HeaderError("__metadata__ must map strings to strings")
        metadata = raw_meta
    problems: list[str] = []
    spans: list[tuple[int, int, str]] = []
    for name, info in data.items():
        problem = _check_tensor(name, info, data_size)
        if problem:
            problems.append(problem)
        else:
            begin, end = info["data_offsets"]
            spans.append((begin, end, name))
    problems.extend(_check_layout(spans, data_size) if not problems else [])
    if problems:
        shown = "; ".join(problems[:MAX_REPORTED_PROBLEMS])
        more = len(problems) - MAX_REPORTED_PROBLEMS
        raise HeaderError(shown + (f"; and {more} more" if more > 0 else ""))
    return Header(data, metadata)


def _is_uint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_tensor(name: str, info: Any, data_size: int) -> str | None:
    if not isinstance(info, dict):
        return f"tensor {name!r} is not an object"
    dtype = info.get("dtype")
    if dtype not in DTYPE_BITS:
        return f"tensor {name!r} has unknown dtype {dtype!r}"
    shape = info.get("shape")
    if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
        return f"tensor {name!r} has an invalid shape {shape!r}"
    offsets = info.get("data_offsets")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_uint(o) for o in offsets):
        return f"tensor {name!r} has invalid data_offsets {offsets!r}"
    begin, end = offsets
    if begin > end:
        return f"tensor {name!r} ends before it begins ({begin} > {end})"
    if end > data_size:
        return f"tensor {name!r} ends at {end}, past the data area ({data_size} bytes)"
    bits = math.prod(shape) * DTYPE_BITS[dtype]
    if bits % 8 or bits // 8 != end - begin:
        return f"tensor {name!r} spans {end - begin} bytes but {dtype} x {shape} needs {bits / 8:g}"
    return None


def _check_layout(spans: list[tuple[int, int, str]], data_size: int) -> list[str]:
    problems: list[str] = []
    position = 0
    previous = ""
    for begin, end, name in sorted(spans):
        if begin < position:
            problems.append(f"tensor {name!r} overlaps {previous!r} (bytes {begin}..{position})")
        elif begin > position:
            problems.append(f"gap of {begin - position} bytes before tensor {name!r}")
        if end > position:
            position, previous = end, name
    if position != data_size and not problems:
        problems.append(
            f"tensors cover {position} bytes but the data area holds {data_size} "
            f"({data_size - position} unaccounted bytes)"
        )
    return problems


def record_facts(artifact: Artifact, header: Header) -> None:
    fmt = header.metadata.get("format")
    if fmt:
        artifact.framework = FRAMEWORKS.get(fmt.lower(), fmt)
    count = header.parameter_count
    artifact.facts.update(
        {
            "tensors": len(header.tensors),
            "parameters": count,
            "dtypes": header.dtypes,
            "metadata": dict(sorted(header.metadata.items())),
        }
    )
    artifact.properties["cdx:ai-ml:model:parameter:count"] = parameter_count(count)
    if count >= 10**6:  # the taxonomy format rounds: keep the exact count
        artifact.properties["aibom:parameter-count"] = str(count)
    artifact.properties["aibom:tensors"] = str(len(header.tensors))
    if header.dtypes:
        artifact.properties["aibom:dtypes"] = ",".join(header.dtypes)
    if fmt:
        artifact.properties["aibom:safetensors:format"] = fmt
