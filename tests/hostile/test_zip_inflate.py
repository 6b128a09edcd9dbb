"""F2: a deflated member with bytes after the end of its deflate stream, whose output needs
more than one read, used to loop forever in the zip inflater."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from aibom.analyzers import zipread
from aibom.analyzers.archives import analyze_file
from aibom.config import Config
from aibom.model import FileRef


def _deflate_with_trailer(size: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(b"\0" * size) + c.flush() + b"junk after the stream" * 4


def test_inflate_stops_at_the_end_of_the_stream() -> None:
    raw = _deflate_with_trailer(3 << 20)  # three reads' worth of output
    assert zipread.inflate(raw, 0, len(raw), 1 << 30) == b"\0" * (3 << 20)


def _zip_with_member(name: str, compressed: bytes, size: int) -> bytes:
    crc = zlib.crc32(b"\0" * size)
    fname = name.encode()
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(compressed), size, len(fname), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(compressed),
        size,
        len(fname),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    body = local + fname + compressed
    cd = central + fname
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), len(body), 0)
    return body + cd + eocd


def test_scan_of_such_a_zip_finishes(tmp_path: Path) -> None:
    path = tmp_path / "m.zip"
    path.write_bytes(_zip_with_member("blob.bin", _deflate_with_trailer(3 << 20), 3 << 20))
    collected = analyze_file(FileRef(path, path.name, path.stat().st_size), "zip", Config())
    (artifact,) = collected.artifacts
    assert artifact.sha256
