"""ONNX models: the protobuf wire format read directly (the `onnx` package is not needed).

Read from `ModelProto`: ir_version (1), producer_name (2), producer_version (3), domain (4),
model_version (5), graph (7), opset_import (8: domain 1, version 2), metadata_props (14),
functions (25). From each `GraphProto` (and every subgraph held by If/Loop/Scan attributes,
bounded by `MAX_GRAPH_DEPTH`): nodes (1: op_type 4, domain 7, attribute 5), initializers
(5) and sparse initializers (15) with their dims, data type and external data (13: key/value,
14: data_location). Tensor bytes are skipped, never copied: the file is memory-mapped.

Custom domains are any operator domain other than "", "ai.onnx", "ai.onnx.ml" and
"ai.onnx.preview.training". An external-data `location` that is absolute, climbs out of the
model's folder with `..`, or is a symlink leading out of it is recorded as an issue; so is
one that does not exist.
"""

from __future__ import annotations

import math
import mmap
import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..model import Artifact, ArtifactIssue, Collected, ComponentKind, FileRef, Location
from .card_text import parameter_count
from .hashing import hash_into

STANDARD_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training"})
MAX_GRAPH_DEPTH = 32
MAX_STRING = 1024 * 1024
MAX_NODES = (
    1_000_000  # nodes + tensors parsed in one file (a time bound; real graphs hold ~1e4-1e5)
)
MAX_SHOWN_OPS = 20

# TensorProto.DataType
DATA_TYPES = {
    1: "FLOAT",
    2: "UINT8",
    3: "INT8",
    4: "UINT16",
    5: "INT16",
    6: "INT32",
    7: "INT64",
    8: "STRING",
    9: "BOOL",
    10: "FLOAT16",
    11: "DOUBLE",
    12: "UINT32",
    13: "UINT64",
    14: "COMPLEX64",
    15: "COMPLEX128",
    16: "BFLOAT16",
    17: "FLOAT8E4M3FN",
    18: "FLOAT8E4M3FNUZ",
    19: "FLOAT8E5M2",
    20: "FLOAT8E5M2FNUZ",
    21: "UINT4",
    22: "INT4",
    23: "FLOAT4E2M1",
    24: "FLOAT8E8M0",
    25: "UINT2",
    26: "INT2",
}

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class OnnxError(ValueError):
    """The protobuf is malformed; the message says where."""


class _Limit(Exception):
    pass


@dataclass
class ExternalData:
    tensor: str
    location: str


@dataclass
class OnnxModel:
    ir_version: int | None = None
    producer_name: str | None = None
    producer_version: str | None = None
    domain: str | None = None
    model_version: int | None = None
    doc_string: str | None = None
    opsets: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    op_types: set[tuple[str, str]] = field(default_factory=set)  # (domain, op_type)
    nodes: int = 0
    initializers: int = 0
    parameters: int = 0
    dtypes: set[str] = field(default_factory=set)
    external: list[ExternalData] = field(default_factory=list)
    functions: set[tuple[str, str]] = field(default_factory=set)  # (domain, name)
    graph_name: str | None = None


class _Buffer:
    def __init__(self, data: Any):
        self.data = data

    def varint(self, pos: int, end: int) -> tuple[int, int]:
        result = 0
        shift = 0
        data = self.data
        while True:
            if pos >= end:
                raise OnnxError(f"truncated varint at byte {pos}")
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result, pos
            shift += 7
            if shift >= 70:
                raise OnnxError(f"varint longer than 10 bytes at byte {pos}")

    def fields(self, start: int, end: int) -> Iterator[tuple[int, int, Any]]:
        """(field number, wire type, value): an int, or (start, end) for length-delimited."""
        pos = start
        while pos < end:
            tag, pos = self.varint(pos, end)
            number, wire = tag >> 3, tag & 7
            if number == 0:
                raise OnnxError(f"field number 0 at byte {pos}")
            if wire == VARINT:
                value, pos = self.varint(pos, end)
                yield number, wire, value
            elif wire == LENGTH:
                length, pos = self.varint(pos, end)
                if length > end - pos:
                    raise OnnxError(
                        f"field {number} at byte {pos} claims {length} bytes; "
                        f"only {end - pos} remain"
                    )
                yield number, wire, (pos, pos + length)
                pos += length
            elif wire == FIXED64:
                if pos + 8 > end:
                    raise OnnxError(f"truncated 64-bit field at byte {pos}")
                yield number, wire, int.from_bytes(self.data[pos : pos + 8], "little")
                pos += 8
            elif wire == FIXED32:
                if pos + 4 > end:
                    raise OnnxError(f"truncated 32-bit field at byte {pos}")
                yield number, wire, int.from_bytes(self.data[pos : pos + 4], "little")
                pos += 4
            else:
                raise OnnxError(f"unsupported wire type {wire} (field {number}) at byte {pos}")

    def string(self, span: Any, what: str) -> str:
        if not isinstance(span, tuple):
            raise OnnxError(f"{what} is not a string")
        start, end = span
        text: str
        if end - start > MAX_STRING:
            text = self.data[start : start + MAX_STRING].decode("utf-8", "replace") + "…"
        else:
            text = self.data[start:end].decode("utf-8", "replace")
        return text

    def ints(self, wire: int, value: Any) -> list[int]:
        """A repeated int field, packed or not."""
        if wire == VARINT:
            return [value]
        if wire != LENGTH:
            raise OnnxError("integer field with an unexpected wire type")
        out: list[int] = []
        pos, end = value
        while pos < end:
            item, pos = self.varint(pos, end)
            out.append(item)
        return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def parse_model(data: Any) -> OnnxModel:
    buf = _Buffer(data)
    model = OnnxModel()
    saw_graph = False
    for number, wire, value in buf.fields(0, len(data)):
        if number == 1 and wire == VARINT:
            model.ir_version = value
        elif number == 2 and wire == LENGTH:
            model.producer_name = buf.string(value, "producer_name")
        elif number == 3 and wire == LENGTH:
            model.producer_version = buf.string(value, "producer_version")
        elif number == 4 and wire == LENGTH:
            model.domain = buf.string(value, "domain")
        elif number == 5 and wire == VARINT:
            model.model_version = _signed(value)
        elif number == 6 and wire == LENGTH:
            model.doc_string = buf.string(value, "doc_string")
        elif number == 7 and wire == LENGTH:
            saw_graph = True
            _graph(buf, value, model, 0, top=True)
        elif number == 8 and wire == LENGTH:
            domain, version = "", 0
            for n, w, v in buf.fields(*value):
                if n == 1 and w == LENGTH:
                    domain = buf.string(v, "opset domain")
                elif n == 2 and w == VARINT:
                    version = _signed(v)
            model.opsets[domain or "ai.onnx"] = version
        elif number == 14 and wire == LENGTH:
            key, val = _entry(buf, value)
            model.metadata[key] = val
        elif number == 25 and wire == LENGTH:
            _function(buf, value, model)
        elif wire in (VARINT, FIXED32, FIXED64, LENGTH):
            continue
    if model.ir_version is None or not saw_graph:
        missing = "ir_version" if model.ir_version is None else "graph"
        raise OnnxError(f"not an ONNX model: no {missing}")
    return model


def _entry(buf: _Buffer, span: tuple[int, int]) -> tuple[str, str]:
    key, value = "", ""
    for n, w, v in buf.fields(*span):
        if n == 1 and w == LENGTH:
            key = buf.string(v, "key")
        elif n == 2 and w == LENGTH:
            value = buf.string(v, "value")
    return key, value


def _graph(buf: _Buffer, span: tuple[int, int], model: OnnxModel, depth: int, top: bool) -> None:
    if depth > MAX_GRAPH_DEPTH:
        raise OnnxError(f"subgraphs nested deeper than {MAX_GRAPH_DEPTH} levels")
    for number, wire, value in buf.fields(*span):
        if wire != LENGTH:
            continue
        if number == 1:
            _node(buf, value, model, depth)
        elif number == 2 and top:
            model.graph_name = buf.string(value, "graph name")
        elif number == 5:
            _tensor(buf, value, model)
        elif number == 15:
            for n, w, v in buf.fields(*value):
                if n == 1 and w == LENGTH:
                    _tensor(buf, v, model)


def _node(buf: _Buffer, span: tuple[int, int], model: OnnxModel, depth: int) -> None:
    model.nodes += 1
    if model.nodes + model.initializers > MAX_NODES:
        raise _Limit(f"more than {MAX_NODES} nodes and tensors")
    op_type, domain = "", ""
    for number, wire, value in buf.fields(*span):
        if wire != LENGTH:
            continue
        if number == 4:
            op_type = buf.string(value, "op_type")
        elif number == 7:
            domain = buf.string(value, "domain")
        elif number == 5:
            _attribute(buf, value, model, depth)
    model.op_types.add((domain, op_type))


def _attribute(buf: _Buffer, span: tuple[int, int], model: OnnxModel, depth: int) -> None:
    for number, wire, value in buf.fields(*span):
        if wire != LENGTH:
            continue
        if number in (6, 11):  # g, graphs
            _graph(buf, value, model, depth + 1, top=False)
        elif number in (5, 10):  # t, tensors
            _tensor(buf, value, model)


def _function(buf: _Buffer, span: tuple[int, int], model: OnnxModel) -> None:
    name, domain = "", ""
    for number, wire, value in buf.fields(*span):
        if wire != LENGTH:
            continue
        if number == 1:
            name = buf.string(value, "function name")
        elif number == 10:
            domain = buf.string(value, "function domain")
        elif number == 7:
            _node(buf, value, model, 0)
    model.functions.add((domain, name))


def _tensor(buf: _Buffer, span: tuple[int, int], model: OnnxModel) -> None:
    dims: list[int] = []
    name = ""
    data_type = 0
    external = False
    location: str | None = None
    for number, wire, value in buf.fields(*span):
        if number == 1:
            dims.extend(_signed(d) for d in buf.ints(wire, value))
        elif number == 2 and wire == VARINT:
            data_type = value
        elif number == 8 and wire == LENGTH:
            name = buf.string(value, "tensor name")
        elif number == 13 and wire == LENGTH:
            key, val = _entry(buf, value)
            if key == "location":
                location = val
        elif number == 14 and wire == VARINT:
            external = value == 1
    model.initializers += 1
    if model.nodes + model.initializers > MAX_NODES:
        raise _Limit(f"more than {MAX_NODES} nodes and tensors")
    if all(d >= 0 for d in dims):
        model.parameters += math.prod(dims)
    model.dtypes.add(DATA_TYPES.get(data_type, f"type{data_type}"))
    if external or location is not None:
        model.external.append(ExternalData(name, location or ""))


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    artifact = Artifact(path=file.rel, format="onnx", size=file.size, framework="onnx")
    artifact.kind = ComponentKind.MODEL
    hash_into(artifact, file.path)
    loc = Location(file.rel)
    if file.size == 0:
        artifact.incomplete.append("empty file")
        artifact.issues.append(ArtifactIssue("onnx:malformed", "empty file", loc))
        return Collected(artifacts=[artifact])
    try:
        with file.path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            model = parse_model(mm)
    except OSError as exc:
        artifact.incomplete.append(f"cannot read the ONNX file: {exc.strerror or exc}")
        return Collected(artifacts=[artifact])
    except OnnxError as exc:
        artifact.incomplete.append(f"malformed ONNX protobuf: {exc}")
        artifact.issues.append(ArtifactIssue("onnx:malformed", str(exc), loc))
        return Collected(artifacts=[artifact])
    except _Limit as exc:
        artifact.incomplete.append(f"ONNX analysis stopped: {exc}")
        return Collected(artifacts=[artifact])
    record_facts(artifact, model)
    check_external_data(artifact, model, file.path)
    return Collected(artifacts=[artifact])


def record_facts(artifact: Artifact, model: OnnxModel) -> None:
    custom: dict[str, list[str]] = {}
    # ops defined inside the model (FunctionProto) run no outside code
    local_domains = {domain for domain, _ in model.functions}
    for domain, op in model.op_types:
        if domain not in STANDARD_DOMAINS and (domain, op) not in model.functions:
            custom.setdefault(domain, []).append(op)
    for domain in model.opsets:
        if domain not in STANDARD_DOMAINS and domain not in local_domains:
            custom.setdefault(domain, [])
    facts: dict[str, Any] = {
        "ir_version": model.ir_version,
        "opsets": dict(sorted(model.opsets.items())),
        "nodes": model.nodes,
        "tensors": model.initializers,
        "parameters": model.parameters,
        "dtypes": sorted(model.dtypes),
        "op_types": sorted({op for _, op in model.op_types}),
        "custom_domains": {d: sorted(set(ops)) for d, ops in sorted(custom.items())},
        "external_data": sorted({e.location for e in model.external}),
    }
    for key in ("producer_name", "producer_version", "domain", "model_version", "graph_name"):
        value = getattr(model, key)
        if value not in (None, ""):
            facts[key] = value
    if model.metadata:
        facts["metadata"] = dict(sorted(model.metadata.items()))
    if model.functions:
        facts["functions"] = sorted(f"{d}:{n}" if d else n for d, n in model.functions)
    artifact.facts.update(facts)
    props = artifact.properties
    if model.producer_name:
        producer = model.producer_name
        if model.producer_version:
            producer += f" {model.producer_version}"
        props["aibom:onnx:producer"] = producer
    props["aibom:onnx:opsets"] = ",".join(f"{d}={v}" for d, v in sorted(model.opsets.items()))
    props["cdx:ai-ml:model:parameter:count"] = parameter_count(model.parameters)
    if model.parameters >= 10**6:  # the taxonomy format rounds: keep the exact count
        props["aibom:parameter-count"] = str(model.parameters)
    props["aibom:tensors"] = str(model.initializers)
    if model.dtypes:
        props["aibom:dtypes"] = ",".join(sorted(model.dtypes))
    loc = Location(artifact.path)
    for domain, ops in sorted(custom.items()):
        shown = sorted(set(ops))
        text = ", ".join(shown[:MAX_SHOWN_OPS]) or "(declared in opset_import)"
        if len(shown) > MAX_SHOWN_OPS:
            text += f", and {len(shown) - MAX_SHOWN_OPS} more"
        artifact.issues.append(
            ArtifactIssue(
                "onnx:custom-domain",
                f"custom domain {domain}: {text}",
                loc,
                (("domain", domain), ("ops", text)),
            )
        )


def escapes_folder(location: str, model_path: Path) -> str | None:
    """Why an external-data location leaves the model's folder, or None when it stays."""
    if not location:
        return "empty location"
    text = location.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":") or text.startswith("//"):
        return "absolute path"
    normal = posixpath.normpath(text)
    if normal == ".." or normal.startswith("../"):
        return "climbs out of the folder with '..'"
    if "\x00" in text:
        return "contains a NUL byte"
    folder = model_path.parent
    target = folder / normal
    try:
        real_folder = folder.resolve()
        if os.path.lexists(target):
            real = target.resolve()
            if real != real_folder and real_folder not in real.parents:
                return f"symlink to {os.readlink(target) if target.is_symlink() else real}"
    except (OSError, RuntimeError):
        return "symlink loop"
    return None


def check_external_data(artifact: Artifact, model: OnnxModel, path: Path) -> None:
    loc = Location(artifact.path)
    seen: set[str] = set()
    for entry in model.external:
        if entry.location in seen:
            continue
        seen.add(entry.location)
        args = (("tensor", entry.tensor), ("path", entry.location))
        why = escapes_folder(entry.location, path)
        if why is not None:
            artifact.issues.append(
                ArtifactIssue(
                    "onnx:external-data-escapes",
                    f"{entry.location!r} ({why})",
                    loc,
                    (*args, ("why", why)),
                )
            )
            continue
        target = path.parent / posixpath.normpath(entry.location.replace("\\", "/"))
        if not target.is_file():
            artifact.issues.append(
                ArtifactIssue("onnx:external-data-missing", entry.location, loc, args)
            )
