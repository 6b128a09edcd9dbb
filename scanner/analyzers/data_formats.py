"""Cheap facts about data files, read from their headers and footers only.

Nothing here loads the data: a Parquet file's footer (Thrift compact protocol) gives its row
count, columns and writer; an Arrow IPC file's footer (FlatBuffers) gives its columns and
record batch count; a CSV/TSV file's first line gives its header; a JSON Lines file's first
record gives its keys; a TFRecord file's first frame is checked against its CRC. Every reader
is bounded and returns what it could read plus a reason when it stopped (`DataFacts.problem`),
never raises for bad input.
"""

from __future__ import annotations

import csv
import io
import json
import struct
from dataclasses import dataclass, field

HEAD_BYTES = 64 * 1024  # what is read from the start of a text data file
MAX_FOOTER = 16 * 1024 * 1024  # a Parquet/Arrow footer larger than this is not read
MAX_COLUMNS = 500  # columns recorded (the count is always exact when read)
MAX_THRIFT_DEPTH = 32

PARQUET_MAGIC = b"PAR1"
ARROW_MAGIC = b"ARROW1"
FEATHER_V1_MAGIC = b"FEA1"
ARROW_CONTINUATION = b"\xff\xff\xff\xff"

# format -> IANA media type (or the de-facto one where none is registered)
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "jsonl": "application/jsonl",
    "parquet": "application/vnd.apache.parquet",
    "arrow": "application/vnd.apache.arrow.file",
    "arrow-stream": "application/vnd.apache.arrow.stream",
    "feather-v1": "application/x-feather",
    "tfrecord": "application/x-tfrecord",
    "numpy": "application/x-npy",
    "tar": "application/x-tar",
    "webdataset": "application/x-tar",
    "zip": "application/zip",
}

# file name suffix -> data format, for formats whose content is text (no magic)
TEXT_SUFFIXES: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
TFRECORD_SUFFIXES = (".tfrecord", ".tfrecords")
ARROW_SUFFIXES = (".arrow", ".arrows", ".feather", ".ipc")
# names that say "data set": a Git LFS pointer under one of them is data that was not fetched
DATA_SUFFIXES = frozenset(
    {".parquet", *TEXT_SUFFIXES, *TFRECORD_SUFFIXES, *ARROW_SUFFIXES, ".npy", ".tar", ".zip"}
)


@dataclass
class DataFacts:
    """What a data file's header or footer says."""

    format: str
    rows: int | None = None  # exact, from a footer
    columns: list[str] = field(default_factory=list)  # up to MAX_COLUMNS
    column_count: int | None = None
    record_batches: int | None = None
    created_by: str | None = None
    delimiter: str | None = None
    problem: str | None = None  # why reading stopped (the file is still inventoried)

    @property
    def media_type(self) -> str | None:
        return MEDIA_TYPES.get(self.format)


def sniff_data(head: bytes, name: str, size: int) -> str | None:
    """The data format of a file from its first bytes and its name, or None.

    Binary formats are recognised by magic (Parquet, Arrow file, Feather v1, Arrow stream
    with a data-like name, TFRecord by name and a valid first frame); text formats by name.
    """
    lower = name.lower()
    if head[:4] == PARQUET_MAGIC:
        return "parquet"
    if head[:6] == ARROW_MAGIC:
        return "arrow"
    if head[:4] == FEATHER_V1_MAGIC:
        return "feather-v1"
    if head[:4] == ARROW_CONTINUATION and lower.endswith(ARROW_SUFFIXES):
        return "arrow-stream"
    if lower.endswith(TFRECORD_SUFFIXES) and tfrecord_frame_ok(head):
        return "tfrecord"
    for suffix, fmt in TEXT_SUFFIXES.items():
        if lower.endswith(suffix) and size > 0 and b"\x00" not in head[:4096]:
            return fmt
    return None


# ---------------------------------------------------------------- text formats


def text_facts(fmt: str, head: bytes) -> DataFacts:
    """Header of a CSV/TSV file, keys of a JSON Lines file's first record."""
    facts = DataFacts(fmt)
    text = head.decode("utf-8-sig", "replace")
    first, newline, _ = text.partition("\n")
    if not newline and len(head) >= HEAD_BYTES:
        facts.problem = f"first line longer than {HEAD_BYTES} bytes: header not read"
        return facts
    first = first.rstrip("\r")
    if fmt in ("csv", "tsv"):
        delimiter = "\t" if fmt == "tsv" else ","
        try:
            header = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
        except csv.Error as exc:
            facts.problem = f"header not readable as CSV: {exc}"
            return facts
        facts.delimiter = delimiter
        facts.column_count = len(header)
        facts.columns = [c.strip() for c in header[:MAX_COLUMNS]]
        return facts
    try:
        record = json.loads(first) if first.strip() else None
    except (json.JSONDecodeError, RecursionError):
        facts.problem = "first line is not a JSON value"
        return facts
    if isinstance(record, dict):
        keys = [str(k) for k in record]
        facts.column_count = len(keys)
        facts.columns = keys[:MAX_COLUMNS]
    return facts


# ---------------------------------------------------------------- TFRecord


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord_frame_ok(head: bytes) -> bool:
    """A TFRecord file starts with a uint64 length and the masked CRC-32C of those 8 bytes."""
    if len(head) < 12:
        return False
    (crc,) = struct.unpack_from("<I", head, 8)
    return bool(crc == masked_crc32c(head[:8]))


def tfrecord_facts(head: bytes) -> DataFacts:
    facts = DataFacts("tfrecord")
    if not tfrecord_frame_ok(head):
        facts.problem = "first TFRecord frame has a bad length checksum"
    return facts


# ---------------------------------------------------------------- Parquet


class _ThriftError(ValueError):
    pass


class _Compact:
    """Just enough of Thrift's compact protocol to read a Parquet FileMetaData."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise _ThriftError("footer ends early")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise _ThriftError("varint too long")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def binary(self) -> bytes:
        n = self.varint()
        if n > len(self.data) - self.pos:
            raise _ThriftError("string runs past the footer")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def field_header(self, last: int) -> tuple[int, int] | None:
        b = self.byte()
        if b == 0:
            return None  # STOP
        kind = b & 0x0F
        delta = b >> 4
        fid = last + delta if delta else self.zigzag()
        return fid, kind

    def list_header(self) -> tuple[int, int]:
        b = self.byte()
        size = b >> 4
        if size == 15:
            size = self.varint()
        return size, b & 0x0F

    def skip(self, kind: int, depth: int = 0) -> None:
        if depth > MAX_THRIFT_DEPTH:
            raise _ThriftError("footer nested too deeply")
        if kind in (1, 2):  # bool true/false, value in the type nibble
            return
        if kind == 3:
            self.byte()
        elif kind in (4, 5, 6):
            self.varint()
        elif kind == 7:
            self.pos += 8
        elif kind == 8:
            self.binary()
        elif kind in (9, 10):
            size, elem = self.list_header()
            for _ in range(size):
                self.skip_element(elem, depth + 1)
        elif kind == 11:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.skip_element(types >> 4, depth + 1)
                    self.skip_element(types & 0x0F, depth + 1)
        elif kind == 12:
            self.skip_struct(depth + 1)
        else:
            raise _ThriftError(f"unknown Thrift type {kind}")

    def skip_element(self, kind: int, depth: int) -> None:
        if kind in (1, 2):
            self.byte()  # in lists, booleans take a byte
        else:
            self.skip(kind, depth)

    def skip_struct(self, depth: int = 0) -> None:
        last = 0
        while True:
            header = self.field_header(last)
            if header is None:
                return
            last, kind = header
            self.skip(kind, depth)


def parquet_facts(tail: bytes, size: int) -> DataFacts:
    """Row count, top-level columns and writer from a Parquet footer. `tail` holds the last
    bytes of the file (footer + 8); callers read `parquet_footer_length(...) + 8` of them."""
    facts = DataFacts("parquet")
    length = parquet_footer_length(tail, size)
    if isinstance(length, str):
        facts.problem = length
        return facts
    if len(tail) < length + 8:
        facts.problem = "footer not read in full"
        return facts
    reader = _Compact(tail[len(tail) - 8 - length : len(tail) - 8])
    try:
        _read_file_metadata(reader, facts)
    except _ThriftError as exc:
        facts.problem = f"unreadable Parquet footer: {exc}"
    return facts


def parquet_footer_length(tail: bytes, size: int) -> int | str:
    """The footer length from the last 8 bytes, or why it cannot be read."""
    if size < 12 or len(tail) < 8 or tail[-4:] != PARQUET_MAGIC:
        return "no Parquet footer (file truncated?)"
    (length,) = struct.unpack_from("<i", tail, len(tail) - 8)
    if length <= 0 or length > size - 12:
        return "Parquet footer length out of range"
    if length > MAX_FOOTER:
        return f"Parquet footer larger than {MAX_FOOTER} bytes: not read"
    return int(length)


def _read_file_metadata(reader: _Compact, facts: DataFacts) -> None:
    last = 0
    while True:
        header = reader.field_header(last)
        if header is None:
            return
        last, kind = header
        if last == 2 and kind == 9:  # schema: list<SchemaElement>
            facts.columns, facts.column_count = _schema_columns(reader)
        elif last == 3 and kind == 6:  # num_rows: i64
            facts.rows = reader.zigzag()
        elif last == 6 and kind == 8:  # created_by
            facts.created_by = reader.binary().decode("utf-8", "replace")[:200]
        else:
            reader.skip(kind)


def _schema_columns(reader: _Compact) -> tuple[list[str], int]:
    """Top-level field names: the root element's direct children (a nested group's leaves
    are not columns of their own)."""
    count, elem = reader.list_header()
    if elem != 12:
        raise _ThriftError("schema is not a list of structs")
    elements: list[tuple[str, int]] = []
    for _ in range(count):
        name, children = "", 0
        last = 0
        while True:
            header = reader.field_header(last)
            if header is None:
                break
            last, kind = header
            if last == 4 and kind == 8:
                name = reader.binary().decode("utf-8", "replace")
            elif last == 5 and kind == 5:
                children = reader.zigzag()
            else:
                reader.skip(kind)
        elements.append((name, children))
    if not elements:
        return [], 0
    # walk the flattened tree: the root's children, skipping each child's descendants
    top: list[str] = []
    index, pending = 1, elements[0][1]
    while pending > 0 and index < len(elements):
        name, children = elements[index]
        top.append(name)
        index = _skip_subtree(elements, index)
        pending -= 1
    return top[:MAX_COLUMNS], len(top)


def _skip_subtree(elements: list[tuple[str, int]], index: int) -> int:
    """Index just past the element at `index` and all its descendants."""
    remaining = 1
    while remaining and index < len(elements):
        remaining += elements[index][1] - 1
        index += 1
    return index


# ---------------------------------------------------------------- Arrow IPC


class _FlatError(ValueError):
    pass


class _Flat:
    """Bounded reads of a FlatBuffers table."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def u32(self, pos: int) -> int:
        if pos < 0 or pos + 4 > len(self.data):
            raise _FlatError("offset out of range")
        return int(struct.unpack_from("<I", self.data, pos)[0])

    def i32(self, pos: int) -> int:
        if pos < 0 or pos + 4 > len(self.data):
            raise _FlatError("offset out of range")
        return int(struct.unpack_from("<i", self.data, pos)[0])

    def u16(self, pos: int) -> int:
        if pos < 0 or pos + 2 > len(self.data):
            raise _FlatError("offset out of range")
        return int(struct.unpack_from("<H", self.data, pos)[0])

    def field(self, table: int, index: int) -> int | None:
        """Absolute position of field `index` of the table at `table`, or None if absent."""
        vtable = table - self.i32(table)
        vsize = self.u16(vtable)
        slot = 4 + 2 * index
        if slot + 2 > vsize:
            return None
        offset = self.u16(vtable + slot)
        return table + offset if offset else None

    def indirect(self, pos: int) -> int:
        return pos + self.u32(pos)

    def vector(self, pos: int) -> tuple[int, int]:
        """(start of the elements, length) of the vector the uoffset at `pos` points to."""
        start = self.indirect(pos)
        return start + 4, self.u32(start)

    def string(self, pos: int) -> str:
        start, length = self.vector(pos)
        if start + length > len(self.data):
            raise _FlatError("string out of range")
        return self.data[start : start + length].decode("utf-8", "replace")


def arrow_file_facts(tail: bytes, size: int) -> DataFacts:
    """Columns and record batch count from an Arrow IPC file (Feather v2) footer: the file
    ends with the footer FlatBuffer, its int32 length and `ARROW1`."""
    facts = DataFacts("arrow")
    length = arrow_footer_length(tail, size)
    if isinstance(length, str):
        facts.problem = length
        return facts
    if len(tail) < length + 10:
        facts.problem = "footer not read in full"
        return facts
    flat = _Flat(tail[len(tail) - 10 - length : len(tail) - 10])
    try:
        footer = flat.indirect(0)
        schema_pos = flat.field(footer, 1)
        if schema_pos is not None:
            facts.columns, facts.column_count = _arrow_fields(flat, flat.indirect(schema_pos))
        batches = flat.field(footer, 3)
        if batches is not None:
            facts.record_batches = flat.vector(batches)[1]
    except _FlatError as exc:
        facts.problem = f"unreadable Arrow footer: {exc}"
    return facts


def arrow_footer_length(tail: bytes, size: int) -> int | str:
    if size < 18 or len(tail) < 10 or tail[-6:] != ARROW_MAGIC:
        return "no Arrow footer (file truncated, or a stream under a file's name?)"
    (length,) = struct.unpack_from("<i", tail, len(tail) - 10)
    if length <= 0 or length > size - 18:
        return "Arrow footer length out of range"
    if length > MAX_FOOTER:
        return f"Arrow footer larger than {MAX_FOOTER} bytes: not read"
    return int(length)


def arrow_stream_facts(head: bytes) -> DataFacts:
    """Columns from the schema message an Arrow stream starts with."""
    facts = DataFacts("arrow-stream")
    if len(head) < 8 or head[:4] != ARROW_CONTINUATION:
        facts.problem = "no Arrow stream header"
        return facts
    (length,) = struct.unpack_from("<i", head, 4)
    if length <= 0 or 8 + length > len(head):
        facts.problem = "schema message larger than the bytes read: columns not read"
        return facts
    flat = _Flat(head[8 : 8 + length])
    try:
        message = flat.indirect(0)
        header_type = flat.field(message, 1)
        header = flat.field(message, 2)
        if header_type is None or header is None or flat.data[header_type] != 1:
            facts.problem = "stream does not start with a schema"
            return facts
        facts.columns, facts.column_count = _arrow_fields(flat, flat.indirect(header))
    except (_FlatError, IndexError) as exc:
        facts.problem = f"unreadable Arrow schema: {exc}"
    return facts


def _arrow_fields(flat: _Flat, schema: int) -> tuple[list[str], int]:
    fields_pos = flat.field(schema, 1)
    if fields_pos is None:
        return [], 0
    start, count = flat.vector(fields_pos)
    names = []
    for i in range(min(count, MAX_COLUMNS)):
        table = flat.indirect(start + 4 * i)
        name_pos = flat.field(table, 0)
        names.append(flat.string(name_pos) if name_pos is not None else "")
    return names, count
