"""The bytes of a pickle as CPython's C unpickler reads them from a file object.

`pickle.loads(data)` reads its input linearly. `pickle.load(file)` (and `torch.load`, which
hands the unpickler an `io.BytesIO`) reads through a buffer: a `FRAME` opcode makes the
unpickler `read()` the whole frame into that buffer, and when a later read needs more bytes
than are left in it, `_Unpickler_ReadFromFile` reads the request afresh from the file and the
rest of the buffer is dropped (Modules/_pickle.c, `_Unpickler_ReadImpl`, `_Unpickler_Readline`;
byte-string payloads use `_Unpickler_ReadInto`, which copies the buffer's rest first). A
stream whose frames do not end on opcode boundaries therefore means one thing to a linear
reader and another to the file reader, and the standard library's pure-Python unpickler (which
joblib and dill use) refuses it. Writers never produce such a stream: it is a parser-differential
trick.

`file_view` replays that reading (no `peek`, as for io.BytesIO) opcode by opcode, without
interpreting anything, and returns the byte sequence the file reader consumes in order (FRAME
opcodes dropped), so that the ordinary machine can interpret what the file reader would see.
"""

from __future__ import annotations

import mmap
import struct
from bisect import bisect_right
from dataclasses import dataclass, field

Source = bytes | bytearray | mmap.mmap

# opcode -> bytes of its fixed-size argument (read with _Unpickler_Read)
_FIXED = {
    0x4A: 4,  # BININT
    0x4B: 1,  # BININT1
    0x4D: 2,  # BININT2
    0x47: 8,  # BINFLOAT
    0x80: 1,  # PROTO
    0x82: 1,  # EXT1
    0x83: 2,  # EXT2
    0x84: 4,  # EXT4
    0x68: 1,  # BINGET
    0x6A: 4,  # LONG_BINGET
    0x71: 1,  # BINPUT
    0x72: 4,  # LONG_BINPUT
}
# opcode -> (width of the length, signed): the payload is read with _Unpickler_Read
_COUNTED = {
    0x8A: (1, False),  # LONG1
    0x8B: (4, True),  # LONG4
    0x55: (1, False),  # SHORT_BINSTRING
    0x54: (4, True),  # BINSTRING
    0x8C: (1, False),  # SHORT_BINUNICODE
    0x58: (4, False),  # BINUNICODE
    0x8D: (8, False),  # BINUNICODE8
}
# ... payload read with _Unpickler_ReadInto (no buffer drop)
_COUNTED_INTO = {
    0x43: 1,  # SHORT_BINBYTES
    0x42: 4,  # BINBYTES
    0x8E: 8,  # BINBYTES8
    0x96: 8,  # BYTEARRAY8
}
_ONE_LINE = frozenset(b"ILFSVgpP")
_TWO_LINES = frozenset(b"ci")
_NO_ARG = frozenset(b"()*.0125NR]abdeltsu}\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98")
_FRAME = 0x95
_STOP = 0x2E


class _Truncated(Exception):
    pass


@dataclass
class FileView:
    data: bytearray = field(default_factory=bytearray)
    # (view offset, source offset) where each contiguous run starts
    runs: list[tuple[int, int]] = field(default_factory=list)
    straddles: list[int] = field(default_factory=list)  # source offsets of dropped buffer rests
    stops_inside_frame: list[int] = field(default_factory=list)

    def source_offset(self, view_offset: int) -> int:
        i = bisect_right(self.runs, (view_offset, 1 << 62)) - 1
        if i < 0:
            return view_offset
        vstart, sstart = self.runs[i]
        return sstart + (view_offset - vstart)

    @property
    def differs(self) -> bool:
        return bool(self.straddles or self.stops_inside_frame)


class _Reader:
    def __init__(self, buf: Source, start: int, end: int, view: FileView) -> None:
        self.buf = buf
        self.pos = start
        self.bend = start  # end of the buffer filled by the last read() (== pos when consumed)
        self.end = end
        self.view = view
        self.next_src = -1  # source offset that would continue the current run

    def _emit(self, s: int, n: int) -> None:
        if n <= 0:
            return
        if s != self.next_src:
            self.view.runs.append((len(self.view.data), s))
        self.view.data += self.buf[s : s + n]
        self.next_src = s + n

    def read(self, n: int, *, emit: bool = True) -> int:
        """_Unpickler_Read: the source offset of the n bytes returned."""
        if self.pos + n <= self.bend:
            s = self.pos
            self.pos += n
        else:
            if self.pos < self.bend:
                self.view.straddles.append(self.pos)
            s = self.bend
            if s + n > self.end:
                raise _Truncated
            self.pos = self.bend = s + n
        if emit:
            self._emit(s, n)
        return s

    def read_into(self, n: int) -> None:
        """_Unpickler_ReadInto: the buffer's rest, then the file: contiguous."""
        if self.pos + n > self.end:
            raise _Truncated
        self._emit(self.pos, n)
        self.pos += n
        self.bend = max(self.bend, self.pos)

    def readline(self) -> None:
        if self.pos < self.bend:
            nl = self.buf.find(b"\n", self.pos, self.bend)
            if nl >= 0:
                self._emit(self.pos, nl + 1 - self.pos)
                self.pos = nl + 1
                return
            self.view.straddles.append(self.pos)
        s = self.bend
        nl = self.buf.find(b"\n", s, self.end)
        if nl < 0:
            raise _Truncated
        self._emit(s, nl + 1 - s)
        self.pos = self.bend = nl + 1

    def frame(self) -> None:
        s = self.read(8, emit=False)
        (length,) = struct.unpack_from("<Q", self.buf, s)
        if self.pos + length <= self.bend:
            return  # already buffered: the unpickler rewinds, nothing changes
        if self.pos < self.bend:
            self.view.straddles.append(self.pos)
        start = self.bend
        if start + length > self.end:
            raise _Truncated
        self.bend = start + length
        self.pos = start

    def stream(self) -> bool:
        """One pickle up to STOP; False when the data ended or could not be read."""
        while True:
            if self.pos >= self.end and self.pos >= self.bend:
                return False
            at = self.read(1, emit=False)
            op = self.buf[at]
            if op == _FRAME:
                self.frame()
                continue
            self._emit(at, 1)
            if op in _FIXED:
                self.read(_FIXED[op])
            elif op in _COUNTED:
                width, signed = _COUNTED[op]
                s = self.read(width)
                n = int.from_bytes(self.buf[s : s + width], "little", signed=signed)
                if n < 0:
                    return False
                self.read(n)
            elif op in _COUNTED_INTO:
                width = _COUNTED_INTO[op]
                s = self.read(width)
                self.read_into(int.from_bytes(self.buf[s : s + width], "little"))
            elif op in _ONE_LINE:
                self.readline()
            elif op in _TWO_LINES:
                self.readline()
                self.readline()
            elif op == _STOP:
                if self.pos < self.bend:
                    self.view.stops_inside_frame.append(self.pos)
                self.pos = self.bend  # a new unpickler on the same file starts after the buffer
                return True
            elif op not in _NO_ARG:
                return False  # invalid opcode: the machine reports it


def file_view(buf: Source, start: int, end: int, max_streams: int = 1000) -> FileView:
    """What the C unpickler reading a file object (no peek) consumes, stream after stream."""
    view = FileView()
    reader = _Reader(buf, start, end, view)
    try:
        for _ in range(max_streams):
            if not reader.stream():
                break
    except _Truncated:
        pass
    return view
