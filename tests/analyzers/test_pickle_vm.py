"""The static pickle machine: exact imports, opcodes, offsets, call flags and reasons.

Benign pickles are made with `pickle.dumps` (writing only); hostile ones are opcode bytes.
Nothing is ever unpickled.
"""

from __future__ import annotations

import collections
import pickle
import struct

import pytest

from aibom.analyzers.pickle_vm import (
    LEGACY_TORCH_MAGIC,
    UNRESOLVED,
    Limits,
    scan_pickle,
)


def imports(data: bytes, **kw: object) -> list[tuple[str, str, str, bool]]:
    scan = scan_pickle(data, **kw)  # type: ignore[arg-type]
    return [(i.module, i.name, i.opcode, i.called) for i in scan.imports]


SYSTEM_P2 = b"\x80\x02cposix\nsystem\nU\x02ls\x85R."


@pytest.mark.parametrize(
    ("protocol", "opcode"),
    [
        (0, "GLOBAL"),
        (1, "GLOBAL"),
        (2, "GLOBAL"),
        (3, "GLOBAL"),
        (4, "STACK_GLOBAL"),
        (5, "STACK_GLOBAL"),
    ],
)
def test_every_protocol_reports_the_import_and_the_call(protocol: int, opcode: str) -> None:
    data = pickle.dumps(collections.OrderedDict(a=1), protocol=protocol)
    scan = scan_pickle(data)
    assert [(i.qualname, i.opcode, i.called) for i in scan.imports] == [
        ("collections.OrderedDict", opcode, True)
    ]
    assert scan.pickles == 1
    assert scan.incomplete == []
    assert scan.protocol == (protocol if protocol >= 2 else 0)
    assert scan.end_offset == len(data)


def test_protocol_2_bytes_go_through_codecs_encode() -> None:
    scan = scan_pickle(pickle.dumps(b"\x00\x01", protocol=2))
    assert [(i.qualname, i.called) for i in scan.imports] == [("_codecs.encode", True)]


def test_offset_and_uncalled_global() -> None:
    data = b"\x80\x02cos\nsystem\n."  # imported, returned, never called
    scan = scan_pickle(data)
    assert [(i.qualname, i.offset, i.called) for i in scan.imports] == [("os.system", 2, False)]


def test_stack_global_fed_from_memo_after_memoize_mix() -> None:
    data = (
        b"\x80\x04\x8c\x02osq\x00\x8c\x06systemq\x01"
        b"\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94"
        b"0000h\x00h\x01\x93\x8c\x02ls\x85R."
    )
    assert imports(data) == [("os", "system", "STACK_GLOBAL", True)]


def test_memoize_numbers_by_memo_length_not_by_position() -> None:
    # BINPUT 5 then MEMOIZE stores under key 1 (len(memo)), as CPython does
    data = b"\x80\x04\x8c\x05posixq\x05\x8c\x06system\x94h\x05h\x01\x93."
    assert imports(data) == [("posix", "system", "STACK_GLOBAL", False)]


def test_dotted_name_is_kept_whole() -> None:
    data = b"\x80\x04\x8c\x07pathlib\x8c\tos.system\x93\x8c\x02ls\x85R."
    assert imports(data) == [("pathlib", "os.system", "STACK_GLOBAL", True)]


def test_python2_names_are_mapped_like_the_unpickler() -> None:
    assert imports(b"c__builtin__\neval\n(S'1'\ntR.") == [("builtins", "eval", "GLOBAL", True)]
    assert imports(b"\x80\x02ccopy_reg\n_reconstructor\n.") == [
        ("copyreg", "_reconstructor", "GLOBAL", False)
    ]


def test_string_opcode_operands_without_proto() -> None:
    data = b"S'os'\nS'system'\n\x93S'ls'\n\x85R."
    assert imports(data) == [("os", "system", "STACK_GLOBAL", True)]


def test_string_escapes_are_decoded() -> None:
    data = b"S'o\\x73'\nS'system'\n\x93."
    assert imports(data) == [("os", "system", "STACK_GLOBAL", False)]


def test_inst_and_obj_are_calls() -> None:
    assert imports(b"(S'ls'\niposix\nsystem\n.") == [("posix", "system", "INST", True)]
    assert imports(b"(cposix\nsystem\nU\x02lso.") == [("posix", "system", "GLOBAL", True)]


def test_newobj_and_build_mark_calls() -> None:
    data = b"\x80\x02cmylib\nHead\n)\x81}b."
    assert imports(data) == [("mylib", "Head", "GLOBAL", True)]


def test_extension_code_registered_in_the_stream_is_resolved() -> None:
    data = b"\x80\x02ccopyreg\nadd_extension\n(U\x02osU\x06systemK\xf0tR0\x82\xf0U\x02ls\x85R."
    scan = scan_pickle(data)
    assert [(i.qualname, i.opcode, i.called) for i in scan.imports] == [
        ("copyreg.add_extension", "GLOBAL", True),
        ("os.system", "EXT1", True),
    ]
    assert scan.extensions == [(240, "os.system")]


def test_unregistered_extension_code_is_unresolved() -> None:
    scan = scan_pickle(b"\x80\x02\x84\x01\x00\x01\x00)R.")
    assert [(i.module, i.name, i.opcode) for i in scan.imports] == [
        (UNRESOLVED, "extension code 65537", "EXT4")
    ]


def test_stack_global_from_a_call_result_is_unresolved() -> None:
    data = b"\x80\x04\x8c\x08builtins\x8c\x03str\x93\x8c\x02os\x85R\x8c\x06system\x93."
    scan = scan_pickle(data)
    assert [(i.module, i.name) for i in scan.imports] == [
        ("builtins", "str"),
        (UNRESOLVED, "<call result>.system"),
    ]
    assert scan.incomplete == []


def test_stack_global_of_an_int_stops_like_the_unpickler() -> None:
    scan = scan_pickle(b"\x80\x04K\x01K\x02\x93.")
    assert scan.imports == []
    assert scan.incomplete == ["STACK_GLOBAL operands are not strings at byte 6"]


def test_build_on_an_imported_global_is_recorded() -> None:
    scan = scan_pickle(b"\x80\x02cnumpy\nprod\n}U\x01aU\x02ossb.")
    assert scan.global_mutations == [("numpy.prod", 23)]
    assert [(i.qualname, i.called) for i in scan.imports] == [("numpy.prod", True)]


def test_payload_before_garbage_is_reported_and_marked_incomplete() -> None:
    scan = scan_pickle(SYSTEM_P2[:-1] + b"\xff")
    assert [(i.qualname, i.called) for i in scan.imports] == [("posix.system", True)]
    assert scan.incomplete == ["invalid opcode 0xff at byte 22"]
    assert scan.pickles == 0


def test_truncated_stream_keeps_what_was_seen() -> None:
    scan = scan_pickle(SYSTEM_P2[:16])
    assert [i.qualname for i in scan.imports] == ["posix.system"]
    assert scan.incomplete == ["truncated: stream ended before STOP at byte 16"]


def test_missing_memo_key_stops_with_a_reason() -> None:
    scan = scan_pickle(b"\x80\x04\x8c\x02os\x94h\x03h\x00\x93.")
    assert scan.incomplete == ["memo key 3 not found at byte 7"]


def test_several_pickles_are_all_scanned() -> None:
    first = pickle.dumps(collections.OrderedDict(), protocol=2)
    scan = scan_pickle(first + SYSTEM_P2)
    assert [(i.qualname, i.offset) for i in scan.imports] == [
        ("collections.OrderedDict", 2),
        ("posix.system", len(first) + 2),
    ]
    assert scan.pickles == 2
    assert scan.end_offset == len(first) + len(SYSTEM_P2)
    assert scan.trailing == 0


def test_trailing_bytes_after_the_last_pickle_are_measured_not_failed() -> None:
    data = pickle.dumps([1], protocol=2) + b"\x00\x00junk"
    scan = scan_pickle(data)
    assert scan.pickles == 1
    assert scan.incomplete == []
    assert scan.trailing == 6


def test_max_streams_stops_before_raw_data() -> None:
    stream = pickle.dumps(1, protocol=2)
    scan = scan_pickle(stream * 3 + b"cos\nsystem\n.", max_streams=3)
    assert scan.pickles == 3
    assert scan.imports == []
    assert scan.incomplete == []
    assert scan.end_offset == len(stream) * 3


def test_legacy_magic_number_is_the_first_result() -> None:
    data = pickle.dumps(LEGACY_TORCH_MAGIC, protocol=2)
    scan = scan_pickle(data, single=True)
    assert scan.results == [LEGACY_TORCH_MAGIC]


def test_nested_pickle_passed_to_loads_is_scanned() -> None:
    data = b"\x80\x03cpickle\nloads\nB" + struct.pack("<I", len(SYSTEM_P2)) + SYSTEM_P2 + b"\x85R."
    scan = scan_pickle(data, member="archive/data.pkl")
    assert [(i.qualname, i.member) for i in scan.imports] == [("pickle.loads", "archive/data.pkl")]
    assert len(scan.nested) == 1
    nested = scan.nested[0]
    assert (nested.offset, nested.via) == (21, "pickle.loads")
    assert [(i.qualname, i.member, i.offset) for i in nested.scan.imports] == [
        ("posix.system", "archive/data.pkl[pickle at byte 21]", 2)
    ]
    assert [i.qualname for i in scan.all_imports()] == ["pickle.loads", "posix.system"]


def test_nested_pickle_in_protocol_2_codecs_bytes_is_scanned() -> None:
    inner = SYSTEM_P2.decode("latin-1")
    data = pickle.dumps(inner, protocol=2)  # a str; wrap it as _codecs.encode(str, 'latin1')
    data = b"\x80\x02cpickle\nloads\nc_codecs\nencode\n" + data[2:-1] + b"U\x06latin1\x86R\x85R."
    scan = scan_pickle(data)
    assert [i.qualname for i in scan.all_imports()] == [
        "pickle.loads",
        "_codecs.encode",
        "posix.system",
    ]


def test_nested_depth_is_bounded() -> None:
    inner = SYSTEM_P2
    for _ in range(3):
        inner = b"\x80\x03cpickle\nloads\nB" + struct.pack("<I", len(inner)) + inner + b"\x85R."
    scan = scan_pickle(inner, limits=Limits(max_nested_depth=2))
    assert [i.qualname for i in scan.all_imports()] == ["pickle.loads"] * 3
    deepest = scan.nested[0].scan.nested[0].scan
    assert deepest.incomplete == ["pickle nested deeper than 2 levels at byte 21; not scanned"]


def test_opcode_limit() -> None:
    scan = scan_pickle(b"\x80\x02" + b"N0" * 10 + b"N.", limits=Limits(max_opcodes=5))
    assert scan.incomplete == ["opcode limit (5) reached at byte 6"]


def test_memo_limit() -> None:
    data = b"\x80\x04" + b"N\x94" * 10 + b"."
    scan = scan_pickle(data, limits=Limits(max_memo=4))
    assert scan.incomplete == ["memo size limit (4) reached at byte 11"]


def test_stack_limit() -> None:
    # checked every 64 opcodes: the stack may pass the limit by at most 63 entries
    scan = scan_pickle(b"\x80\x02" + b"N" * 200 + b".", limits=Limits(max_stack=10))
    assert scan.incomplete == ["stack depth limit (10) reached at byte 64"]


def test_huge_declared_length_is_not_read() -> None:
    data = b"\x80\x04\x8e" + struct.pack("<Q", 1 << 40) + b"xx"
    scan = scan_pickle(data)
    assert scan.incomplete == ["truncated: 1099511627776 bytes needed, 2 left at byte 11"]


def test_stack_underflow_and_bad_mark() -> None:
    assert scan_pickle(b"\x80\x02R.").incomplete == ["stack underflow at byte 2"]
    assert scan_pickle(b"\x80\x02t.").incomplete == [
        "MARK expected but the mark stack is empty at byte 2"
    ]


def test_empty_input() -> None:
    assert scan_pickle(b"").incomplete == ["empty pickle stream"]


def test_scan_a_slice_of_a_larger_buffer() -> None:
    data = b"JUNK" + SYSTEM_P2 + b"MORE"
    scan = scan_pickle(data, start=4, end=4 + len(SYSTEM_P2))
    assert [(i.qualname, i.offset) for i in scan.imports] == [("posix.system", 2)]
    assert scan.end_offset == 4 + len(SYSTEM_P2)


def test_base64_encoded_pickle_argument_is_scanned() -> None:
    import base64

    encoded = base64.b64encode(SYSTEM_P2).decode()  # "gAJj..."
    text = encoded.encode()
    data = (
        b"\x80\x04\x8c\x06pickle\x8c\x05loads\x93\x8c\x06base64\x8c\tb64decode\x93"
        + b"X"
        + struct.pack("<I", len(text))
        + text
        + b"\x85R\x85R."
    )
    scan = scan_pickle(data)
    assert [i.qualname for i in scan.all_imports()] == [
        "pickle.loads",
        "base64.b64decode",
        "posix.system",
    ]
    assert [(n.via, n.offset) for n in scan.nested] == [("base64.b64decode", 76)]


def test_strings_that_are_not_base64_pickles_are_ignored() -> None:
    data = b"\x80\x04\x8c\x05mylib\x8c\x01f\x93\x8c\x0cgAAAAnotb64!\x85R."
    scan = scan_pickle(data)
    assert scan.nested == []
    assert scan.incomplete == []
