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
from typing import Any, Union

from . import model
from .model import Collected

VERSION = 1


class UnsupportedValue(TypeError):
    """A value the encoding cannot carry without losing what it is."""


def dumps(collected: Collected) -> str:
    """The JSON text of one file's `Collected` (compact, keys in field order)."""
    return json.dumps(_encode(collected, Collected), separators=(",", ":"), allow_nan=True)


def loads(text: str | bytes) -> Collected:
    """The `Collected` a `dumps` text holds; `ValueError` when the text does not hold one."""
    try:
        value = _decode(json.loads(text), Collected)
    except (KeyError, TypeError, IndexError, AttributeError, binascii.Error) as exc:
        raise ValueError(f"not an encoded Collected: {type(exc).__name__}: {exc}") from None
    if not isinstance(value, Collected):
        raise ValueError("not an encoded Collected")
    return value


_FIELDS: dict[Any, tuple[tuple[str, Any], ...]] = {}


def _names() -> dict[str, Any]:
    """Names the model's annotations use that it imports only for type checking."""
    from .signatures import bundle, folders

    return {**vars(bundle), **vars(folders), **vars(model)}


def _fields(cls: Any) -> tuple[tuple[str, Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls, localns=_names())
        found = _FIELDS[cls] = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
    return found


def _encode(value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any:
        return _encode_free(value)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _encode(value, inner[0])
    if origin in (list, tuple):
        args = typing.get_args(hint)
        item = args[0]
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return [_encode(v, a) for v, a in zip(value, args, strict=True)]
        return [_encode(v, item) for v in value]
    if origin is dict:
        key_hint, value_hint = typing.get_args(hint)
        if key_hint is not str:
            raise UnsupportedValue(f"dict keys of type {key_hint}")
        return {str(k): _encode(v, value_hint) for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if type(value) is not hint:
            raise UnsupportedValue(f"expected {hint.__name__}, got {type(value).__name__}")
        return [_encode(getattr(value, name), h) for name, h in _fields(hint)]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return value.value
    if hint is str and isinstance(value, str):
        return str(value)  # a StrEnum (ArtifactFormat) is written as its value
    if hint is bytes:
        if type(value) is not bytes:
            raise UnsupportedValue(f"expected bytes, got {type(value).__name__}")
        return base64.b64encode(value).decode("ascii")
    if hint in (str, int, bool, float):
        if type(value) is not hint and not (hint is float and type(value) is int):
            raise UnsupportedValue(f"expected {hint.__name__}, got {type(value).__name__}")
        return value
    raise UnsupportedValue(f"no encoding for {hint!r}")


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


def _decode(data: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if hint is Any:
        return _decode_free(data)
    if origin in (Union, types.UnionType):
        if data is None:
            return None
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(data, inner[0])
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_decode(v, item) for v in _list(data)]
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(v, args[0]) for v in _list(data))
        return tuple(_decode(v, a) for v, a in zip(_list(data), args, strict=True))
    if origin is dict:
        _, value_hint = typing.get_args(hint)
        if not isinstance(data, dict):
            raise TypeError("expected an object")
        return {k: _decode(v, value_hint) for k, v in data.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        fields = _fields(hint)
        items = _list(data)
        if len(items) != len(fields):
            raise TypeError(f"{hint.__name__}: {len(items)} values for {len(fields)} fields")
        return hint(**{name: _decode(v, h) for (name, h), v in zip(fields, items, strict=True)})
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(data)
    if hint is bytes:
        if type(data) is not str:
            raise TypeError("expected base64 text")
        return base64.b64decode(data, validate=True)
    if hint in (str, int, bool, float):
        if hint is float and type(data) is int:
            return float(data)
        if type(data) is not hint:
            raise TypeError(f"expected {hint.__name__}")
        return data
    raise TypeError(f"no decoding for {hint!r}")


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
