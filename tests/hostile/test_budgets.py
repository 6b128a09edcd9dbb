"""F4/F8/F9: bounded work and memory per file. Decompressed bytes live in a bounded window
(spilling to a temporary file), identical zip members and memoised inner pickles are analysed
once, hashing never maps the whole file, and a file that changes size is reported."""

from __future__ import annotations

import gzip
import struct
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from aibom.analyzers import archives, blobs, pickle_files
from aibom.analyzers.pickle_vm import scan_pickle
from aibom.analyzers.spill import WINDOW, Spill
from aibom.config import Config
from aibom.model import FileRef

EVIL = b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00true\x85R."


def ref(path: Path) -> FileRef:
    return FileRef(path, path.name, path.stat().st_size)


def test_spill_keeps_a_bounded_window_in_memory() -> None:
    with Spill(limit=WINDOW * 3) as sink:
        piece = b"\0" * (1 << 20)
        for _ in range(WINDOW // len(piece) * 2):
            sink.write(piece)
        assert sink.spilled
        buf = sink.buffer()
        assert len(buf) == sink.total == WINDOW * 2
        assert buf[-1] == 0


def test_gzip_bomb_is_decompressed_in_a_bounded_window(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl.gz"
    path.write_bytes(gzip.compress(EVIL + b"\0" * (96 << 20), compresslevel=1))
    tracemalloc.start()
    try:
        collected = archives.analyze_file(ref(path), "gzip", Config())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (artifact,) = collected.artifacts
    assert peak < WINDOW + (24 << 20)  # not the 96 MiB of output (nor twice that)
    assert {i.qualname for i in artifact.pickle_imports} == {"posix.system"}


def test_decompression_budget_is_a_finding_naming_the_bound(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin.gz"
    path.write_bytes(gzip.compress(b"\0" * (8 << 20), compresslevel=1))
    collected = archives.analyze_file(ref(path), "gzip", Config(max_decompressed_bytes=1 << 20))
    (artifact,) = collected.artifacts
    assert any("max-decompressed-bytes" in reason for reason in artifact.incomplete)


def _zip_many_names_one_member(count: int, data: bytes) -> bytes:
    crc = zlib.crc32(data)
    name = b"data.pkl"
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0
    )
    body = local + name + data
    central = b""
    for i in range(count):
        cname = f"m{i}/data.pkl".encode()
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                0,
                0,
                0,
                crc,
                len(data),
                len(data),
                len(cname),
                0,
                0,
                0,
                0,
                0,
                0,
            )
            + cname
        )
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(body), 0)
    return body + central + eocd


def test_entries_sharing_one_member_are_analysed_once(tmp_path: Path) -> None:
    # 2,000 names for one 400 KB pickle: before, each was scanned again
    payload = b"\x80\x02" + b"N0" * 200_000 + EVIL[2:]
    path = tmp_path / "many.zip"
    path.write_bytes(_zip_many_names_one_member(2000, payload))
    start = time.monotonic()
    collected = archives.analyze_file(ref(path), "zip", Config())
    elapsed = time.monotonic() - start
    (artifact,) = collected.artifacts
    assert {i.qualname for i in artifact.pickle_imports} == {"posix.system"}
    assert len(artifact.facts["same_data_members"]) == 200  # recorded, bounded
    assert elapsed < 30  # generous: the point is one scan, not 2,000


def test_memoised_inner_pickle_is_scanned_once() -> None:
    outer = b"\x80\x03B" + len(EVIL).to_bytes(4, "little") + EVIL + b"q\x000"
    outer += b"cpickle\nloads\nh\x00\x85R0" * 5000 + b"N."
    scan = scan_pickle(outer)
    assert len(scan.nested) == 1
    assert {i.qualname for i in scan.all_imports()} >= {"pickle.loads", "posix.system"}


def test_large_files_are_hashed_by_reading_not_through_the_map(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    monkeypatch.setattr(blobs, "READ_LIMIT", 1024)  # so this small file is memory-mapped
    path = tmp_path / "model.pkl"
    path.write_bytes(EVIL + b"\0" * 8192)
    (artifact,) = pickle_files.analyze_file(ref(path), "pickle", Config()).artifacts
    assert artifact.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # a file that changed size between listing and hashing is reported, never a signal
    stale = FileRef(path, path.name, path.stat().st_size + 4096)
    (artifact,) = pickle_files.analyze_file(stale, "pickle", Config()).artifacts
    assert any("changed size during the scan" in r for r in artifact.incomplete)
