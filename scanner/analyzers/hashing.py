"""Hash a file once, in large blocks, while the analyzer reads what it needs.

`hashlib` releases the GIL for updates larger than 2 KiB, so the scan's thread pool hashes
files on every core. Analyzers that parse the start of a file use `HashingReader`, which
hashes exactly the bytes that are read and then the rest, so no file is read twice.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..model import Artifact

if TYPE_CHECKING:  # the pickle machine is not imported to hash a file
    from .pickle_vm import Buffer

BLOCK_SIZE = 4 * 1024 * 1024  # 4 MiB: large enough to reach hashlib's full speed


def hash_file(path: Path, block_size: int = BLOCK_SIZE) -> str:
    """SHA-256 hex digest of the file at `path`, read in `block_size` blocks."""
    digest = hashlib.sha256()
    buf = bytearray(block_size)
    view = memoryview(buf)
    with path.open("rb", buffering=0) as fh:
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            digest.update(view[:n])
    return digest.hexdigest()


class HashingReader:
    """Sequential reader that hashes every byte it passes on, then `finish()` hashes the rest.

    Reads past the end return short data, as files do. Seeking is not supported: callers
    that need random access read the bytes they need and keep them.
    """

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self._fh = fh
        self._digest = hashlib.sha256()
        self.size = size
        self.position = 0

    def read(self, n: int) -> bytes:
        data = self._fh.read(n)
        self._digest.update(data)
        self.position += len(data)
        return data

    def finish(self, block_size: int = BLOCK_SIZE) -> str:
        """Hash what is left of the file (without keeping it) and return the digest."""
        buf = bytearray(block_size)
        view = memoryview(buf)
        while True:
            n = self._fh.readinto(buf)  # type: ignore[attr-defined]
            if not n:
                break
            self._digest.update(view[:n])
            self.position += n
        return self._digest.hexdigest()


def sha256_buffer(buf: Buffer, size: int) -> str:
    digest = hashlib.sha256()
    view = memoryview(buf)
    try:
        for pos in range(0, size, BLOCK_SIZE):
            digest.update(view[pos : pos + BLOCK_SIZE])
    finally:
        view.release()
    return digest.hexdigest()


def sha256_of(buf: Buffer, path: Path, size: int) -> str:
    """SHA-256 of a file whose bytes the analyzer holds as `buf`: bytes in memory are hashed
    directly; a memory map is not (hashing through it would map every page of the file into
    the process, gigabytes for a large model): the file is read again in blocks instead.
    Raises OSError when the file no longer has `size` bytes (it changed during the scan)."""
    if not isinstance(buf, mmap.mmap):
        return sha256_buffer(buf, len(buf))
    digest, read = _hash_stream(path)
    if read != size:
        raise OSError(f"the file changed size during the scan ({size} bytes, then {read})")
    return digest


def _hash_stream(path: Path, block_size: int = BLOCK_SIZE) -> tuple[str, int]:
    digest = hashlib.sha256()
    buf = bytearray(block_size)
    view = memoryview(buf)
    total = 0
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            digest.update(view[:n])
            total += n
    return digest.hexdigest(), total


def hash_into(artifact: Artifact, path: Path) -> None:
    """Set `artifact.sha256`; an unreadable file makes the artifact incomplete."""
    try:
        artifact.sha256 = hash_file(path)
    except OSError as exc:
        artifact.incomplete.append(f"cannot read the file to hash it: {exc.strerror or exc}")


SMALL_FILE = 256 * 1024  # files below this are read in one call


@dataclass(frozen=True)
class FileDigests:
    """One pass over a file: its first bytes, its last bytes, SHA-256, MD5 (DVC records
    MD5s, so data files get both from the same read) and the size actually read."""

    head: bytes
    tail: bytes
    sha256: str
    md5: str
    size: int


def read_and_digest(
    path: Path, head_limit: int, tail_limit: int = 0, block_size: int = BLOCK_SIZE
) -> FileDigests:
    """Hash a file once for SHA-256 and MD5, keeping its first `head_limit` and last
    `tail_limit` bytes (a footer) from the same read."""
    sha = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    with path.open("rb", buffering=0) as fh:
        small = os.fstat(fh.fileno()).st_size < SMALL_FILE
        if small:  # one read, no block buffer (data sets of many small files)
            data = fh.read(SMALL_FILE)
            if len(data) < SMALL_FILE:
                sha.update(data)
                md5.update(data)
                tail = data[-tail_limit:] if tail_limit else b""
                return FileDigests(
                    data[:head_limit], tail, sha.hexdigest(), md5.hexdigest(), len(data)
                )
            fh.seek(0)  # it grew while we read: the general path
    buf = bytearray(block_size)
    view = memoryview(buf)
    head = b""
    tail = b""
    size = 0
    with path.open("rb", buffering=0) as fh:
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            chunk = view[:n]
            sha.update(chunk)
            md5.update(chunk)
            if len(head) < head_limit:
                head += bytes(chunk[: head_limit - len(head)])
            size += n
        if tail_limit and size:
            # the footer, from the page cache the hashing pass just filled
            fh.seek(max(0, size - tail_limit))
            tail = fh.read(tail_limit)
    return FileDigests(head, tail, sha.hexdigest(), md5.hexdigest(), size)


def md5_file(path: Path, block_size: int = BLOCK_SIZE) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    buf = bytearray(block_size)
    view = memoryview(buf)
    with path.open("rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            digest.update(view[:n])
    return digest.hexdigest()
