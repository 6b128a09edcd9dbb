"""A static, symbolic pickle machine: every import the real unpickler would perform, found
without unpickling anything.

The opcode stream is interpreted the way CPython's `pickle.Unpickler` interprets it: a value
stack, a mark stack and a memo. Values are symbolic: strings, small ints and tuples are kept
(because `STACK_GLOBAL` operands, copyreg extension codes and nested pickles need them),
byte strings are kept as (start, end) references into the buffer (a 1 GB `BINBYTES8` is never
copied), and everything else (lists, dicts, call results) is an opaque object.

What is recorded:

- every global the loader would import (`GLOBAL`, `INST`, `STACK_GLOBAL`, `EXT1/2/4`), in
  stream order, with its opcode, byte offset and whether it was called (`REDUCE`, `OBJ`,
  `NEWOBJ`, `NEWOBJ_EX`, `INST`, or `BUILD` on it);
- imports the machine could not resolve (a `STACK_GLOBAL` fed by a call result, an `EXT` code
  registered outside the stream): these are reported, never dropped;
- byte strings passed to a call that parse as a pickle (`pickle.loads(b"...")`): scanned too,
  to a bounded depth;
- every pickle in the stream (scanning continues after `STOP`), and where the last one ended.

A malformed or truncated stream keeps every import seen before the error and says why it
stopped (`incomplete`). Limits bound opcodes, stack depth, memo size and nesting.
"""

from __future__ import annotations

import _compat_pickle
import base64
import binascii
import codecs
import mmap
import struct
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ..model import PickleImport
from .pickle_file_view import file_view

UNRESOLVED = "<unresolved>"  # module of an import whose target could not be known statically
# How a call's arguments are described in PickleImport.call_args (besides a global's name)
CONSTANT_ARG = "<constant>"  # str, bytes, numbers, None, tuples of those
VALUE_ARG = "<value>"  # anything else: a call result, a list, a dict, an object
# a short identifier-like string argument is kept: "<str:_unpickle>"
MAX_CALL_ARGS = 16  # distinct call signatures kept per import

LEGACY_TORCH_MAGIC = 0x1950A86A20F9469CFC6C

# Callables that unpickle a byte string argument: their bytes are scanned even when they
# do not start with a PROTO opcode.
LOADS_LIKE = frozenset(
    {
        "pickle.loads",
        "pickle._loads",
        "_pickle.loads",
        "pickle.load",
        "_pickle.load",
        "dill.loads",
        "dill._dill.loads",
        "cloudpickle.loads",
        "cloudpickle.cloudpickle.loads",
        "joblib.load",
        "numpy.loads",
        "torch.load",
        "torch.serialization.load",
        "torch.storage._load_from_bytes",
        "io.BytesIO",
        "_io.BytesIO",
    }
)


# bytes, bytearray or mmap: indexable, sliceable, searchable, and a buffer for struct.
Buffer: TypeAlias = "bytes | bytearray | mmap.mmap"


@dataclass(frozen=True)
class Limits:
    max_opcodes: int = 50_000_000
    max_stack: int = 1_000_000
    max_memo: int = 2_000_000
    max_pickles: int = 1_000  # streams in one buffer
    max_nested_depth: int = 3  # pickles inside pickles inside pickles
    max_nested_bytes: int = 64 * 1024 * 1024  # larger byte strings are not scanned as pickles
    max_string: int = 1024 * 1024  # longer strings are kept opaque (never a module name)


DEFAULT_LIMITS = Limits()


@dataclass
class NestedPickle:
    """A byte string inside a pickle that is itself a pickle (e.g. `pickle.loads(b"...")`)."""

    offset: int  # where the byte string starts in the outer buffer
    via: str  # the callable it was passed to
    scan: PickleScan


@dataclass
class PickleScan:
    imports: list[PickleImport] = field(default_factory=list)
    pickles: int = 0  # streams that reached STOP
    protocol: int = 0  # highest PROTO seen (0 when none)
    incomplete: list[str] = field(default_factory=list)
    nested: list[NestedPickle] = field(default_factory=list)
    end_offset: int = 0  # just past the last STOP (or where scanning stopped)
    trailing: int = 0  # bytes after end_offset that are not a pickle
    results: list[Any] = field(default_factory=list)  # each stream's value (ints, strs; else None)
    opcodes: int = 0
    persistent_ids: int = 0
    global_mutations: list[tuple[str, int]] = field(default_factory=list)  # BUILD on a global
    extensions: list[tuple[int, str]] = field(default_factory=list)  # copyreg codes registered
    joblib_arrays: int = 0  # numpy arrays joblib stored inline

    def all_imports(self) -> list[PickleImport]:
        """Own imports, then those of nested pickles (their member names the nesting)."""
        found = list(self.imports)
        for nested in self.nested:
            found.extend(nested.scan.all_imports())
        return found


class _Obj:
    """An opaque runtime value (list, dict, set, call result, persistent object...)."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind


class _Call(_Obj):
    __slots__ = ("args", "func")

    def __init__(self, func: Any, args: Any = None) -> None:
        super().__init__("call")
        self.func = func
        self.args = args


class _DictV(_Obj):
    """A dict whose first entries with str keys are kept (joblib array wrappers need them)."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        super().__init__("dict")
        self.items: dict[str, Any] = {}

    def set(self, key: Any, value: Any) -> None:
        if isinstance(key, str) and len(self.items) < 64:
            self.items[key] = value


class _Bytes:
    __slots__ = ("end", "start")

    def __init__(self, start: int, end: int) -> None:
        self.start = start
        self.end = end


class _Global:
    __slots__ = ("index", "qual")

    def __init__(self, index: int, qual: str) -> None:
        self.index = index
        self.qual = qual


_LIST = _Obj("list")
_DICT = _Obj("dict")
_SET = _Obj("set")
_PERSISTENT = _Obj("persistent")
_BIGINT = _Obj("int")
_BIGSTR = _Obj("str")
_FLOAT = 0.0
_BUFFER = _Obj("buffer")

_U8 = struct.Struct("<B").unpack_from
_U16 = struct.Struct("<H").unpack_from
_I32 = struct.Struct("<i").unpack_from
_U32 = struct.Struct("<I").unpack_from
_U64 = struct.Struct("<Q").unpack_from

_OPCODE_NAMES = {
    ord("c"): "GLOBAL",
    ord("i"): "INST",
    0x93: "STACK_GLOBAL",
    0x82: "EXT1",
    0x83: "EXT2",
    0x84: "EXT4",
}


class PickleError(Exception):
    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


def _fix_import(module: str, name: str) -> tuple[str, str]:
    """Python 2 names as `pickle` maps them (`__builtin__` -> `builtins`, ...)."""
    key = (module, name)
    if key in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[key]
    if module in _compat_pickle.IMPORT_MAPPING:
        return _compat_pickle.IMPORT_MAPPING[module], name
    return module, name


class _Machine:
    """One buffer's scan; `run` interprets stream after stream until the data ends."""

    def __init__(
        self, data: Buffer, start: int, end: int, member: str | None, limits: Limits, depth: int
    ) -> None:
        self.data = data
        self.start = start
        self.end = end
        self.member = member
        self.limits = limits
        self.depth = depth
        self.result = PickleScan(end_offset=start)
        # [module, name, opcode, offset, called]
        self.records: list[list[Any]] = []
        self.ext: dict[int, tuple[str, str]] = {}
        self.saw_bytes = False  # any byte string pushed (only then can a call get a pickle)
        # nested pickles already scanned here, by (start, end) in `data` or by content: a
        # memoised byte string passed to pickle.loads 20,000 times is scanned once
        self.seen_nested: set[tuple[int, int] | bytes] = set()
        self.legacy_aware = False  # stop after five pickles when the first is torch's magic
        self.frame_trouble: int | None = None  # offset where a read may cross a FRAME's end
        self.saw_frame = False

    def _read_as_file(self) -> None:
        """A read crossed the end of a FRAME (or a stream stopped inside one): CPython's
        unpickler reads such a stream differently from a file object than from memory (see
        pickle_file_view). Interpret what the file reader would see too, and say so."""
        view = file_view(self.data, self.start, self.end, self.limits.max_pickles)
        if not view.differs:
            return
        where = (view.straddles or view.stops_inside_frame)[0] - self.start
        self.result.incomplete.append(
            f"frames do not end on opcode boundaries (byte {where}): CPython reads this stream "
            f"one way from memory and another from a file, and the pure-Python unpickler "
            f"rejects it; both readings were analysed"
        )
        inner = _Machine(bytes(view.data), 0, len(view.data), self.member, self.limits, self.depth)
        inner.legacy_aware = self.legacy_aware
        inner.run()
        known = {(r[0], r[1], r[3]) for r in self.records}
        for rec in inner.records:
            rec[3] = view.source_offset(rec[3]) + self.start
            if (rec[0], rec[1], rec[3]) not in known:
                self.records.append(rec)
        self.result.nested.extend(inner.result.nested)
        self.result.extensions.extend(inner.result.extensions)
        self.result.global_mutations.extend(inner.result.global_mutations)

    # -- helpers -------------------------------------------------------------------------
    def _import(self, module: str, name: str, opcode: str, offset: int) -> _Global:
        self.records.append([module, name, opcode, offset, False, None, False, False])
        return _Global(len(self.records) - 1, f"{module}.{name}")

    def _called(self, value: Any, args: Any = None, *, invoked: bool = False) -> None:
        if isinstance(value, _Global):
            rec = self.records[value.index]
            rec[4] = True
            rec[6] = rec[6] or invoked
            if args is not None:
                seen = rec[5] if rec[5] is not None else []
                desc = ", ".join(_arg_descriptions(args))
                if desc not in seen and len(seen) < MAX_CALL_ARGS:
                    seen.append(desc)
                rec[5] = seen
        elif invoked and isinstance(value, _Call) and isinstance(value.func, _Global):
            self.records[value.func.index][7] = True  # the result of a call is called

    def _qualname(self, value: Any) -> str:
        if isinstance(value, _Global):
            return value.qual
        return ""

    def _readline(self, pos: int) -> tuple[bytes, int]:
        nl = self.data.find(b"\n", pos, self.end)
        if nl < 0:
            raise PickleError("truncated: line without newline", pos)
        return bytes(self.data[pos:nl]), nl + 1

    def _need(self, pos: int, n: int) -> None:
        if pos + n > self.end:
            raise PickleError(f"truncated: {n} bytes needed, {self.end - pos} left", pos)

    def _text(self, pos: int, n: int, encoding: str) -> Any:
        if n > self.limits.max_string:
            return _BIGSTR
        raw = bytes(self.data[pos : pos + n])
        try:
            text = raw.decode(encoding, "surrogatepass" if encoding == "utf-8" else "strict")
        except UnicodeDecodeError as exc:
            raise PickleError(f"undecodable string ({exc.reason})", pos) from None
        if n >= 8 and raw.startswith(b"gA"):
            self.saw_bytes = True  # base64 of a PROTO opcode: maybe an encoded pickle
        return text

    # -- nested pickles ----------------------------------------------------------------------
    def _check_nested(self, func: Any, args: Any, offset: int) -> None:
        if not self.saw_bytes:
            return  # no byte string in this buffer yet: nothing that could be a pickle
        via = self._qualname(func)
        loads_like = via in LOADS_LIKE
        for value in _flatten(args):
            if isinstance(value, _Bytes):
                self._nested(value, via or "<call>", loads_like, offset)
            elif isinstance(value, bytes):
                self._nested_bytes(value, via or "<call>", loads_like, offset)
            elif isinstance(value, str) and value.startswith("gA") and len(value) >= 8:
                decoded = _base64_pickle(value, self.limits.max_nested_bytes)
                if decoded is not None:
                    self._nested_bytes(decoded, via or "<call>", False, offset)

    def _nested(self, value: _Bytes, via: str, forced: bool, offset: int) -> None:
        length = value.end - value.start
        if length < 2:
            return
        head = self.data[value.start : value.start + 2]
        plausible = head[0] == 0x80 and head[1] <= 5
        if not (forced or plausible):
            return
        if length > self.limits.max_nested_bytes:
            self.result.incomplete.append(
                f"byte string of {length} bytes passed to {via} at byte {offset - self.start} is larger "
                f"than the nested-pickle limit; not scanned"
            )
            return
        if self.depth + 1 > self.limits.max_nested_depth:
            self.result.incomplete.append(
                f"pickle nested deeper than {self.limits.max_nested_depth} levels at byte "
                f"{value.start - self.start}; not scanned"
            )
            return
        key = (value.start, value.end)
        if key in self.seen_nested:
            return  # the same bytes (a memo reference) were scanned already: same globals
        self.seen_nested.add(key)
        inner_member = f"{self.member or ''}[pickle at byte {value.start - self.start}]"
        inner = _Machine(
            self.data, value.start, value.end, inner_member, self.limits, self.depth + 1
        ).run()
        if not forced and not inner.imports and not inner.nested:
            return  # bytes that merely start like a pickle (tensor data, ...)
        self.result.nested.append(NestedPickle(value.start, via, inner))

    def _nested_bytes(self, value: bytes, via: str, forced: bool, offset: int) -> None:
        if len(value) < 2 or not (forced or (value[0] == 0x80 and value[1] <= 5)):
            return
        if self.depth + 1 > self.limits.max_nested_depth:
            self.result.incomplete.append(
                f"pickle nested deeper than {self.limits.max_nested_depth} levels at byte "
                f"{offset}; not scanned"
            )
            return
        if value in self.seen_nested:
            return
        self.seen_nested.add(value)
        inner_member = f"{self.member or ''}[pickle passed to {via} at byte {offset - self.start}]"
        inner = _Machine(value, 0, len(value), inner_member, self.limits, self.depth + 1).run()
        if not forced and not inner.imports and not inner.nested:
            return
        self.result.nested.append(NestedPickle(offset - self.start, via, inner))

    # -- the machine -------------------------------------------------------------------------
    def run(self) -> PickleScan:
        res = self.result
        pos = self.start
        try:
            while pos < self.end and res.pickles < self.limits.max_pickles:
                first = res.pickles == 0
                before = len(self.records)
                try:
                    pos = self._stream(pos)
                except PickleError as err:
                    if not first and len(self.records) == before:
                        # bytes after the last pickle that are not a pickle
                        res.trailing = self.end - res.end_offset
                        break
                    res.incomplete.append(f"{err.reason} at byte {err.offset - self.start}")
                    res.end_offset = err.offset
                    break
                res.pickles += 1
                res.end_offset = pos
                if (
                    self.legacy_aware
                    and res.pickles == 5
                    and res.results[0] == LEGACY_TORCH_MAGIC
                    and type(res.results[0]) is int
                ):
                    break  # legacy PyTorch: raw storages follow the five pickles
            else:
                if pos < self.end:
                    res.incomplete.append(
                        f"more than {self.limits.max_pickles} pickles in one stream; "
                        f"the rest was not scanned"
                    )
            if res.pickles == 0 and not res.incomplete and self.end <= self.start:
                res.incomplete.append("empty pickle stream")
            if self.frame_trouble is not None or (self.saw_frame and res.incomplete):
                # (a stream that failed inside a frame may have failed on a straddling read)
                self._read_as_file()
        finally:
            res.imports = [
                PickleImport(
                    module=r[0],
                    name=r[1],
                    member=self.member,
                    opcode=r[2],
                    offset=r[3] - self.start,
                    called=r[4],
                    call_args=tuple(r[5] or ()),
                    invoked=r[6],
                    result_called=r[7],
                )
                for r in self.records
            ]
        return res

    def run_single(self) -> PickleScan:
        """Only the first stream (containers that know data follows)."""
        limits = self.limits
        self.limits = Limits(
            limits.max_opcodes,
            limits.max_stack,
            limits.max_memo,
            1,
            limits.max_nested_depth,
            limits.max_nested_bytes,
            limits.max_string,
        )
        try:
            return self.run()
        finally:
            self.limits = limits

    def _stream(self, pos: int) -> int:
        data = self.data
        end = self.end
        res = self.result
        limits = self.limits
        max_ops = limits.max_opcodes
        max_stack = limits.max_stack
        max_memo = limits.max_memo
        stack: list[Any] = []
        marks: list[int] = []
        memo: dict[int, Any] = {}
        proto = 0
        ops = res.opcodes
        push = stack.append
        pop = stack.pop
        start_pos = pos
        frame_end = -1  # end of the last FRAME (the C unpickler's buffer)
        last_at = pos

        def pop_mark(at: int) -> list[Any]:
            if not marks:
                raise PickleError("MARK expected but the mark stack is empty", at)
            m = marks.pop()
            items = stack[m:]
            del stack[m:]
            return items

        def need_stack(n: int, at: int) -> None:
            base = marks[-1] if marks else 0
            if len(stack) - base < n:
                raise PickleError("stack underflow", at)

        while True:
            if last_at < frame_end < pos and self.frame_trouble is None:
                self.frame_trouble = last_at  # the last opcode ran past the frame's end
            if pos >= end:
                res.opcodes = ops
                if pos == start_pos:
                    raise PickleError("empty stream", pos)
                raise PickleError("truncated: stream ended before STOP", pos)
            op = data[pos]
            at = pos
            last_at = at
            pos += 1
            ops += 1
            if ops > max_ops:
                res.opcodes = ops
                raise PickleError(f"opcode limit ({max_ops}) reached", at)
            if not ops & 0x3F and len(stack) > max_stack:  # checked every 64 opcodes
                raise PickleError(f"stack depth limit ({max_stack}) reached", at)

            # most frequent opcodes first (torch, sklearn and joblib pickles)
            if op == 0x71:  # BINPUT
                if pos + 1 > end:
                    self._need(pos, 1)
                if not stack or (marks and marks[-1] == len(stack)):
                    raise PickleError("PUT on an empty stack", at)
                memo[data[pos]] = stack[-1]
                pos += 1
                if len(memo) > max_memo:
                    raise PickleError(f"memo size limit ({max_memo}) reached", at)
            elif op == 0x4B:  # BININT1
                if pos + 1 > end:
                    self._need(pos, 1)
                push(data[pos])
                pos += 1
            elif op == 0x28:  # MARK
                marks.append(len(stack))
            elif op == 0x8C:  # SHORT_BINUNICODE
                if pos + 1 > end:
                    self._need(pos, 1)
                n = data[pos]
                pos += 1
                if pos + n > end:
                    self._need(pos, n)
                push(self._text(pos, n, "utf-8"))
                pos += n
            elif op == 0x68:  # BINGET
                if pos + 1 > end:
                    self._need(pos, 1)
                key = data[pos]
                pos += 1
                if key not in memo:
                    raise PickleError(f"memo key {key} not found", at)
                push(memo[key])
            elif op == 0x94:  # MEMOIZE
                if not stack or (marks and marks[-1] == len(stack)):
                    raise PickleError("MEMOIZE on an empty stack", at)
                memo[len(memo)] = stack[-1]
                if len(memo) > max_memo:
                    raise PickleError(f"memo size limit ({max_memo}) reached", at)
            elif op == 0x5D:  # EMPTY_LIST
                push(_LIST)
            elif op == 0x7D:  # EMPTY_DICT
                push(_DictV())
            elif op == 0x65 or op == 0x90:  # APPENDS, ADDITEMS
                if not marks:
                    raise PickleError("MARK expected but the mark stack is empty", at)
                del stack[marks.pop() :]
                if not stack:
                    raise PickleError("stack underflow", at)
            elif op == 0x75:  # SETITEMS
                items = pop_mark(at)
                if not stack:
                    raise PickleError("stack underflow", at)
                if len(items) % 2:
                    raise PickleError("odd number of items for SETITEMS", at)
                target = stack[-1]
                if isinstance(target, _DictV):
                    for i in range(0, min(len(items), 128), 2):
                        target.set(items[i], items[i + 1])
            elif op == 0x85:  # TUPLE1
                need_stack(1, at)
                stack[-1] = (stack[-1],)
            elif op == 0x86:  # TUPLE2
                need_stack(2, at)
                b = pop()
                stack[-1] = (stack[-1], b)
            elif op == 0x87:  # TUPLE3
                need_stack(3, at)
                c = pop()
                b = pop()
                stack[-1] = (stack[-1], b, c)
            elif op == 0x74:  # TUPLE
                push(tuple(pop_mark(at)))
            elif op == 0x52:  # REDUCE
                need_stack(2, at)
                args = pop()
                func = stack[-1]
                self._called(func, args, invoked=True)
                self._check_nested(func, args, at)
                self._note_extension(func, args)
                stack[-1] = _Call(func, args)
                if self._qualname(func) == "_codecs.encode":
                    encoded = _encoded(args, self.limits.max_nested_bytes)
                    if encoded is not None:
                        stack[-1] = encoded
                        self.saw_bytes = True
            elif op == 0x58:  # BINUNICODE
                if pos + 4 > end:
                    self._need(pos, 4)
                n = _U32(data, pos)[0]
                pos += 4
                if pos + n > end:
                    self._need(pos, n)
                push(self._text(pos, n, "utf-8"))
                pos += n
            elif op == 0x51:  # BINPERSID
                need_stack(1, at)
                stack[-1] = _PERSISTENT
                res.persistent_ids += 1
            elif op == 0x4A:  # BININT
                if pos + 4 > end:
                    self._need(pos, 4)
                push(_I32(data, pos)[0])
                pos += 4
            elif op == 0x4D:  # BININT2
                if pos + 2 > end:
                    self._need(pos, 2)
                push(_U16(data, pos)[0])
                pos += 2
            elif op == 0x29:  # EMPTY_TUPLE
                push(())
            elif op == 0x88:  # NEWTRUE
                push(True)
            elif op == 0x89:  # NEWFALSE
                push(False)
            elif op == 0x4E:  # NONE
                push(None)
            elif op == 0x62:  # BUILD
                need_stack(2, at)
                state = pop()
                inst = stack[-1]
                if isinstance(inst, _Global):
                    self._called(inst)
                    res.global_mutations.append((self._qualname(inst), at - self.start))
                elif isinstance(inst, _Call) and self._qualname(inst.func) in _ARRAY_WRAPPERS:
                    # joblib writes the array's bytes right after the wrapper's BUILD
                    pos = self._skip_joblib_array(state, pos, at)
                    stack[-1] = _Obj("ndarray")
            elif op == 0x81:  # NEWOBJ
                need_stack(2, at)
                args = pop()
                cls = stack[-1]
                self._called(cls, args)
                self._check_nested(cls, args, at)
                stack[-1] = _Call(cls, args)
            elif op == 0x63 or op == 0x69:  # GLOBAL, INST
                mline, pos = self._readline(pos)
                nline, pos = self._readline(pos)
                try:
                    module = mline.decode("utf-8")
                    name = nline.decode("utf-8")
                except UnicodeDecodeError:
                    raise PickleError("undecodable module or name", at) from None
                if proto < 3:
                    module, name = _fix_import(module, name)
                glob = self._import(module, name, _OPCODE_NAMES[op], at)
                if op == 0x63:
                    push(glob)
                else:
                    args = pop_mark(at)
                    self._called(glob, tuple(args), invoked=True)
                    self._check_nested(glob, tuple(args), at)
                    push(_Call(glob))
            elif op == 0x93:  # STACK_GLOBAL
                need_stack(2, at)
                name_v = pop()
                module_v = pop()
                if isinstance(module_v, str) and isinstance(name_v, str):
                    if proto < 3:
                        module_v, name_v = _fix_import(module_v, name_v)
                    push(self._import(module_v, name_v, "STACK_GLOBAL", at))
                elif _may_be_str(module_v) and _may_be_str(name_v):
                    desc = f"{_describe(module_v)}.{_describe(name_v)}"
                    push(self._import(UNRESOLVED, desc, "STACK_GLOBAL", at))
                else:
                    raise PickleError("STACK_GLOBAL operands are not strings", at)
            elif op == 0x72:  # LONG_BINPUT
                if pos + 4 > end:
                    self._need(pos, 4)
                if not stack or (marks and marks[-1] == len(stack)):
                    raise PickleError("PUT on an empty stack", at)
                memo[_U32(data, pos)[0]] = stack[-1]
                pos += 4
                if len(memo) > max_memo:
                    raise PickleError(f"memo size limit ({max_memo}) reached", at)
            elif op == 0x6A:  # LONG_BINGET
                if pos + 4 > end:
                    self._need(pos, 4)
                key = _U32(data, pos)[0]
                pos += 4
                if key not in memo:
                    raise PickleError(f"memo key {key} not found", at)
                push(memo[key])
            elif op == 0x47:  # BINFLOAT
                if pos + 8 > end:
                    self._need(pos, 8)
                pos += 8
                push(_FLOAT)
            elif op == 0x8A:  # LONG1
                if pos + 1 > end:
                    self._need(pos, 1)
                n = data[pos]
                pos += 1
                if pos + n > end:
                    self._need(pos, n)
                push(int.from_bytes(bytes(data[pos : pos + n]), "little", signed=True))
                pos += n
            elif op == 0x2E:  # STOP
                if not stack or (marks and marks[-1] == len(stack)):
                    raise PickleError("STOP on an empty stack", at)
                if pos < frame_end and pos < end and self.frame_trouble is None:
                    self.frame_trouble = at  # a file reader drops the frame's rest
                value = stack[-1]
                res.results.append(value if isinstance(value, (int, str)) else None)
                res.opcodes = ops
                return pos
            elif op == 0x80:  # PROTO
                if pos + 1 > end:
                    self._need(pos, 1)
                proto = data[pos]
                pos += 1
                if proto > 5:
                    raise PickleError(f"unsupported pickle protocol {proto}", at)
                res.protocol = max(res.protocol, proto)
            elif op == 0x95:  # FRAME: the C unpickler reads the whole frame first
                if pos + 8 > end:
                    self._need(pos, 8)
                n = _U64(data, pos)[0]
                pos += 8
                self.saw_frame = True
                if n > end - pos:
                    raise PickleError(f"truncated: FRAME of {n} bytes, {end - pos} left", at)
                crossing = at < frame_end < pos or pos < frame_end < pos + n
                if crossing and self.frame_trouble is None:
                    self.frame_trouble = at
                if pos >= frame_end:
                    frame_end = pos + n
            elif op == 0x43:  # SHORT_BINBYTES
                if pos + 1 > end:
                    self._need(pos, 1)
                n = data[pos]
                pos += 1
                if pos + n > end:
                    self._need(pos, n)
                push(_Bytes(pos, pos + n))
                self.saw_bytes = True
                pos += n
            elif op == 0x42:  # BINBYTES
                if pos + 4 > end:
                    self._need(pos, 4)
                n = _U32(data, pos)[0]
                pos += 4
                if pos + n > end:
                    self._need(pos, n)
                push(_Bytes(pos, pos + n))
                self.saw_bytes = True
                pos += n
            elif op == 0x8D:  # BINUNICODE8
                if pos + 8 > end:
                    self._need(pos, 8)
                n = _U64(data, pos)[0]
                pos += 8
                if pos + n > end:
                    self._need(pos, n)
                push(self._text(pos, n, "utf-8"))
                pos += n
            elif op == 0x55:  # SHORT_BINSTRING
                if pos + 1 > end:
                    self._need(pos, 1)
                n = data[pos]
                pos += 1
                if pos + n > end:
                    self._need(pos, n)
                push(self._text(pos, n, "latin-1"))
                pos += n
            elif op == 0x54:  # BINSTRING
                if pos + 4 > end:
                    self._need(pos, 4)
                n = _I32(data, pos)[0]
                pos += 4
                if n < 0:
                    raise PickleError("BINSTRING with a negative length", at)
                if pos + n > end:
                    self._need(pos, n)
                push(self._text(pos, n, "latin-1"))
                pos += n
            elif op == 0x53:  # STRING
                line, pos = self._readline(pos)
                push(_string_literal(line, at))
            elif op == 0x56:  # UNICODE
                line, pos = self._readline(pos)
                try:
                    push(line.decode("raw-unicode-escape"))
                except UnicodeDecodeError:
                    raise PickleError("undecodable UNICODE string", at) from None
            elif op == 0x8E or op == 0x96:  # BINBYTES8, BYTEARRAY8
                if pos + 8 > end:
                    self._need(pos, 8)
                n = _U64(data, pos)[0]
                pos += 8
                if pos + n > end:
                    self._need(pos, n)
                push(_Bytes(pos, pos + n))
                self.saw_bytes = True
                pos += n
            elif op == 0x8B:  # LONG4
                if pos + 4 > end:
                    self._need(pos, 4)
                n = _I32(data, pos)[0]
                pos += 4
                if n < 0:
                    raise PickleError("LONG4 with a negative length", at)
                if pos + n > end:
                    self._need(pos, n)
                if n <= 64:
                    push(int.from_bytes(bytes(data[pos : pos + n]), "little", signed=True))
                else:
                    push(_BIGINT)
                pos += n
            elif op == 0x49:  # INT
                line, pos = self._readline(pos)
                push(_int_line(line, at, bool_ok=True))
            elif op == 0x4C:  # LONG
                line, pos = self._readline(pos)
                push(_int_line(line.rstrip(b"L"), at, bool_ok=False))
            elif op == 0x46:  # FLOAT
                line, pos = self._readline(pos)
                try:
                    float(line)
                except ValueError:
                    raise PickleError("malformed FLOAT", at) from None
                push(_FLOAT)
            elif op == 0x8F:  # EMPTY_SET
                push(_SET)
            elif op == 0x64:  # DICT
                items = pop_mark(at)
                if len(items) % 2:
                    raise PickleError("odd number of items for DICT", at)
                d = _DictV()
                for i in range(0, min(len(items), 128), 2):
                    d.set(items[i], items[i + 1])
                push(d)
            elif op == 0x6C:  # LIST
                pop_mark(at)
                push(_LIST)
            elif op == 0x91:  # FROZENSET
                pop_mark(at)
                push(_SET)
            elif op == 0x61:  # APPEND
                need_stack(2, at)
                pop()
            elif op == 0x73:  # SETITEM
                need_stack(3, at)
                value = pop()
                key = pop()
                target = stack[-1]
                if isinstance(target, _DictV):
                    target.set(key, value)
            elif op == 0x82 or op == 0x83 or op == 0x84:  # EXT1, EXT2, EXT4
                width = 1 if op == 0x82 else 2 if op == 0x83 else 4
                if pos + width > end:
                    self._need(pos, width)
                code = (
                    data[pos]
                    if width == 1
                    else _U16(data, pos)[0]
                    if width == 2
                    else _I32(data, pos)[0]
                )
                pos += width
                if code <= 0:
                    raise PickleError("EXT with a non-positive code", at)
                target = self.ext.get(code)
                if target is not None:
                    push(self._import(target[0], target[1], _OPCODE_NAMES[op], at))
                else:
                    desc = f"extension code {code}"
                    push(self._import(UNRESOLVED, desc, _OPCODE_NAMES[op], at))
            elif op == 0x6F:  # OBJ
                items = pop_mark(at)
                if not items:
                    raise PickleError("OBJ without a class", at)
                self._called(items[0], tuple(items[1:]), invoked=True)
                self._check_nested(items[0], tuple(items[1:]), at)
                push(_Call(items[0]))
            elif op == 0x92:  # NEWOBJ_EX
                need_stack(3, at)
                kwargs = pop()
                args = pop()
                cls = stack[-1]
                self._called(cls, (args, kwargs))
                self._check_nested(cls, (args, kwargs), at)
                stack[-1] = _Call(cls)
            elif op == 0x30:  # POP
                if marks and marks[-1] == len(stack):
                    marks.pop()
                elif stack:
                    pop()
                else:
                    raise PickleError("stack underflow", at)
            elif op == 0x31:  # POP_MARK
                pop_mark(at)
            elif op == 0x32:  # DUP
                need_stack(1, at)
                push(stack[-1])
            elif op == 0x70:  # PUT
                line, pos = self._readline(pos)
                if not stack or (marks and marks[-1] == len(stack)):
                    raise PickleError("PUT on an empty stack", at)
                key = _int_line(line, at, bool_ok=False)
                if not isinstance(key, int) or key < 0:
                    raise PickleError("negative PUT argument", at)
                memo[key] = stack[-1]
                if len(memo) > max_memo:
                    raise PickleError(f"memo size limit ({max_memo}) reached", at)
            elif op == 0x67:  # GET
                line, pos = self._readline(pos)
                key = _int_line(line, at, bool_ok=False)
                if key not in memo:
                    raise PickleError(f"memo key {key} not found", at)
                push(memo[key])
            elif op == 0x50:  # PERSID
                _, pos = self._readline(pos)
                res.persistent_ids += 1
                push(_PERSISTENT)
            elif op == 0x97:  # NEXT_BUFFER (out-of-band data supplied by the caller)
                push(_BUFFER)
            elif op == 0x98:  # READONLY_BUFFER
                need_stack(1, at)
            else:
                raise PickleError(f"invalid opcode 0x{op:02x}", at)

    def _skip_joblib_array(self, state: Any, pos: int, at: int) -> int:
        """Past the array data joblib's NumpyArrayWrapper writes after its BUILD."""
        if not isinstance(state, _DictV):
            raise PickleError("joblib array wrapper without a readable state", at)
        shape = state.items.get("shape")
        dtype = state.items.get("dtype")
        descr = None
        if isinstance(dtype, _Call) and isinstance(dtype.args, tuple) and dtype.args:
            descr = dtype.args[0]
        if descr == "O8" or descr == "O4" or descr == "O":
            # object arrays are a nested pickle stream, loaded with the same unpickler
            inner = _Machine(self.data, pos, self.end, self.member, self.limits, self.depth)
            before = len(inner.records)
            try:
                new_pos = inner._stream(pos)
            except PickleError as err:
                self.result.incomplete.append(
                    f"joblib object array: {err.reason} at byte {err.offset - self.start}"
                )
                new_pos = self.end
            inner.run_records_into(self, before)
            self.result.joblib_arrays += 1
            return new_pos
        count = 1
        if not isinstance(shape, tuple) or not all(isinstance(d, int) for d in shape):
            raise PickleError("joblib array wrapper with an unreadable shape", at)
        for dim in shape:
            count *= max(dim, 0)
        itemsize = _dtype_itemsize(descr)
        if itemsize is None:
            raise PickleError(f"joblib array of unknown dtype {descr!r}", at)
        if state.items.get("numpy_array_alignment_bytes") is not None:
            self._need(pos, 1)
            pos += 1 + self.data[pos]
        nbytes = count * itemsize
        self._need(pos, nbytes)
        self.result.joblib_arrays += 1
        return pos + nbytes

    def run_records_into(self, outer: _Machine, start: int) -> None:
        for rec in self.records[start:]:
            outer.records.append(rec)
        outer.result.nested.extend(self.result.nested)

    def _note_extension(self, func: Any, args: Any) -> None:
        """`copyreg.add_extension(module, name, code)` makes `EXT code` import module.name."""
        if self._qualname(func) != "copyreg.add_extension" or not isinstance(args, tuple):
            return
        if (
            len(args) == 3
            and isinstance(args[0], str)
            and isinstance(args[1], str)
            and isinstance(args[2], int)
            and not isinstance(args[2], bool)
        ):
            self.ext[args[2]] = (args[0], args[1])
            self.result.extensions.append((args[2], f"{args[0]}.{args[1]}"))


_ARRAY_WRAPPERS = frozenset(
    {
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
    }
)

_DTYPE_SIZES = {
    "b": 1,
    "i": 1,
    "u": 1,
    "f": 1,
    "c": 1,
    "S": 1,
    "a": 1,
    "V": 1,
    "U": 4,
    "m": 1,
    "M": 1,
}


def _dtype_itemsize(descr: Any) -> int | None:
    """Bytes per item of a numpy dtype string as `numpy.dtype` pickles it ('f8', 'U5', 'b1')."""
    if not isinstance(descr, str) or len(descr) < 2 or len(descr) > 16:
        return None
    kind, digits = descr[0], descr[1:]
    if kind not in _DTYPE_SIZES or not digits.isdigit():
        return None
    return _DTYPE_SIZES[kind] * int(digits)


def _encoded(args: Any, limit: int) -> bytes | None:
    """`_codecs.encode(text, 'latin1')` is how protocols 0-2 write bytes: keep them."""
    if (
        isinstance(args, tuple)
        and len(args) == 2
        and isinstance(args[0], str)
        and args[1] in ("latin1", "latin-1")
        and len(args[0]) <= limit
    ):
        try:
            return args[0].encode("latin-1")
        except UnicodeEncodeError:
            return None
    return None


def _base64_pickle(text: str, limit: int) -> bytes | None:
    """A base64 string that decodes to something starting with PROTO (`gASV...`)."""
    if len(text) > limit * 4 // 3 + 4:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) >= 2 and raw[0] == 0x80 and raw[1] <= 5 else None


def _arg_descriptions(args: Any) -> list[str]:
    """A call's top-level arguments as PickleImport.call_args describes them."""
    if not isinstance(args, tuple):
        return [VALUE_ARG]
    return [_describe_arg(a, 0) for a in args[:MAX_CALL_ARGS]]


def _describe_arg(value: Any, depth: int) -> str:
    if isinstance(value, _Global):
        return value.qual
    if isinstance(value, str) and len(value) <= 64 and value.isidentifier():
        return f"<str:{value}>"
    if value is None or isinstance(value, (str, int, float, _Bytes, bytes)):
        return CONSTANT_ARG
    if value is _BIGINT or value is _BIGSTR:
        return CONSTANT_ARG
    if isinstance(value, tuple) and depth < 4 and len(value) <= 64:
        inner = {_describe_arg(v, depth + 1) for v in value}
        return CONSTANT_ARG if inner <= {CONSTANT_ARG} else VALUE_ARG
    return VALUE_ARG


def _flatten(value: Any, depth: int = 0) -> list[Any]:
    if isinstance(value, tuple) and depth < 4:
        out: list[Any] = []
        for item in value:
            out.extend(_flatten(item, depth + 1))
        return out
    return [value]


def _may_be_str(value: Any) -> bool:
    """A call result or an imported attribute may be a str at load time."""
    return isinstance(value, (str, _Call, _Global, _Obj)) and value is not _BIGINT


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, _Call):
        return "<call result>"
    if isinstance(value, _Global):
        return "<imported value>"
    return "<object>"


def _int_line(line: bytes, at: int, *, bool_ok: bool) -> int:
    text = line.strip()
    if bool_ok and text == b"01":
        return True
    if bool_ok and text == b"00":
        return False
    if len(text) > 4000:
        raise PickleError("integer literal too long", at)
    try:
        return int(text)
    except ValueError:
        raise PickleError("malformed integer", at) from None


def _string_literal(line: bytes, at: int) -> str:
    """STRING's argument: a quoted Python 2 string literal, escapes decoded."""
    text = line.rstrip(b"\r")
    if len(text) >= 2 and text[0] == text[-1] and text[:1] in (b"'", b'"'):
        text = text[1:-1]
    else:
        raise PickleError("the STRING opcode argument must be quoted", at)
    try:
        raw = codecs.escape_decode(text)[0]
    except ValueError:
        raise PickleError("malformed STRING escape", at) from None
    return bytes(raw).decode("latin-1")


def scan_pickle(
    data: Buffer,
    *,
    member: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    start: int = 0,
    end: int | None = None,
    single: bool = False,
    max_streams: int | None = None,
    legacy_aware: bool = False,
) -> PickleScan:
    """Scan `data[start:end]` (bytes, bytearray or mmap) as a stream of pickles.

    `single` stops after the first pickle; `max_streams` after that many (legacy PyTorch
    files hold five pickles, then raw storage bytes).
    """
    stop = len(data) if end is None else min(end, len(data))
    if max_streams is not None:
        limits = Limits(
            limits.max_opcodes,
            limits.max_stack,
            limits.max_memo,
            max_streams,
            limits.max_nested_depth,
            limits.max_nested_bytes,
            limits.max_string,
        )
    machine = _Machine(data, start, stop, member, limits, 0)
    machine.legacy_aware = legacy_aware
    result = machine.run_single() if single else machine.run()
    # with a stream limit, the container decides what the bytes after the last pickle are
    limited = max_streams is not None or single
    if limited and result.incomplete and result.incomplete[-1].startswith("more than"):
        result.incomplete.pop()
    return result
