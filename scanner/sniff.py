"""Decide a file's artifact format from its first bytes first and its name second.

One function (`sniff`), one table of signatures (`SIGNATURES`). A pickle named `.txt` or
`.safetensors` is still a pickle; a zip is opened by its analyzer to tell PyTorch, Keras,
NumPy and plain archives apart.
"""

from __future__ import annotations

import io
import pickletools
import re
import struct
from pathlib import Path, PurePosixPath

from .analyzers.data_formats import sniff_data
from .model import ArtifactFormat

F = ArtifactFormat

HEAD_SIZE = 512

# (format, offset, magic) checked in order; the first match wins.
SIGNATURES: tuple[tuple[ArtifactFormat, int, bytes], ...] = (
    (F.ZIP, 0, b"PK\x03\x04"),
    (F.ZIP, 0, b"PK\x05\x06"),  # empty zip / central directory only
    (F.ZIP, 0, b"PK\x07\x08"),  # spanned marker
    (F.GZIP, 0, b"\x1f\x8b"),
    (F.BZIP2, 0, b"BZh"),
    (F.XZ, 0, b"\xfd7zXZ\x00"),
    (F.LZMA, 0, b"\x5d\x00\x00"),
    (F.ZSTD, 0, b"\x28\xb5\x2f\xfd"),
    (F.LZ4, 0, b"\x04\x22\x4d\x18"),
    (F.SEVEN_ZIP, 0, b"7z\xbc\xaf\x27\x1c"),
    (F.GGUF, 0, b"GGUF"),
    (F.HDF5, 0, b"\x89HDF\r\n\x1a\n"),
    (F.NUMPY, 0, b"\x93NUMPY"),
    (F.TAR, 257, b"ustar"),
    # a Git LFS pointer checked out instead of its content (any name: the identity it names
    # goes into the AIBOM; AIB903 reports it where a model should be)
    (F.LFS_POINTER, 0, b"version https://git-lfs.github.com/spec/v1\n"),
    # zlib (joblib's "zlib" compressor): CMF 0x78 with each FLG a valid check value
    (F.ZLIB, 0, b"\x78\x01"),
    (F.ZLIB, 0, b"\x78\x5e"),
    (F.ZLIB, 0, b"\x78\x9c"),
    (F.ZLIB, 0, b"\x78\xda"),
)

# Names that identify formats with no reliable magic (protobuf, JSON headers).
NAME_FORMATS: dict[str, ArtifactFormat] = {
    ".onnx": F.ONNX,
    ".safetensors": F.SAFETENSORS,
    ".gguf": F.GGUF,
    ".h5": F.HDF5,
    ".hdf5": F.HDF5,
    ".keras": F.ZIP,
    ".npy": F.NUMPY,
    ".npz": F.ZIP,
    ".pt": F.PICKLE,
    ".pth": F.PICKLE,
    ".bin": F.PICKLE,
    ".ckpt": F.PICKLE,
    ".pkl": F.PICKLE,
    ".pickle": F.PICKLE,
    ".joblib": F.PICKLE,
    ".dill": F.PICKLE,
    ".sav": F.PICKLE,
    ".model": F.PICKLE,
    ".mar": F.ZIP,
}

# Extensions that claim to be model weights: a file with one of them that matches no
# signature is still reported (as an unrecognised artifact), never silently ignored.
MODEL_EXTENSIONS = frozenset(NAME_FORMATS)

_PICKLE_PROTO = frozenset(range(2, 6))
# Opcodes a protocol 0/1 pickle commonly starts with: MARK, GLOBAL, EMPTY_DICT/LIST,
# INST, LIST, DICT, TUPLE, PERSID ... Used only with a model-like name or other evidence.
_PROTO0_START = frozenset(b"(c}]ild)tIPFLSVN")


def looks_like_safetensors(head: bytes, size: int) -> bool:
    """8-byte little-endian header length, then a JSON object."""
    if len(head) < 10 or size < 10:
        return False
    (length,) = struct.unpack_from("<Q", head)
    if length < 2 or length > size - 8:
        return False
    return head[8:9] == b"{"


SIGSTORE_BUNDLE = b"application/vnd.dev.sigstore.bundle"
BUNDLE_NAMES = (".sig", ".sigstore", ".sigstore.json")


def looks_like_model_signature(head: bytes, name: str) -> bool:
    """A Sigstore bundle (JSON naming the bundle media type), or a JSON object under a
    signature name (`model.sig`; a key-sorted bundle names its media type late). The
    analyzer decides whether it is a model-signing bundle."""
    text = head.lstrip()
    if not text.startswith(b"{"):
        return False
    return SIGSTORE_BUNDLE in head or name.lower().endswith(BUNDLE_NAMES)


def looks_like_pickle(head: bytes) -> bool:
    """PROTO opcode with a valid protocol, or a protocol 0/1 stream start."""
    if len(head) >= 2 and head[0] == 0x80 and head[1] in _PICKLE_PROTO:
        return True
    # PROTO 0/1 is legal (CPython never writes it): require a pickle-like opcode after it
    return len(head) >= 3 and head[0] == 0x80 and head[1] in (0, 1) and head[2] in _PROTO0_START


# Every opcode byte the unpickler accepts (protocols 0-5), for streams without PROTO.
PICKLE_OPCODES = frozenset(ord(op.code) for op in pickletools.opcodes)


def looks_like_unframed_pickle(head: bytes, size: int) -> bool:
    """A pickle without a leading PROTO (any protocol's opcodes may come first): the head
    parses as a pickle that imports something, to its STOP, or to the end of the head when
    the file is longer. Text files almost never survive this (a stray `c` or `(` fails within
    a few opcodes); the pickle analyzer then parses the whole file and keeps it only when a
    stream finishes or an import is called."""
    if not head or head[0] not in PICKLE_OPCODES:
        return False
    if not _NON_ASCII_TEXT.search(head) and not _TEXT_IMPORT.search(head):
        return False  # plain ASCII text (a protocol 0 pickle) that has no GLOBAL/INST line
    from .analyzers.pickle_vm import scan_pickle

    scan = scan_pickle(head, single=True)
    if not scan.imports:
        return False
    if not all(_IDENT.match(i.module) and _IDENT.match(i.name) for i in scan.imports):
        return False
    if scan.pickles:
        return True
    truncated = bool(scan.incomplete) and scan.incomplete[0].startswith("truncated")
    return truncated and size > len(head)


_IDENT = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_<>][\w<>]*)*$|^<unresolved>$")
_NON_ASCII_TEXT = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f-\xff]")
# a GLOBAL or INST opcode with its two lines, at an opcode boundary of a text pickle
_TEXT_IMPORT = re.compile(rb"(?:^|[\n(}\]).0-9tlsdeaubRo])[ci][A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n")


def looks_like_legacy_pickle(head: bytes) -> bool:
    """A protocol 0/1 pickle: weaker evidence, used only for model-like names."""
    return bool(head) and head[0] in _PROTO0_START


# A protocol 0/1 pickle that starts by importing something: `cmodule\nname\n`, `(imodule\n..`
PROTO0_IMPORT = re.compile(
    rb"^\(?[ci][A-Za-z_][\w.]{0,200}\n[A-Za-z_][\w.]{0,200}\n[()}\]pqSVUXNR.\x85\x94cKJIgh]"
)


def sniff(path: Path, head: bytes | None = None, size: int | None = None) -> ArtifactFormat | None:
    """The artifact format of `path`, or None when it is not a model or data artifact.

    Formats: pickle, zip, tar, gzip, bzip2, xz, lzma, zstd, lz4, safetensors, gguf, hdf5,
    numpy, onnx, and "unknown-model" for a weight-like name whose content matches nothing;
    data files: parquet, arrow, arrow-stream, feather-v1, tfrecord (by content), csv, tsv,
    jsonl (by name, text content). Archive members are sniffed for models only.
    """
    if head is None:
        with path.open("rb") as fh:
            head = fh.read(HEAD_SIZE)
    if size is None:
        size = path.stat().st_size
    fmt = sniff_bytes(head, path.name, size)
    if fmt is None:
        data = sniff_data(head, path.name, size)
        if data is not None:
            return ArtifactFormat(data)
    return fmt


def sniff_bytes(head: bytes, name: str, size: int) -> ArtifactFormat | None:
    """`sniff` for bytes already read (archive members): `name` only breaks ties."""
    path = PurePosixPath(name or "unnamed")
    for fmt, offset, magic in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if fmt is F.LZMA and not _plausible_lzma(head, path):
                continue
            return fmt
    if looks_like_model_signature(head, path.name):
        return F.MODEL_SIGNATURE
    if looks_like_pickle(head) or PROTO0_IMPORT.match(head):
        return F.PICKLE
    if looks_like_unframed_pickle(head, size):
        return F.PICKLE
    if looks_like_safetensors(head, size):
        return F.SAFETENSORS
    suffix = path.suffix.lower()
    by_name = NAME_FORMATS.get(suffix)
    if by_name in (F.ONNX, F.SAFETENSORS) and size > 0:
        # no magic: the analyzer names what is wrong (e.g. a header length past the end)
        return by_name
    whole = size <= len(head)
    if by_name is not None and looks_like_text(head) and not looks_like_text_pickle(head, whole):
        return None  # text under a weight-like name (a recorded HTTP reply named .bin)
    if by_name is F.PICKLE and looks_like_legacy_pickle(head):
        return F.PICKLE
    if suffix == ".model" and _looks_like_sentencepiece(head):
        return None  # a SentencePiece tokenizer (protobuf), not weights
    if by_name is not None and looks_like_onnx(head):
        return F.ONNX  # an ONNX model under another weight-like name (model.bin)
    if by_name is not None and size > 0:
        return F.UNKNOWN_MODEL
    return None


_TEXT_CONTROL = frozenset(b"\t\n\r\f")


def looks_like_text(head: bytes) -> bool:
    """UTF-8 text with no control characters but tab and line breaks (the last character may
    be cut by the end of the head)."""
    if not head or any(b < 0x20 and b not in _TEXT_CONTROL for b in head) or b"\x7f" in head:
        return False
    for cut in range(4):  # a multi-byte character cut by the head's end
        try:
            head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


# Protocol 0 opcodes: every one is a printable character whose argument, if any, is text up
# to a newline; a text pickle uses nothing else.
_TEXT_OPCODES = frozenset("(.0 2FILNPRSVabcdegilopstu}])".replace(" ", ""))
_IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*")


def looks_like_text_pickle(head: bytes, whole: bool = False) -> bool:
    """A protocol 0 pickle (which is text): the head parses as protocol 0 opcodes, with
    dotted names where GLOBAL/INST need them, up to STOP, or up to the end of the head when
    the file goes on (`whole`: the head is the entire file, so it must reach STOP)."""
    import pickletools  # parses opcodes only; nothing is loaded

    count = 0
    stream = io.BytesIO(head)
    try:
        for opcode, arg, _pos in pickletools.genops(stream):
            if opcode.code not in _TEXT_OPCODES:
                return False
            if opcode.code in "ci":
                module, _, name = str(arg).partition(" ")
                if not (_IDENTIFIER.fullmatch(module) and _IDENTIFIER.fullmatch(name)):
                    return False
            count += 1
            if opcode.code == ".":
                return True
    except ValueError:
        # running out at the end of the head (an argument cut by it) is not evidence against
        return not whole and count >= 2 and stream.tell() >= len(head) - 1
    return False


# ModelProto starts with ir_version (field 1, varint 1..20), then producer_name (2),
# producer_version (3), domain (4), model_version (5), doc_string (6), graph (7) or
# opset_import (8): weak evidence, used only for weight-like names.
_ONNX_SECOND_TAGS = frozenset({0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42})


def looks_like_onnx(head: bytes) -> bool:
    return (
        len(head) >= 3 and head[0] == 0x08 and 1 <= head[1] <= 20 and head[2] in _ONNX_SECOND_TAGS
    )


def _looks_like_sentencepiece(head: bytes) -> bool:
    """SentencePiece ModelProto: field 1 (a piece), whose first field is the piece string."""
    return len(head) >= 4 and head[0] == 0x0A and head[1] < 0x80 and head[2] == 0x0A


def _plausible_lzma(head: bytes, path: PurePosixPath) -> bool:
    # The raw .lzma header is weak magic; require a compression-like name.
    if len(head) < 13:
        return False
    if path.suffix.lower() in {".lzma", ".joblib", ".pkl", ".z"}:
        return True
    # lzma-alone: properties 0x5d, a power-of-two dictionary, then a size or -1
    (dict_size,) = struct.unpack_from("<I", head, 1)
    return dict_size & (dict_size - 1) == 0 and head[5:13] == b"\xff" * 8
