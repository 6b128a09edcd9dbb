"""A minimal, lenient zip reader: read members the way PyTorch's loader does, not the way
Python's `zipfile` refuses to.

- CRCs are compared (the mismatch is recorded) but never block reading;
- the central directory and the local header are both read; when their names disagree
  both are recorded, and the data is read from where the local header points;
- general-purpose flag bits (encrypted 0x1, patched 0x20, strong encryption 0x40) are
  recorded and the data is still read as stored/deflated (a member whose bytes are really
  encrypted then fails to parse and is reported as not analysed);
- when the end-of-central-directory record is missing or the central directory is
  corrupt, local headers are scanned from the start of the file instead.

Stored members are slices of the buffer (no copy). Deflated members are decompressed with a
byte budget: a member that would expand past it is reported, never expanded.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Protocol

from .pickle_vm import Buffer

EOCD = b"PK\x05\x06"
EOCD64 = b"PK\x06\x06"
EOCD64_LOCATOR = b"PK\x06\x07"
CENTRAL = b"PK\x01\x02"
LOCAL = b"PK\x03\x04"
DESCRIPTOR = b"PK\x07\x08"

STORED = 0
DEFLATED = 8
_CHUNK = 1 << 20


class ZipError(ValueError):
    pass


class BudgetExceeded(ZipError):
    pass


@dataclass
class ZipEntry:
    name: str  # the central directory's name (or the local one when read from local headers)
    local_name: str | None
    flags: int
    method: int
    crc: int
    compressed_size: int
    size: int
    header_offset: int
    data_offset: int = -1
    notes: list[str] = field(default_factory=list)  # quirks seen (name mismatch, flags, ...)

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/") and self.size == 0


@dataclass
class ZipListing:
    entries: list[ZipEntry]
    from_local_headers: bool = False  # the central directory could not be used
    problems: list[str] = field(default_factory=list)  # why (and other structural faults)


def _decode_name(raw: bytes, flags: int) -> str:
    if flags & 0x800:
        return raw.decode("utf-8", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def _zip64_extra(extra: bytes, entry: ZipEntry) -> None:
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        pos += 4 + length
        if tag != 0x0001:
            continue
        values = []
        off = 0
        while off + 8 <= len(body):
            values.append(struct.unpack_from("<Q", body, off)[0])
            off += 8
        it = iter(values)
        if entry.size == 0xFFFFFFFF:
            entry.size = next(it, entry.size)
        if entry.compressed_size == 0xFFFFFFFF:
            entry.compressed_size = next(it, entry.compressed_size)
        if entry.header_offset == 0xFFFFFFFF:
            entry.header_offset = next(it, entry.header_offset)


def _find_eocd(buf: Buffer, start: int, end: int) -> int:
    lo = max(start, end - (65535 + 22))
    pos = end - 22
    while pos >= lo:
        found = buf.rfind(EOCD, lo, pos + 4) if hasattr(buf, "rfind") else -1
        if found < 0:
            return -1
        # the comment length must reach the end exactly (or be shorter, leniently)
        if found + 22 <= end:
            return found
        pos = found - 1
    return -1


def read_listing(buf: Buffer, start: int, end: int, max_entries: int) -> ZipListing:
    """Entries from the central directory, or from local headers when it is unusable."""
    try:
        entries, problems = _central_directory(buf, start, end, max_entries)
        listing = ZipListing(entries, problems=problems)
    except BudgetExceeded:
        raise
    except ZipError as exc:
        listing = ZipListing(_local_headers(buf, start, end, max_entries), True, [str(exc)])
    for entry in listing.entries:
        _read_local_header(buf, start, end, entry)
    return listing


def hidden_local_entries(
    buf: Buffer, start: int, end: int, listing: ZipListing, max_entries: int
) -> list[ZipEntry]:
    """Local entries the central directory does not list (readers that stream local
    headers see them; PyTorch does not). Only called for small archives: in large ones
    tensor bytes may contain the signature by chance."""
    known = {e.header_offset for e in listing.entries}
    try:
        local = _local_headers(buf, start, end, max_entries)
    except ZipError:
        return []
    hidden = []
    for entry in local:
        if entry.header_offset in known or not entry.name or "\x00" in entry.name:
            continue
        _read_local_header(buf, start, end, entry)
        entry.notes.append("not listed in the central directory")
        hidden.append(entry)
    return hidden


def _central_directory(
    buf: Buffer, start: int, end: int, max_entries: int
) -> tuple[list[ZipEntry], list[str]]:
    eocd = _find_eocd(buf, start, end)
    if eocd < 0:
        raise ZipError("end of central directory not found (truncated zip?)")
    (_, _disk, _cd_disk, _n_disk, n_total, cd_size, cd_offset, _clen) = struct.unpack_from(
        "<4sHHHHIIH", buf, eocd
    )
    problems: list[str] = []
    if cd_offset == 0xFFFFFFFF or n_total == 0xFFFF or cd_size == 0xFFFFFFFF:
        loc = eocd - 20
        if loc >= start and bytes(buf[loc : loc + 4]) == EOCD64_LOCATOR:
            (rec_off,) = struct.unpack_from("<Q", buf, loc + 8)
            rec = start + rec_off
            if rec + 56 <= end and bytes(buf[rec : rec + 4]) == EOCD64:
                n_total, cd_size, cd_offset = struct.unpack_from("<QQQ", buf, rec + 32)
            else:
                raise ZipError("zip64 end of central directory record missing")
    # Archives may be prefixed (self-extracting, or a zip inside another file): the central
    # directory sits right before the EOCD record; adjust offsets if it is not where it says.
    cd_start = start + cd_offset
    shift = 0
    if cd_start + 4 > end or bytes(buf[cd_start : cd_start + 4]) != CENTRAL:
        guess = eocd - cd_size
        if n_total and guess >= start and bytes(buf[guess : guess + 4]) == CENTRAL:
            shift = guess - cd_start
            cd_start = guess
            problems.append(f"central directory is {shift} bytes away from where it says")
        elif n_total:
            raise ZipError("central directory not found where the zip says (corrupt zip?)")
    if n_total > max_entries:
        raise BudgetExceeded(f"zip has {n_total} members, more than the limit of {max_entries}")
    entries: list[ZipEntry] = []
    pos = cd_start
    for _ in range(n_total):
        if pos + 46 > end or bytes(buf[pos : pos + 4]) != CENTRAL:
            raise ZipError("central directory truncated or corrupt")
        (flags, method, _t, _d, crc, csize, usize, nlen, xlen, clen) = struct.unpack_from(
            "<HHHHIIIHHH", buf, pos + 8
        )
        (hoff,) = struct.unpack_from("<I", buf, pos + 42)
        name_raw = bytes(buf[pos + 46 : pos + 46 + nlen])
        extra = bytes(buf[pos + 46 + nlen : pos + 46 + nlen + xlen])
        entry = ZipEntry(
            _decode_name(name_raw, flags), None, flags, method, crc, csize, usize, hoff
        )
        _zip64_extra(extra, entry)
        entry.header_offset += shift
        entries.append(entry)
        pos += 46 + nlen + xlen + clen
    return entries, problems


def _local_headers(buf: Buffer, start: int, end: int, max_entries: int) -> list[ZipEntry]:
    """Walk local file headers from the start (the fallback for a broken central directory)."""
    entries: list[ZipEntry] = []
    pos = buf.find(LOCAL, start, end)
    while pos >= 0 and pos + 30 <= end:
        if len(entries) >= max_entries:
            raise BudgetExceeded(f"more than {max_entries} members")
        (flags, method, _t, _d, crc, csize, usize, nlen, xlen) = struct.unpack_from(
            "<HHHHIIIHH", buf, pos + 6
        )
        name_raw = bytes(buf[pos + 30 : pos + 30 + nlen])
        entry = ZipEntry(
            _decode_name(name_raw, flags), None, flags, method, crc, csize, usize, pos - start
        )
        extra = bytes(buf[pos + 30 + nlen : pos + 30 + nlen + xlen])
        _zip64_extra(extra, entry)
        data = pos + 30 + nlen + xlen
        if (flags & 0x08) or csize == 0xFFFFFFFF or data + csize > end:
            # sizes come after the data: find the end of the data
            nxt = _next_signature(buf, data, end)
            entry.compressed_size = nxt - data
            if entry.method == STORED:
                entry.size = entry.compressed_size
            entry.notes.append("sizes not in the local header")
        entries.append(entry)
        following = data + entry.compressed_size
        pos = buf.find(LOCAL, max(following, pos + 4), end)
    return entries


def _next_signature(buf: Buffer, pos: int, end: int) -> int:
    candidates = [buf.find(sig, pos, end) for sig in (LOCAL, CENTRAL, DESCRIPTOR, EOCD)]
    found = [c for c in candidates if c >= 0]
    return min(found) if found else end


def _read_local_header(buf: Buffer, start: int, end: int, entry: ZipEntry) -> None:
    pos = start + entry.header_offset
    if pos < start or pos + 30 > end or bytes(buf[pos : pos + 4]) != LOCAL:
        entry.notes.append("local header missing")
        return
    (flags, method, _t, _d, _crc, _csize, _usize, nlen, xlen) = struct.unpack_from(
        "<HHHHIIIHH", buf, pos + 6
    )
    local_name = _decode_name(bytes(buf[pos + 30 : pos + 30 + nlen]), flags)
    entry.local_name = local_name
    if local_name != entry.name:
        entry.notes.append(f"local header names it {local_name!r}")
    if flags & 0x61 or entry.flags & 0x61:
        bits = (flags | entry.flags) & 0x61
        entry.notes.append(f"flag bits 0x{bits:02x} set (encryption/patched data)")
    if method != entry.method:
        entry.notes.append(f"local header says method {method}, central directory {entry.method}")
    entry.data_offset = pos + 30 + nlen + xlen


class Sink(Protocol):
    def write(self, piece: bytes) -> None: ...


class SpillSink(Sink, Protocol):
    total: int

    def buffer(self) -> Buffer: ...


def read_member(
    buf: Buffer, entry: ZipEntry, end: int, budget: int, spill: SpillSink | None = None
) -> tuple[Buffer, int, int]:
    """The member's bytes as (buffer, start, end): a slice for stored; for deflated, bytes
    (at most `budget`), or what `spill` holds once the member is inflated into it."""
    if entry.data_offset < 0:
        raise ZipError("member data not found (no local header)")
    start = entry.data_offset
    stop = start + entry.compressed_size
    if stop > end:
        raise ZipError(
            f"member data truncated ({end - start} of {entry.compressed_size} bytes present)"
        )
    if entry.method == STORED:
        return buf, start, stop
    if entry.method == DEFLATED and spill is not None:
        inflate_into(buf, start, stop, spill)
        return spill.buffer(), 0, spill.total
    if entry.method == DEFLATED:
        out = inflate(buf, start, stop, budget)
        return out, 0, len(out)
    raise ZipError(f"compression method {entry.method} is not supported")


class _Bytes:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.total = 0
        self.parts: list[bytes] = []

    def write(self, piece: bytes) -> None:
        self.total += len(piece)
        if self.total > self.budget:
            raise BudgetExceeded(f"expands past {self.budget} bytes")
        self.parts.append(piece)


def inflate(buf: Buffer, start: int, stop: int, budget: int) -> bytes:
    """Raw deflate with a byte budget (never expands past it), into memory: small members."""
    sink = _Bytes(budget)
    inflate_into(buf, start, stop, sink)
    return b"".join(sink.parts)


def inflate_into(buf: Buffer, start: int, stop: int, sink: Sink) -> None:
    """Raw deflate of `buf[start:stop]` written to `sink` in pieces of at most 1 MiB; the
    sink enforces the budget (raising BudgetExceeded). Bytes after the end of the deflate
    stream are ignored, as zip readers do."""
    dec = zlib.decompressobj(-15)
    pos = start
    try:
        while pos < stop:
            chunk = bytes(buf[pos : min(stop, pos + _CHUNK)])
            pos += len(chunk)
            while chunk and not dec.eof:  # bytes after the stream's end are not output
                sink.write(dec.decompress(chunk, _CHUNK))
                chunk = dec.unconsumed_tail
            if dec.eof:
                break
        while not dec.eof:
            piece = dec.decompress(b"", _CHUNK)
            if not piece:
                break
            sink.write(piece)
    except zlib.error as exc:
        raise ZipError(f"deflate data is corrupt ({exc})") from None
    if not dec.eof:
        raise ZipError("deflate data is truncated")


def crc_matches(data: Buffer, start: int, stop: int, crc: int) -> bool:
    return crc_value(data, start, stop) == crc


def crc_value(data: Buffer, start: int, stop: int) -> int:
    value = 0
    view = memoryview(data)
    try:
        for pos in range(start, stop, 1 << 24):
            value = zlib.crc32(view[pos : min(stop, pos + (1 << 24))], value)
    finally:
        view.release()
    return value
