"""Decompressed bytes held in a bounded window: in memory up to `WINDOW`, beyond that in an
anonymous temporary file read back through a read-only memory map.

A decompression bomb therefore costs at most `WINDOW` bytes of memory (plus the page cache the
kernel may reclaim) and the per-file decompression budget (`max-decompressed-bytes`) of disk,
never gigabytes of RAM; reaching the budget raises `BudgetExceeded`, which callers report.
The temporary file is aibom's own (unlinked on creation), so nothing else can truncate it
under the map.
"""

from __future__ import annotations

import mmap
import tempfile
from types import TracebackType
from typing import IO

from .pickle_vm import Buffer
from .zipread import BudgetExceeded

WINDOW = 16 * 1024 * 1024  # bytes of decompressed output kept in memory


class Spill:
    """A write-once sink with a byte limit; `buffer()` gives the bytes written, zero copy."""

    def __init__(self, limit: int, window: int = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self.total = 0
        self._parts: list[bytes] = []  # in memory (no reallocation while growing)
        self._held = 0
        self._joined: bytes | None = None
        self._file: IO[bytes] | None = None
        self._map: mmap.mmap | None = None

    def write(self, piece: bytes) -> None:
        if not piece:
            return
        self.total += len(piece)
        if self.total > self.limit:
            raise BudgetExceeded(f"expands past {self.limit} bytes")
        if self._file is None and self._held + len(piece) <= self.window:
            self._parts.append(piece)
            self._held += len(piece)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="aibom-")  # noqa: SIM115 (closed in close())
            for part in self._parts:
                self._file.write(part)
            self._parts = []
            self._held = 0
        self._file.write(piece)

    @property
    def spilled(self) -> bool:
        return self._file is not None

    def buffer(self) -> Buffer:
        """The bytes written so far (call once writing is done)."""
        if self._file is None:
            if self._joined is None:
                self._joined = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
                self._parts = []
            return self._joined
        if self._map is None:
            self._file.flush()
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        return self._map

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._file is not None:
            self._file.close()
            self._file = None
        self._parts = []
        self._joined = None

    def __enter__(self) -> Spill:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
