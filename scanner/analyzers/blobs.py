"""The container toolkit every analyzer shares: a zero-copy slice of a file's bytes (`Blob`),
a bounded way to get those bytes (`open_buffer`), and a fresh model artifact for a file."""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..model import Artifact, ComponentKind, FileRef
from .pickle_vm import Buffer


@dataclass
class Blob:
    """A slice of a buffer (bytes or mmap): what every container passes around, zero copy."""

    buf: Buffer
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start

    def head(self, n: int = 512) -> bytes:
        return bytes(self.buf[self.start : min(self.end, self.start + n)])


# Files up to this size are read into memory (one read); larger ones are memory-mapped so
# that tensor data is only touched by the hash.
READ_LIMIT = 64 * 1024 * 1024


@contextmanager
def open_buffer(path: Path, size: int) -> Iterator[Buffer]:
    """The file's bytes: read whole when small, a read-only mmap when large."""
    if size <= READ_LIMIT:
        with path.open("rb") as fh:
            yield fh.read(size + 1)  # (read(n) allocates n bytes up front: not READ_LIMIT)
        return
    with path.open("rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            yield mm
        finally:
            mm.close()


def new_artifact(file: FileRef, fmt: str) -> Artifact:
    return Artifact(path=file.rel, format=fmt, size=file.size, kind=ComponentKind.MODEL)
