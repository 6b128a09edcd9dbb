"""GGUF (llama.cpp / ggml): header, key-value metadata, tensor table and chat template.

Layout (v2/v3; v1 used 32-bit counts and lengths): magic "GGUF", u32 version, u64 tensor
count, u64 key-value count, the key-values (string key, u32 value type, value), the tensor
infos (string name, u32 n_dims, u64 dims, u32 ggml type, u64 offset), padding to
`general.alignment` (default 32), then the tensor data, which is never read.

Every count and length is checked against the bytes left in the file before anything is
allocated, so a hostile header cannot make the parser allocate or loop beyond the file.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ..config import Config
from ..model import Artifact, ArtifactIssue, Collected, ComponentKind, FileRef, Location
from .card_text import parameter_count
from .chat_template import template_problems
from .hashing import hash_into

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_KEY = 64 * 1024
MAX_KEPT_STRING = 4 * 1024  # metadata strings kept in facts (longer ones are cut)
MAX_TEMPLATE = 1024 * 1024  # chat templates kept whole up to this size
MAX_TEMPLATE_PROPERTY = 64 * 1024
MAX_ARRAY_ITEMS_KEPT = 16
MAX_DIMS = 8
MAX_TENSORS = 1_000_000  # large mixture-of-experts files hold ~1e4
MAX_KV_PAIRS = 100_000  # real files carry tens to hundreds
MAX_ITEMS = 5_000_000  # strings and entries walked in one file (time bound; vocabularies ~1e6)

# value type -> (struct code, byte size) for fixed-size scalars
SCALARS: dict[int, tuple[str, int]] = {
    0: ("B", 1),
    1: ("b", 1),
    2: ("H", 2),
    3: ("h", 2),
    4: ("I", 4),
    5: ("i", 4),
    6: ("f", 4),
    7: ("?", 1),
    10: ("Q", 8),
    11: ("q", 8),
    12: ("d", 8),
}
STRING, ARRAY = 8, 9
TYPE_NAMES = {
    0: "u8",
    1: "i8",
    2: "u16",
    3: "i16",
    4: "u32",
    5: "i32",
    6: "f32",
    7: "bool",
    8: "string",
    9: "array",
    10: "u64",
    11: "i64",
    12: "f64",
}

# ggml tensor type -> (name, elements per block, bytes per block); ggml.h / gguf-py constants
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
}

# general.file_type (llama_ftype) -> quantisation name
FILE_TYPES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
    36: "TQ1_0",
    37: "TQ2_0",
    38: "MXFP4_MOE",
}


class GGUFError(ValueError):
    """The file is malformed; the message says where and how."""


class LimitReached(Exception):
    """A time/size bound of aibom was reached (not a defect of the file)."""


@dataclass
class GGUFFile:
    version: int
    byte_order: str
    tensor_count: int
    kv_count: int
    metadata: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (type, length)
    templates: dict[str, str] = field(default_factory=dict)  # key -> chat template
    tensor_types: dict[str, int] = field(default_factory=dict)  # type name -> tensor count
    parameters: int = 0
    alignment: int = DEFAULT_ALIGNMENT
    data_offset: int = 0
    truncated_strings: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)  # analysis bounds reached


class _Reader:
    def __init__(self, fh: BinaryIO, size: int, order: str = "<"):
        self.fh = fh
        self.size = size
        self.pos = 0
        self.order = order
        self.items = 0

    @property
    def left(self) -> int:
        return self.size - self.pos

    def need(self, n: int, what: str) -> None:
        if n < 0 or n > self.left:
            raise GGUFError(
                f"{what} needs {n} bytes at offset {self.pos} but only {self.left} remain"
            )

    def read(self, n: int, what: str) -> bytes:
        self.need(n, what)
        data = self.fh.read(n)
        if len(data) != n:
            raise GGUFError(f"file ends inside {what} at offset {self.pos}")
        self.pos += n
        return data

    def skip(self, n: int, what: str) -> None:
        self.need(n, what)
        if n <= 65536:  # a buffered read is much cheaper than a seek, which drops the buffer
            if len(self.fh.read(n)) != n:
                raise GGUFError(f"file ends inside {what} at offset {self.pos}")
            self.pos += n
            return
        self.pos += n
        self.fh.seek(self.pos)

    def unpack(self, code: str, size: int, what: str) -> Any:
        return struct.unpack(self.order + code, self.read(size, what))[0]

    def tick(self, n: int = 1) -> None:
        self.items += n
        if self.items > MAX_ITEMS:
            raise LimitReached(f"more than {MAX_ITEMS} metadata items")


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    artifact = Artifact(path=file.rel, format="gguf", size=file.size, framework="ggml")
    artifact.kind = ComponentKind.MODEL
    hash_into(artifact, file.path)
    loc = Location(file.rel)
    try:
        with file.path.open("rb") as fh:
            parsed = parse(fh, file.size)
    except OSError as exc:
        artifact.incomplete.append(f"cannot read the GGUF header: {exc.strerror or exc}")
        return Collected(artifacts=[artifact])
    except GGUFError as exc:
        artifact.incomplete.append(f"malformed GGUF: {exc}")
        artifact.issues.append(ArtifactIssue("gguf:malformed", str(exc), loc))
        return Collected(artifacts=[artifact])
    except LimitReached as exc:
        artifact.incomplete.append(f"GGUF analysis stopped: {exc}")
        return Collected(artifacts=[artifact])
    record_facts(artifact, parsed)
    for reason in parsed.limits:
        artifact.incomplete.append(reason)
    for key, template in sorted(parsed.templates.items()):
        problems = template_problems(template)
        if problems:
            detail = f"{key} " + "; ".join(problems)
            artifact.issues.append(
                ArtifactIssue("gguf:chat-template", detail, loc, (("key", key),))
            )
    return Collected(artifacts=[artifact])


def parse(fh: BinaryIO, size: int) -> GGUFFile:
    reader = _Reader(fh, size)
    if reader.read(4, "magic") != MAGIC:
        raise GGUFError("missing GGUF magic")
    raw_version = reader.read(4, "version")
    version = struct.unpack("<I", raw_version)[0]
    if version not in (1, 2, 3):
        swapped = struct.unpack(">I", raw_version)[0]
        if swapped in (2, 3):
            reader.order, version = ">", swapped
        else:
            raise GGUFError(f"unsupported GGUF version {version}")
    count_code, count_size = ("I", 4) if version == 1 else ("Q", 8)
    tensor_count = reader.unpack(count_code, count_size, "tensor count")
    kv_count = reader.unpack(count_code, count_size, "key-value count")
    result = GGUFFile(version, "big" if reader.order == ">" else "little", tensor_count, kv_count)
    # a key-value needs at least a length, one key byte, a type and one value byte
    if kv_count * (count_size + 6) > reader.left:
        raise GGUFError(f"key-value count {kv_count} cannot fit in the file")
    # a tensor info needs at least a name length, a name byte, n_dims, one dim, type, offset
    if tensor_count * (count_size * 2 + 17) > reader.left:
        raise GGUFError(f"tensor count {tensor_count} cannot fit in the file")
    if tensor_count > MAX_TENSORS:
        raise LimitReached(f"{tensor_count} tensors (more than {MAX_TENSORS})")
    if kv_count > MAX_KV_PAIRS:
        raise LimitReached(f"{kv_count} metadata keys (more than {MAX_KV_PAIRS})")
    for _ in range(kv_count):
        _read_kv(reader, result, count_code, count_size)
    alignment = result.metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if (
        not isinstance(alignment, int)
        or isinstance(alignment, bool)
        or alignment <= 0
        or alignment & (alignment - 1)
    ):
        raise GGUFError(f"general.alignment {alignment!r} is not a power of two")
    result.alignment = alignment
    infos = [_read_tensor_info(reader, count_code, count_size) for _ in range(tensor_count)]
    data_offset = -(-reader.pos // alignment) * alignment
    result.data_offset = data_offset
    _check_tensors(infos, result, size)
    return result


def _read_string(reader: _Reader, count_code: str, count_size: int, what: str, keep: int) -> str:
    length = reader.unpack(count_code, count_size, f"length of {what}")
    reader.need(length, what)
    if length > keep:
        head = reader.read(keep, what)
        reader.skip(length - keep, what)
        return head.decode("utf-8", "replace") + "\u2026"
    return reader.read(length, what).decode("utf-8", "replace")


def _read_kv(reader: _Reader, result: GGUFFile, count_code: str, count_size: int) -> None:
    reader.tick()
    key_len = reader.unpack(count_code, count_size, "key length")
    if key_len > MAX_KEY:
        raise GGUFError(f"key length {key_len} at offset {reader.pos} exceeds {MAX_KEY}")
    raw_key = reader.read(key_len, "key")
    try:
        key = raw_key.decode("utf-8")
    except UnicodeDecodeError:
        raise GGUFError(f"key at offset {reader.pos - key_len} is not UTF-8") from None
    if key in result.metadata or key in result.arrays:
        raise GGUFError(f"duplicate key {key!r}")
    vtype = reader.unpack("I", 4, f"type of {key}")
    if vtype in SCALARS:
        code, size = SCALARS[vtype]
        result.metadata[key] = reader.unpack(code, size, key)
    elif vtype == STRING:
        keep = MAX_TEMPLATE if key.startswith("tokenizer.chat_template") else MAX_KEPT_STRING
        value = _read_string(reader, count_code, count_size, key, keep)
        if value.endswith("\u2026") and len(value) > keep:
            result.truncated_strings.append(key)
            if keep == MAX_TEMPLATE:
                result.limits.append(f"chat template {key} is larger than {MAX_TEMPLATE} bytes")
        if key.startswith("tokenizer.chat_template"):
            result.templates[key] = value
        result.metadata[key] = value
    elif vtype == ARRAY:
        _read_array(reader, result, key, count_code, count_size)
    else:
        raise GGUFError(f"key {key!r} has unknown value type {vtype}")


def _read_array(
    reader: _Reader, result: GGUFFile, key: str, count_code: str, count_size: int
) -> None:
    item_type = reader.unpack("I", 4, f"item type of {key}")
    length = reader.unpack(count_code, count_size, f"length of {key}")
    kept: list[Any] = []
    if item_type in SCALARS:
        code, size = SCALARS[item_type]
        reader.need(length * size, f"array {key}")
        n_keep = min(length, MAX_ARRAY_ITEMS_KEPT)
        if n_keep:
            raw = reader.read(n_keep * size, f"array {key}")
            kept = list(struct.unpack(f"{reader.order}{n_keep}{code}", raw))
        reader.skip((length - n_keep) * size, f"array {key}")
    elif item_type == STRING:
        reader.need(length * count_size, f"array {key}")
        reader.tick(length)
        n_keep = min(length, MAX_ARRAY_ITEMS_KEPT)
        for i in range(n_keep):
            kept.append(
                _read_string(reader, count_code, count_size, f"{key}[{i}]", MAX_KEPT_STRING)
            )
        _skip_strings(reader, length - n_keep, count_code, count_size, key)
    elif item_type == ARRAY:
        raise GGUFError(f"array {key!r} holds arrays (not supported by GGUF readers)")
    else:
        raise GGUFError(f"array {key!r} has unknown item type {item_type}")
    result.arrays[key] = (TYPE_NAMES[item_type], length)
    if length <= MAX_ARRAY_ITEMS_KEPT:
        result.metadata[key] = kept


def _skip_strings(reader: _Reader, count: int, count_code: str, count_size: int, key: str) -> None:
    """Walk past `count` length-prefixed strings (the hot loop of tokenizer vocabularies)."""
    unpack = struct.Struct(reader.order + count_code).unpack
    read = reader.fh.read
    pos, size = reader.pos, reader.size
    for _ in range(count):
        raw = read(count_size)
        if len(raw) != count_size:
            raise GGUFError(f"file ends inside array {key} at offset {pos}")
        (length,) = unpack(raw)
        pos += count_size
        if length > size - pos:
            raise GGUFError(
                f"string in array {key} needs {length} bytes at offset {pos} "
                f"but only {size - pos} remain"
            )
        if length > 65536:  # never hold a huge string in memory
            reader.fh.seek(pos + length)
        elif len(read(length)) != length:
            raise GGUFError(f"file ends inside array {key} at offset {pos}")
        pos += length
    reader.pos = pos


@dataclass
class _TensorInfo:
    name: str
    dims: tuple[int, ...]
    ggml_type: int
    offset: int


def _read_tensor_info(reader: _Reader, count_code: str, count_size: int) -> _TensorInfo:
    name = _read_string(reader, count_code, count_size, "tensor name", MAX_KEY)
    n_dims = reader.unpack("I", 4, f"n_dims of {name}")
    if n_dims > MAX_DIMS:
        raise GGUFError(f"tensor {name!r} has {n_dims} dimensions (at most {MAX_DIMS})")
    dims = tuple(reader.unpack(count_code, count_size, f"dims of {name}") for _ in range(n_dims))
    ggml_type = reader.unpack("I", 4, f"type of {name}")
    offset = reader.unpack("Q", 8, f"offset of {name}")
    return _TensorInfo(name, dims, ggml_type, offset)


def _check_tensors(infos: list[_TensorInfo], result: GGUFFile, size: int) -> None:
    data_size = size - result.data_offset
    if infos and data_size < 0:
        raise GGUFError("tensor data section starts past the end of the file")
    seen: set[str] = set()
    spans: list[tuple[int, int, str]] = []
    unknown: set[int] = set()
    for info in infos:
        if info.name in seen:
            raise GGUFError(f"duplicate tensor name {info.name!r}")
        seen.add(info.name)
        elements = math.prod(info.dims) if info.dims else 1
        result.parameters += elements
        if info.offset % result.alignment:
            raise GGUFError(
                f"tensor {info.name!r} offset {info.offset} is not aligned to {result.alignment}"
            )
        type_info = GGML_TYPES.get(info.ggml_type)
        if type_info is None:
            unknown.add(info.ggml_type)
            type_name = f"type{info.ggml_type}"
            nbytes = 0
        else:
            type_name, block, block_bytes = type_info
            if info.dims and info.dims[0] % block:
                raise GGUFError(
                    f"tensor {info.name!r} row of {info.dims[0]} is not a multiple of the "
                    f"{type_name} block size {block}"
                )
            nbytes = elements // block * block_bytes
        result.tensor_types[type_name] = result.tensor_types.get(type_name, 0) + 1
        if info.offset + nbytes > data_size:
            raise GGUFError(
                f"tensor {info.name!r} ({type_name} {list(info.dims)}) at offset {info.offset} "
                f"runs past the end of the file"
            )
        spans.append((info.offset, info.offset + nbytes, info.name))
    end, previous = 0, ""
    for begin, stop, name in sorted(spans):
        if begin < end and stop > begin:
            raise GGUFError(f"tensor {name!r} overlaps tensor {previous!r}")
        if stop > end:
            end, previous = stop, name
    if unknown:
        names = ", ".join(str(t) for t in sorted(unknown))
        result.limits.append(f"unknown ggml tensor type(s) {names}: their sizes were not checked")


def record_facts(artifact: Artifact, parsed: GGUFFile) -> None:
    meta = parsed.metadata
    arch = meta.get("general.architecture")
    facts: dict[str, Any] = {
        "version": parsed.version,
        "tensors": parsed.tensor_count,
        "parameters": parsed.parameters,
        "tensor_types": dict(sorted(parsed.tensor_types.items())),
        "metadata_keys": parsed.kv_count,
    }
    if parsed.byte_order != "little":
        facts["byte_order"] = parsed.byte_order
    if isinstance(arch, str):
        facts["architecture"] = arch
        artifact.properties["aibom:gguf:architecture"] = arch
    for key, fact in (
        ("general.name", "name"),
        ("general.basename", "basename"),
        ("general.size_label", "size_label"),
        ("general.license", "license"),
        ("general.quantized_by", "quantized_by"),
    ):
        value = meta.get(key)
        if isinstance(value, str) and value:
            facts[fact] = value
    if isinstance(meta.get("general.license"), str) and meta["general.license"]:
        artifact.licenses.append(meta["general.license"])
    if "name" in facts:
        artifact.properties["aibom:gguf:name"] = facts["name"]
    for key, fact in (
        ("general.source.url", "source_url"),
        ("general.source.repo_url", "source_repo_url"),
        ("general.repo_url", "repo_url"),
    ):
        value = meta.get(key)
        if isinstance(value, str) and value:
            facts[fact] = value
    bases = _base_models(meta)
    if bases:
        facts["base_models"] = bases
        artifact.properties["aibom:base-model"] = ",".join(bases)
    file_type = meta.get("general.file_type")
    if isinstance(file_type, int) and not isinstance(file_type, bool):
        quant = FILE_TYPES.get(file_type, f"file_type {file_type}")
        facts["quantization"] = quant
        artifact.properties["cdx:ai-ml:model:hyperparameter:quantization"] = quant
    if isinstance(arch, str):
        for name, prop in (
            ("context_length", "context_length"),
            ("embedding_length", "hidden_size"),
            ("block_count", "num_hidden_layers"),
        ):
            value = meta.get(f"{arch}.{name}")
            if isinstance(value, int) and not isinstance(value, bool):
                facts[name] = value
                artifact.properties[f"cdx:ai-ml:model:hyperparameter:{prop}"] = str(value)
    tokens = parsed.arrays.get("tokenizer.ggml.tokens")
    if tokens:
        facts["vocab_size"] = tokens[1]
        artifact.properties["cdx:ai-ml:model:hyperparameter:vocab_size"] = str(tokens[1])
    tokenizer = meta.get("tokenizer.ggml.model")
    if isinstance(tokenizer, str):
        facts["tokenizer"] = tokenizer
        artifact.properties["cdx:ai-ml:model:tokenizer"] = tokenizer
    if parsed.templates:
        facts["chat_templates"] = dict(sorted(parsed.templates.items()))
        main = parsed.templates.get("tokenizer.chat_template")
        if main is not None and len(main) <= MAX_TEMPLATE_PROPERTY:
            artifact.properties["cdx:ai-ml:tokenizer:hyperparameter:chat_template"] = main
    artifact.facts.update(facts)
    artifact.properties["cdx:ai-ml:model:parameter:count"] = parameter_count(parsed.parameters)
    if parsed.parameters >= 10**6:  # the taxonomy format rounds: keep the exact count
        artifact.properties["aibom:parameter-count"] = str(parsed.parameters)
    artifact.properties["aibom:tensors"] = str(parsed.tensor_count)
    if parsed.tensor_types:
        artifact.properties["aibom:dtypes"] = ",".join(sorted(parsed.tensor_types))


def _base_models(meta: dict[str, Any]) -> list[str]:
    """`general.base_model.{i}.organization/name` (or repo_url) of a fine-tune or quant."""
    count = meta.get("general.base_model.count")
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        return []
    found: list[str] = []
    for i in range(min(count, MAX_ARRAY_ITEMS_KEPT)):
        org = meta.get(f"general.base_model.{i}.organization")
        name = meta.get(f"general.base_model.{i}.name")
        url = meta.get(f"general.base_model.{i}.repo_url")
        if isinstance(url, str) and url.startswith("https://huggingface.co/"):
            found.append(url.removeprefix("https://huggingface.co/").strip("/"))
        elif isinstance(name, str) and name:
            found.append(f"{org}/{name}" if isinstance(org, str) and org else name)
    return found


# --- chat template (Jinja) checks -------------------------------------------------------
