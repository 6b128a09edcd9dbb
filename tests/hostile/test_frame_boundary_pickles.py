"""Found by the fuzz harness: a FRAME whose length ends inside an opcode. CPython's C
unpickler reading an io.BytesIO (what torch.load does for archive/data.pkl) drops the rest
of the frame and reads on from its end, so it sees a STACK_GLOBAL that a straight reading
(aibom's, pickletools', the pure-Python unpickler's) takes for bytes inside a SHORT_BINBYTES.
The file must not pass (the VM reads such a stream both ways and marks it incomplete)."""

from __future__ import annotations

import contextlib
import io
import pickle

from aibom.analyzers.pickle_vm import scan_pickle

# PROTO 4, FRAME 4 (a lie), SHORT_BINUNICODE 'abcdef', SHORT_BINBYTES of 32 bytes that the C
# unpickler reads as: 'posiz' 'system' STACK_GLOBAL MARK 'echo pwned' TUPLE REDUCE POP, STOP
HIDDEN = (
    b"\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00\x8c\x06abcdefC "
    b"\x8c\x05posiz\x8c\x06system\x93(\x8c\necho pwnedtR0."
)


def test_the_c_unpickler_sees_a_global_a_straight_reading_does_not() -> None:
    asked: list[tuple[str, str]] = []

    class Recorder(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> object:
            asked.append((module, name))
            raise RuntimeError("never imported")

    with contextlib.suppress(RuntimeError):
        Recorder(io.BytesIO(HIDDEN)).load()
    assert asked == [("posiz", "system")]


def test_a_frame_ending_inside_an_opcode_is_seen_both_ways_and_incomplete() -> None:
    scan = scan_pickle(HIDDEN)
    assert ("posiz", "system") in {(i.module, i.name) for i in scan.all_imports()}
    assert scan.incomplete


def test_real_framed_pickles_are_not_affected() -> None:
    for value in ({"a": list(range(5000))}, b"x" * 300_000, "y" * 70_000, [b"z" * 70_000] * 3):
        for protocol in (4, 5):
            assert scan_pickle(pickle.dumps(value, protocol=protocol)).incomplete == []
