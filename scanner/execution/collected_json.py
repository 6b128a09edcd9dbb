"""`Collected` <-> JSON: how one file's analysis facts travel between processes and machines
and how they are kept in the digest cache. Plain JSON, never pickle: a cache entry or a
worker's answer can at worst be wrong data, never code.

The encoding follows the dataclass field types of `aibom.model`, so the decoded value is equal
(`==`) to the encoded one, tuples stay tuples and enums stay enums (a `StrEnum` where a `str`
is declared becomes the equal plain string, which every output writes the same way). Free-form values (`Any`:
artifact facts, model cards) are tagged where JSON would lose a distinction: a tuple becomes
`{"t": [...]}`, a dict `{"d": [[key, value], ...]}` (keys of any type, order kept), a list stays
a list. Declared `bytes` (a signature bundle's certificates and payload) are base64 text. Anything else (bytes, sets, objects) raises `UnsupportedValue`: such a result is simply
not cached. `VERSION` changes whenever the encoding does; it is part of the cache namespace.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import json
import math
import types
import typing
from collections.abc import Callable
from typing import Any, Union

from .. import model
from ..model import Collected

VERSION = 1


class UnsupportedValue(TypeError):
    """A value the encoding cannot carry without losing what it is."""


def dumps(collected: Collected) -> str:
    """The JSON text of one file's `Collected` (compact, keys in field order)."""
    return json.dumps(_encoder(Collected)(collected), separators=(",", ":"), allow_nan=True)


def loads(text: str | bytes) -> Collected:
    """The `Collected` a `dumps` text holds; `ValueError` when the text does not hold one."""
    if text == _EMPTY:
        return Collected()  # most files of a large tree hold nothing
    try:
        value = _decoder(Collected)(json.loads(text))
    except (KeyError, TypeError, IndexError, AttributeError, binascii.Error) as exc:
        raise ValueError(f"not an encoded Collected: {type(exc).__name__}: {exc}") from None
    if not isinstance(value, Collected):
        raise ValueError("not an encoded Collected")
    return value


_EMPTY = "[[],[],[],[],[],null,[],[],[],[],[]]"  # dumps(Collected()); checked by a test
_FIELDS: dict[Any, tuple[tuple[str, Any], ...]] = {}
Codec = Callable[[Any], Any]
_ENCODERS: dict[Any, Codec] = {}
_DECODERS: dict[Any, Codec] = {}


def _names() -> dict[str, Any]:
    """Names the model's annotations use that it imports only for type checking."""
    from ..signatures import bundle, folders

    return {**vars(bundle), **vars(folders), **vars(model)}


def _fields(cls: Any) -> tuple[tuple[str, Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls, localns=_names())
        found = _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
    return found


# The codec of each declared type is built once (a closure per type), so encoding and
# decoding do no type introspection per value.
def _encoder(hint: Any) -> Codec:
    found = _ENCODERS.get(hint)
    if found is None:
        _ENCODERS[hint] = lambda value: _ENCODERS[hint](value)  # recursive types
        found = _ENCODERS[hint] = _build_encoder(hint)
    return found


def _decoder(hint: Any) -> Codec:
    found = _DECODERS.get(hint)
    if found is None:
        _DECODERS[hint] = lambda data: _DECODERS[hint](data)
        found = _DECODERS[hint] = _build_decoder(hint)
    return found


def _optional(hint: Any) -> Any | None:
    """X for `X | None`, else None."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(inner) != 1:
            raise UnsupportedValue(f"no encoding for {hint!r}")
        return inner[0]
    return None


def _build_encoder(hint: Any) -> Codec:
    if hint is Any:
        return _encode_free
    inner = _optional(hint)
    if inner is not None:
        enc = _encoder(inner)
        return lambda v: None if v is None else enc(v)
    origin = typing.get_origin(hint)
    if origin in (list, tuple):
        args = typing.get_args(hint)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            encs = [_encoder(a) for a in args]
            return lambda v: [e(x) for e, x in zip(encs, v, strict=True)]
        item = _encoder(args[0])
        return lambda v: [item(x) for x in v]
    if origin is dict:
        key_hint, value_hint = typing.get_args(hint)
        if key_hint is not str:
            raise UnsupportedValue(f"dict keys of type {key_hint}")
        val = _encoder(value_hint)
        return lambda v: {str(k): val(x) for k, x in v.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        cls = hint
        parts = [(name, _encoder(h)) for name, h in _fields(hint)]

        def encode_dataclass(value: Any) -> Any:
            if type(value) is not cls:
                raise UnsupportedValue(f"expected {cls.__name__}, got {type(value).__name__}")
            return [enc(getattr(value, name)) for name, enc in parts]

        return encode_dataclass
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return lambda v: v.value
    if hint is bytes:
        return _encode_bytes
    if hint is str:
        return _encode_str
    if hint in (int, bool, float):
        kind = hint

        def encode_scalar(value: Any) -> Any:
            if type(value) is not kind and not (kind is float and type(value) is int):
                raise UnsupportedValue(f"expected {kind.__name__}, got {type(value).__name__}")
            return value

        return encode_scalar
    raise UnsupportedValue(f"no encoding for {hint!r}")


def _encode_str(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str(value)  # a StrEnum (ArtifactFormat) is written as its value
    raise UnsupportedValue(f"expected str, got {type(value).__name__}")


def _encode_bytes(value: Any) -> str:
    if type(value) is not bytes:
        raise UnsupportedValue(f"expected bytes, got {type(value).__name__}")
    return base64.b64encode(value).decode("ascii")


def _encode_free(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, str):
        return str(value)  # a StrEnum (ArtifactFormat) is written as its value
    if type(value) is float:
        return value if math.isfinite(value) else {"f": repr(value)}
    if type(value) is list:
        return [_encode_free(v) for v in value]
    if type(value) is tuple:
        return {"t": [_encode_free(v) for v in value]}
    if type(value) is dict:
        return {"d": [[_encode_free(k), _encode_free(v)] for k, v in value.items()]}
    raise UnsupportedValue(f"free-form value of type {type(value).__name__}")


def _build_decoder(hint: Any) -> Codec:
    if hint is Any:
        return _decode_free
    inner = _optional(hint)
    if inner is not None:
        dec = _decoder(inner)
        return lambda d: None if d is None else dec(d)
    origin = typing.get_origin(hint)
    if origin is list:
        item = _decoder(typing.get_args(hint)[0])
        return lambda d: [item(x) for x in _list(d)]
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            each = _decoder(args[0])
            return lambda d: tuple(each(x) for x in _list(d))
        decs = [_decoder(a) for a in args]
        return lambda d: tuple(f(x) for f, x in zip(decs, _list(d), strict=True))
    if origin is dict:
        val = _decoder(typing.get_args(hint)[1])
        return lambda d: {k: val(x) for k, x in _dict(d).items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        cls = hint
        fields = _fields(hint)
        names = [name for name, _ in fields]
        decs = [_decoder(h) for _, h in fields]

        def decode_dataclass(data: Any) -> Any:
            items = _list(data)
            if len(items) != len(decs):
                raise TypeError(f"{cls.__name__}: {len(items)} values for {len(decs)} fields")
            return cls(**{n: f(x) for n, f, x in zip(names, decs, items, strict=True)})

        return decode_dataclass
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if hint is bytes:
        return _decode_bytes
    if hint in (str, int, bool, float):
        kind = hint

        def decode_scalar(data: Any) -> Any:
            if kind is float and type(data) is int:
                return float(data)
            if type(data) is not kind:
                raise TypeError(f"expected {kind.__name__}")
            return data

        return decode_scalar
    raise TypeError(f"no decoding for {hint!r}")


def _decode_bytes(data: Any) -> bytes:
    if type(data) is not str:
        raise TypeError("expected base64 text")
    return base64.b64decode(data, validate=True)


def _dict(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TypeError("expected an object")
    return data


def _decode_free(data: Any) -> Any:
    if isinstance(data, list):
        return [_decode_free(v) for v in data]
    if isinstance(data, dict):
        if set(data) == {"t"}:
            return tuple(_decode_free(v) for v in _list(data["t"]))
        if set(data) == {"d"}:
            return {_decode_free(k): _decode_free(v) for k, v in _list(data["d"])}
        if set(data) == {"f"}:
            return float(data["f"])
        raise TypeError("untagged object in a free-form value")
    return data


def _list(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise TypeError("expected an array")
    return data
