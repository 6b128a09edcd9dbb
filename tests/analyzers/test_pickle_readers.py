"""The pickle machine reads what CPython's unpickler reads, from memory and from a file.

The oracle is the C unpickler itself with a `find_class` that records the global it is asked
for and raises instead of importing it: nothing is ever imported or constructed. It runs on
`io.BytesIO` (the file reader torch.load and pickle.load(BytesIO) use) and on an object with
`peek` that returns everything (the linear, in-memory reading).
"""

from __future__ import annotations

import _compat_pickle
import collections
import datetime
import decimal
import io
import pickle
import pickletools
import struct
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aibom.analyzers.pickle_file_view import file_view
from aibom.analyzers.pickle_vm import scan_pickle
from aibom.checks import pickle_policy
from aibom.checks.pickle_policy import dangerous_entry, globals_data
from aibom.sniff import looks_like_unframed_pickle, sniff_bytes

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "pickle-corpus"


class _Asked(Exception):
    pass


class _Recorder(pickle.Unpickler):
    python2_names = True  # protocols 0-2: the real find_class maps Python 2 names (fix_imports)

    def find_class(self, module: str, name: str) -> Any:  # never returns: nothing is imported
        if self.python2_names:
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        raise _Asked(f"{module}.{name}")


class _Linear(io.BytesIO):
    def peek(self, n: int = 0) -> bytes:
        return self.getvalue()[self.tell() :]


def first_global(data: bytes, *, from_file: bool) -> str | None:
    """The first global the C unpickler asks for, reading from a file (BytesIO) or linearly."""
    stream: io.BytesIO = io.BytesIO(data) if from_file else _Linear(data)
    recorder = _Recorder(stream)
    recorder.python2_names = not (data[:1] == b"\x80" and data[1:2] >= b"\x03")
    try:
        recorder.load()
    except _Asked as asked:
        return str(asked)
    except Exception:  # any other failure: the unpickler asked for nothing
        return None
    return None


def machine_globals(data: bytes) -> set[str]:
    return {i.qualname for i in scan_pickle(data).all_imports()}


# -- hand-written frame differentials ---------------------------------------------------------
def _frame(body: bytes) -> bytes:
    return b"\x95" + struct.pack("<Q", len(body))


SYSTEM = b"\x8c\x05posix\x8c\x06system\x93\x8c\x04true\x85R0"


def test_an_argument_straddling_a_frame_end_is_read_from_after_the_frame() -> None:
    # the frame ends inside a SHORT_BINUNICODE: the file reader drops "ab" and reads 6 bytes
    # after the frame, which swallow a SHORT_BINBYTES header; the payload then runs
    after = b"cdef" + b"C" + bytes([len(SYSTEM)]) + SYSTEM + b"."
    data = b"\x80\x04" + _frame(b"\x8c\x06ab") + b"\x8c\x06ab" + after
    assert first_global(data, from_file=True) == "posix.system"
    assert first_global(data, from_file=False) is None  # linear: a string and bytes
    scan = scan_pickle(data)
    assert "posix.system" in {i.qualname for i in scan.imports}
    assert any("frames do not end on opcode boundaries" in r for r in scan.incomplete)


def test_a_global_line_straddling_a_frame_end() -> None:
    data = b"\x80\x04" + _frame(b"cdecoy") + b"cdecoy" + b"posix\nsystem\n(\x8c\x01xtR."
    assert first_global(data, from_file=True) == "posix.system"
    assert first_global(data, from_file=False) == "decoyposix.system"
    assert {"posix.system", "decoyposix.system"} <= machine_globals(data)


def test_a_frame_longer_than_the_data_stops_like_cpython() -> None:
    data = b"\x80\x04" + SYSTEM + b"\x95" + struct.pack("<Q", 4096) + b"."
    assert first_global(data, from_file=True) == "posix.system"
    scan = scan_pickle(data)
    assert [i.qualname for i in scan.imports] == ["posix.system"]
    assert scan.incomplete and "FRAME of 4096 bytes" in scan.incomplete[0]


def test_aligned_frames_are_not_reported() -> None:
    data = pickle.dumps({"a": [1, 2, 3], "b": "x" * 100_000}, protocol=5)
    scan = scan_pickle(data)
    assert not scan.incomplete
    assert not file_view(data, 0, len(data)).differs


# -- property: random framings of real pickles ----------------------------------------------------
VALUES = [
    collections.OrderedDict(a=1),
    collections.Counter("abc"),
    datetime.datetime(2025, 1, 2, 3, 4, 5),
    decimal.Decimal("1.5"),
    uuid.UUID(int=7),
    {"k": [1, 2.5, "é" * 40, b"\x00" * 300, (None, True)]},
    Path("a/b"),
]


def _unframed(data: bytes) -> bytes:
    """The same stream without its FRAME opcodes."""
    out = bytearray()
    ops = list(pickletools.genops(data))
    for (op, _arg, pos), nxt in zip(ops, [*ops[1:], None], strict=True):
        end = nxt[2] if nxt is not None else len(data)
        if op.name != "FRAME":
            out += data[pos:end]
    return bytes(out)


@st.composite
def framed_pickles(draw: st.DrawFn) -> bytes:
    value = draw(st.sampled_from(VALUES))
    proto = draw(st.integers(0, 5))
    data = _unframed(pickle.dumps(value, protocol=proto))
    start = 2 if proto >= 2 else 0
    cuts = sorted(draw(st.lists(st.integers(start, len(data) - 1), max_size=4)))
    out = bytearray(data[:start])
    last = start
    for cut in cuts:  # a FRAME at an arbitrary byte, of an arbitrary length
        out += data[last:cut]
        length = draw(st.integers(0, len(data) - cut))
        out += b"\x95" + struct.pack("<Q", length)
        last = cut
    out += data[last:]
    return bytes(out)


@settings(max_examples=200, deadline=None)
@given(framed_pickles())
def test_the_machine_sees_every_global_either_reader_asks_for(data: bytes) -> None:
    found = machine_globals(data)
    for from_file in (True, False):
        asked = first_global(data, from_file=from_file)
        if asked is not None:
            assert asked in found, (from_file, data)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(VALUES), st.integers(0, 5), st.booleans())
def test_plain_pickles_of_every_protocol_with_and_without_proto(
    value: Any, proto: int, strip_proto: bool
) -> None:
    data = pickle.dumps(value, protocol=proto)
    if strip_proto and data[:1] == b"\x80":
        data = _unframed(data[2:])
    asked = first_global(data, from_file=True)
    found = machine_globals(data)
    if asked is not None:
        assert asked in found
    scan = scan_pickle(data)
    assert not scan.incomplete


# -- F1: a pickle without PROTO is a pickle, under any name --------------------------------------
NOPROTO = b"\x8c\x05posix\x8c\x06system\x93\x8c\x04true\x85R."


@pytest.mark.parametrize("name", ["notes.txt", "weights", "config.yaml", "data.pkl", "x.bin"])
def test_a_pickle_without_proto_is_sniffed_under_any_name(name: str) -> None:
    assert sniff_bytes(NOPROTO, name, len(NOPROTO)) == "pickle"


@pytest.mark.parametrize(
    "text",
    [b"cat\ndog\n", b"(draft) notes\n", b"id,name\n1,a\n", b"]\n", b"import os\nprint(1)\n",
     b"class A:\n    pass\n"],
)  # fmt: skip
def test_text_that_starts_like_an_opcode_is_not_a_pickle(text: bytes) -> None:
    assert not looks_like_unframed_pickle(text, len(text))
    assert sniff_bytes(text, "notes.txt", len(text)) is None


# -- F3: dotted names are judged in linear time ---------------------------------------------------
class _CountingDict(dict[str, tuple[str, ...]]):
    lookups = 0

    def __contains__(self, key: object) -> bool:
        type(self).lookups += 1
        return super().__contains__(key)


def test_a_5000_part_dotted_name_costs_linear_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    data = globals_data()
    counting = _CountingDict(data.dangerous)
    table = pickle_policy.Globals(
        data.safe,
        counting,
        data.attributes,
        data.capability,
        data.higher_order,
        data.closed_world,
        data.depth,
    )
    name = ".".join(["a"] * 5000)
    assert dangerous_entry("mylib", name, table) is None
    # at most `depth` slices start at each part (the old judgement tried every suffix and prefix)
    assert counting.lookups <= (5002 + 5000) * data.depth
    assert dangerous_entry("mylib", name + ".os.system", table) == "os"


# -- the evaluation corpus: every malicious file at high or above, no benign one ------------------
def _worst_by_file(half: str) -> dict[str, str]:
    from aibom.config import Config
    from aibom.policy import severity_of
    from aibom.scan import scan

    order = ["info", "low", "medium", "high", "critical"]
    worst: dict[str, str] = {}
    config = Config(roots=(CORPUS / half,))
    result = scan(config)
    for finding in result.findings:
        top = finding.location.path.split("/")[0]
        level = severity_of(finding, config).name.lower()
        if order.index(level) > order.index(worst.get(top, "info")):
            worst[top] = level
    return worst


def _entries(label: str) -> list[str]:
    import json

    manifest = json.loads((CORPUS / "manifest.json").read_text("utf-8"))
    return [
        e["path"].split("/", 1)[1].split("/")[0] for e in manifest["files"] if e["label"] == label
    ]


def test_corpus_every_malicious_file_is_flagged_high() -> None:
    worst = _worst_by_file("malicious")
    missed = [f for f in _entries("malicious") if worst.get(f) not in ("high", "critical")]
    assert not missed


def test_corpus_no_benign_file_is_flagged_high() -> None:
    worst = _worst_by_file("benign")
    blocked = {f: worst[f] for f in _entries("benign") if worst.get(f) in ("high", "critical")}
    assert not blocked
