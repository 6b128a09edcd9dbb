"""Containers: zip (PyTorch, TorchScript, NumPy .npz, Keras, plain), tar, and compressed
wrappers (gzip, bzip2, xz, lzma, zlib, zstd, lz4), nested to a bounded depth.

Every member is sniffed by content (not by name): pickles anywhere are scanned, archives
inside archives are opened, `.npy` members are read, compressed members are decompressed
within a byte budget. A zip bomb is reported, never expanded.
"""

from __future__ import annotations

import bz2
import lzma
import re
import tarfile
import zlib
from dataclasses import dataclass
from typing import IO, Any, cast

from ..config import Config
from ..model import Artifact, ArtifactIssue, Collected, ComponentKind, FileRef, Location
from ..sniff import PICKLE_OPCODES, PROTO0_IMPORT, looks_like_pickle, sniff_bytes
from . import python_dists, zipread
from .blobs import Blob, new_artifact, open_buffer
from .hashing import sha256_of
from .numpy_files import NpyError, analyze_npy_blob, record_npy
from .pickle_blobs import analyze_pickle_blob, finish_artifact, record_pickle
from .pickle_vm import Buffer, Limits
from .spill import Spill

# Largest prefix of an unrecognised member tried as a protocol 0/1 pickle.
SPECULATIVE_BYTES = 4 * 1024 * 1024
# Zips up to this size are also searched for local entries the central directory hides.
HIDDEN_SCAN_BYTES = 64 * 1024 * 1024
# Compression ratio beyond which a member is treated as a bomb (deflate peaks near 1032:1).
MAX_RATIO = 1100
_PROTO0 = PICKLE_OPCODES  # a pickle may start with any opcode (no PROTO)
_TORCH_DATA = re.compile(r"(^|/)data/\d+$")
_IDENT = re.compile(r"^[A-Za-z_][\w.]*$|^<unresolved>$")
_COMPRESSED = {"gzip", "bzip2", "xz", "lzma", "zlib", "zstd", "lz4"}


@dataclass
class Context:
    artifact: Artifact
    config: Config
    limits: Limits
    budget: int  # decompressed bytes left for the whole file
    members: int = 0


def _join(prefix: str | None, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _incomplete(ctx: Context, member: str | None, reason: str) -> None:
    ctx.artifact.incomplete.append(f"{member}: {reason}" if member else reason)


def _issue(ctx: Context, kind: str, member: str | None, detail: str, **args: str) -> None:
    ctx.artifact.issues.append(
        ArtifactIssue(
            kind, detail, Location(ctx.artifact.path, member=member), tuple(sorted(args.items()))
        )
    )


def analyze_blob(
    ctx: Context, blob: Blob, member: str | None, name: str, depth: int, torch_data: bool = False
) -> str | None:
    """Sniff a blob by content and analyse it; returns the format found (None: plain data)."""
    head = blob.head(512)
    if torch_data:
        # PyTorch reads data/N as raw storage bytes and never unpickles or opens it: only a
        # pickle plainly hidden there (PROTO or an import first) is worth reporting.
        if not (looks_like_pickle(head) or PROTO0_IMPORT.match(head)):
            return None
        fmt = None
    else:
        fmt = sniff_bytes(head, name, blob.size)
        if fmt == "pickle" and not looks_like_pickle(head):
            fmt = None  # protocol 0/1 without PROTO: judged by the speculative scan below
    if fmt == "7z":
        _incomplete(ctx, member, "7z archive: not opened (aibom has no 7z reader)")
        return fmt
    if fmt in ("zip", "tar") or fmt in _COMPRESSED:
        if depth >= ctx.config.max_archive_depth:
            _incomplete(
                ctx,
                member,
                f"{fmt} nested deeper than {ctx.config.max_archive_depth} levels; not opened",
            )
            return fmt
        if fmt == "zip":
            analyze_zip(ctx, blob, member, depth + 1)
        elif fmt == "tar":
            analyze_tar(ctx, blob, member, depth + 1)
        else:
            _decompress_and_analyze(ctx, blob, member, name, fmt, depth)
        return fmt
    if fmt == "numpy":
        try:
            record_npy(ctx.artifact, analyze_npy_blob(blob, member, ctx.limits), member)
        except NpyError as exc:
            _incomplete(ctx, member, str(exc))
        return fmt
    if fmt == "pickle":
        # data after the pickle is a finding for pickle files, not for archive members
        # (legacy torch tar members hold raw storages after their pickles)
        result = analyze_pickle_blob(blob, member, ctx.limits, raw_file=member is None)
        record_pickle(ctx.artifact, result, member)
        return result.format
    if blob.size and head[:1] and head[0] in _PROTO0:
        # A protocol 0/1 pickle (or tensor bytes that start like one): kept only when it
        # imports something, so data is not mistaken for a broken pickle.
        spec = Blob(blob.buf, blob.start, min(blob.end, blob.start + SPECULATIVE_BYTES))
        result = analyze_pickle_blob(spec, member, ctx.limits, raw_file=False)
        plausible = all(
            _IDENT.match(i.module) and _IDENT.match(i.name) for i in result.scan.all_imports()
        )
        # text that happens to start like `cname\nname\n` is not a pickle: require a
        # finished stream or a call, which a payload needs anyway
        acted = result.scan.pickles > 0 or any(i.called for i in result.scan.all_imports())
        if (result.scan.imports or result.scan.nested) and plausible and acted:
            if spec.end < blob.end and result.scan.incomplete:
                result.scan.incomplete.append("only the first 4 MiB were scanned")
            record_pickle(ctx.artifact, result, member)
            return "pickle"
    if fmt is not None and fmt != "pickle":
        ctx.artifact.facts.setdefault("member_formats", {})[member or name] = fmt
    return None


def _decompress_and_analyze(
    ctx: Context, blob: Blob, member: str | None, name: str, fmt: str, depth: int
) -> None:
    with Spill(ctx.budget) as sink:
        _decompress_then_analyze(ctx, blob, member, name, fmt, depth, sink)


def _decompress_then_analyze(
    ctx: Context, blob: Blob, member: str | None, name: str, fmt: str, depth: int, sink: Spill
) -> None:
    try:
        decompress(fmt, blob, sink)
    except zipread.BudgetExceeded as exc:
        ctx.budget = 0  # spent
        _incomplete(
            ctx,
            member,
            f"{fmt} data {exc} (the per-file decompression budget, max-decompressed-bytes): "
            "possible decompression bomb; not expanded further",
        )
        return
    except (ValueError, OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        _incomplete(ctx, member, f"{fmt} data is corrupt or truncated ({exc})")
        return
    except ImportError as exc:
        _incomplete(ctx, member, f"{fmt} data not analysed: {exc}")
        return
    data = sink.buffer()
    ctx.budget -= sink.total
    inner_name = re.sub(r"\.(gz|bz2|xz|lzma|z|zst|lz4)$", "", name, flags=re.I) or name
    inner = f"{member}!{fmt}" if member else f"<{fmt}>"
    ctx.artifact.facts.setdefault("decompressed", []).append(
        {"member": member, "format": fmt, "size": sink.total}
    )
    found = analyze_blob(ctx, Blob(data, 0, sink.total), inner, inner_name, depth + 1)
    ctx.artifact.facts.setdefault("inner_formats", []).append(found or "data")


def decompress(fmt: str, blob: Blob, sink: Spill) -> None:
    """Decompress a whole blob into `sink` in pieces of at most 8 MiB (the sink raises
    BudgetExceeded past its limit)."""
    chunk_in = 1 << 20
    piece_max = chunk_in * 8
    add = sink.write

    if fmt in ("gzip", "zlib"):
        pos = blob.start
        while pos < blob.end:
            dec = zlib.decompressobj(31 if fmt == "gzip" else 15)
            leftover = b""
            while pos < blob.end and not dec.eof:
                chunk = bytes(blob.buf[pos : min(blob.end, pos + chunk_in)])
                pos += len(chunk)
                while chunk and not dec.eof:
                    add(dec.decompress(chunk, piece_max))
                    chunk = dec.unconsumed_tail
                leftover = dec.unused_data
            if not dec.eof:
                raise EOFError(f"{fmt} stream is truncated")
            pos -= len(leftover)
            if fmt == "zlib" or not leftover.strip(b"\x00"):
                break  # gzip may hold several members; zlib holds one
        return
    if fmt == "bzip2":
        make: Any = bz2.BZ2Decompressor
    elif fmt in ("xz", "lzma"):
        make = lambda: lzma.LZMADecompressor(lzma.FORMAT_AUTO)  # noqa: E731
    elif fmt == "zstd":
        import zstandard  # optional

        # a stream reader bounds every read (decompressobj expands a whole chunk at once)
        reader = zstandard.ZstdDecompressor().stream_reader(
            cast(IO[bytes], _SliceFile(blob.buf, blob.start, blob.end)), read_across_frames=True
        )
        try:
            while piece := reader.read(piece_max):
                add(piece)
        except zstandard.ZstdError as exc:
            raise ValueError(f"zstd data is corrupt ({exc})") from None
        return
    elif fmt == "lz4":
        import lz4.frame  # optional

        make = lz4.frame.LZ4FrameDecompressor
    else:
        raise ValueError(f"unknown compression {fmt}")
    dec = make()
    pos = blob.start
    while pos < blob.end:
        chunk = bytes(blob.buf[pos : min(blob.end, pos + chunk_in)])
        pos += len(chunk)
        add(dec.decompress(chunk, piece_max))
        while not getattr(dec, "needs_input", True) and not getattr(dec, "eof", False):
            add(dec.decompress(b"", piece_max))
        if getattr(dec, "eof", False):
            break
    if fmt in ("bzip2", "xz", "lzma", "lz4") and not getattr(dec, "eof", True):
        raise EOFError(f"{fmt} stream is truncated")


def analyze_zip(ctx: Context, blob: Blob, prefix: str | None, depth: int) -> None:
    cfg = ctx.config
    try:
        listing = zipread.read_listing(blob.buf, blob.start, blob.end, cfg.max_archive_members)
    except zipread.BudgetExceeded as exc:
        _incomplete(ctx, prefix, f"zip not opened: {exc}")
        return
    if listing.from_local_headers:
        _incomplete(ctx, prefix, f"zip {listing.problems[0]}; members read from local headers")
        _issue(
            ctx,
            "zip:tampering",
            prefix,
            f"zip central directory unusable ({listing.problems[0]})",
            quirk="central directory unusable",
        )
    if not listing.from_local_headers and blob.size <= HIDDEN_SCAN_BYTES:
        listing.entries.extend(
            zipread.hidden_local_entries(
                blob.buf, blob.start, blob.end, listing, cfg.max_archive_members
            )
        )
    names = [e.name for e in listing.entries]
    layout = classify_zip(names)
    if prefix is None:
        _describe_zip(ctx.artifact, layout, names)
    else:
        ctx.artifact.facts.setdefault("nested_archives", []).append(
            {"member": prefix, "layout": layout["format"], "members": len(names)}
        )
    torch_prefixes = layout.get("torch_prefixes", set())
    seen: dict[tuple[int, int, int], tuple[str, int | None]] = {}
    for entry in listing.entries:
        if entry.is_dir:
            continue
        ctx.members += 1
        if ctx.members > cfg.max_archive_members:
            _incomplete(ctx, prefix, f"more than {cfg.max_archive_members} archive members")
            return
        member = _join(prefix, entry.name)
        for note in entry.notes:
            if note == "sizes not in the local header":
                continue
            _issue(ctx, "zip:tampering", member, f"zip member {entry.name!r}: {note}", quirk=note)
        if entry.compressed_size and entry.size / max(entry.compressed_size, 1) > MAX_RATIO:
            _incomplete(
                ctx,
                member,
                f"zip bomb: {entry.compressed_size} bytes claim to expand to {entry.size}; "
                "not expanded",
            )
            continue
        if entry.method != zipread.STORED and entry.size > ctx.budget:
            _incomplete(
                ctx,
                member,
                f"zip bomb: member expands to {entry.size} bytes, past the "
                f"decompression limit; not expanded",
            )
            continue
        key = (entry.data_offset, entry.compressed_size, entry.method)
        first = seen.get(key)
        if first is not None:
            # the same bytes under another name (overlapping entries): analysed once
            _same_data(ctx, entry, member, first)
            continue
        with Spill(ctx.budget) as sink:
            crc = _zip_member(ctx, blob, entry, member, prefix, depth, torch_prefixes, sink)
        seen[key] = (member, crc)
    if prefix is None and torch_prefixes:
        _torch_records(ctx, blob, listing, sorted(torch_prefixes)[0])
    if prefix is None and layout["format"] == "keras":
        _keras(ctx, blob, listing)


def _same_data(
    ctx: Context, entry: zipread.ZipEntry, member: str, first: tuple[str, int | None]
) -> None:
    first_member, crc = first
    dupes = ctx.artifact.facts.setdefault("same_data_members", [])
    if len(dupes) < 200:
        dupes.append({"member": member, "same_as": first_member})
    if crc is not None and crc != entry.crc:
        _issue(
            ctx,
            "zip:tampering",
            member,
            f"zip member {entry.name!r}: CRC mismatch",
            quirk="CRC mismatch",
        )


def _zip_member(
    ctx: Context,
    blob: Blob,
    entry: zipread.ZipEntry,
    member: str,
    prefix: str | None,
    depth: int,
    torch_prefixes: set[str],
    sink: Spill,
) -> int | None:
    """Read, analyse and CRC-check one member; returns the CRC computed (None: not checked)."""
    try:
        buf, start, end = zipread.read_member(blob.buf, entry, blob.end, ctx.budget, sink)
    except zipread.BudgetExceeded as exc:
        ctx.budget = 0  # spent
        _incomplete(
            ctx,
            member,
            f"zip bomb: member {exc} (the per-file decompression budget, "
            "max-decompressed-bytes); not expanded further",
        )
        return None
    except zipread.ZipError as exc:
        _incomplete(ctx, member, str(exc))
        return None
    if entry.method != zipread.STORED:
        ctx.budget -= end - start
    is_torch_data = any(
        entry.name.startswith(p) and _TORCH_DATA.search(entry.name) for p in torch_prefixes
    )
    member_blob = Blob(buf, start, end)
    found = analyze_blob(ctx, member_blob, member, entry.name, depth, torch_data=is_torch_data)
    checked = not is_torch_data and (found is not None or end - start <= 1 << 24)
    crc = zipread.crc_value(buf, start, end) if checked else None
    if crc is not None and crc != entry.crc:
        _issue(
            ctx,
            "zip:tampering",
            member,
            f"zip member {entry.name!r}: CRC mismatch",
            quirk="CRC mismatch",
        )
    if entry.local_name is not None and entry.local_name != entry.name:
        # Readers that trust local headers see the other name: sniff it under that name
        alt = _join(prefix, entry.local_name)
        if sniff_bytes(member_blob.head(), entry.local_name, end - start) != sniff_bytes(
            member_blob.head(), entry.name, end - start
        ):
            analyze_blob(ctx, member_blob, alt, entry.local_name, depth)
    return crc


def _torch_records(ctx: Context, blob: Blob, listing: zipread.ZipListing, prefix: str) -> None:
    """The small text records a PyTorch archive carries: format version and byte order."""
    wanted = {
        prefix + "version": "aibom:pytorch:archive-version",
        prefix + ".data/version": "aibom:pytorch:data-version",
        prefix + ".format_version": "aibom:pytorch:format-version",
        prefix + "byteorder": "aibom:pytorch:byteorder",
    }
    for entry in listing.entries:
        prop = wanted.get(entry.name)
        if prop is None or entry.size > 64:
            continue
        try:
            buf, start, end = zipread.read_member(blob.buf, entry, blob.end, 64)
        except zipread.ZipError:
            continue
        text = bytes(buf[start:end]).decode("ascii", "replace").strip()
        if text:
            ctx.artifact.properties[prop] = text


def _keras(ctx: Context, blob: Blob, listing: zipread.ZipListing) -> None:
    from .keras_files import analyze_keras_zip  # stdlib only: always importable

    by_name = {e.name: e for e in listing.entries}

    def read(name: str) -> bytes:
        entry = by_name[name]
        buf, start, end = zipread.read_member(blob.buf, entry, blob.end, 64 * 1024 * 1024)
        return bytes(buf[start:end])

    try:
        analyze_keras_zip(ctx.artifact, [e.name for e in listing.entries], read, ctx.config)
    except zipread.ZipError as exc:
        ctx.artifact.incomplete.append(f"keras config: {exc}")


def classify_zip(names: list[str]) -> dict[str, Any]:
    """Tell PyTorch, TorchScript, NumPy .npz and Keras zips apart by their member names."""
    members = set(names)
    torch_prefixes = {
        n[: -len("data.pkl")] for n in names if n.endswith("data.pkl") and n.count("/") == 1
    }
    torch_prefixes = {
        p
        for p in torch_prefixes
        if any(
            m.startswith(p + "data/") or m in (p + "version", p + ".data/version") for m in members
        )
        or p + "byteorder" in members
    }
    if torch_prefixes:
        code = sorted(
            n
            for p in torch_prefixes
            for n in names
            if n.startswith(p + "code/") and n.endswith(".py")
        )
        constants = any(p + "constants.pkl" in members for p in torch_prefixes)
        fmt = "torchscript" if code or constants else "pytorch-zip"
        return {"format": fmt, "torch_prefixes": torch_prefixes, "code": code}
    if names and all(n.endswith(".npy") for n in names if not n.endswith("/")):
        return {"format": "npz"}
    # Keras 3 archives: config.json with the weights, or with metadata.json when the model
    # has none (keras loads the config, and whatever it names, either way)
    if "config.json" in members and (
        "metadata.json" in members or any(n.startswith("model.weights.") for n in names)
    ):
        return {"format": "keras"}
    return {"format": "zip"}


def _describe_zip(artifact: Artifact, layout: dict[str, Any], names: list[str]) -> None:
    fmt = layout["format"]
    artifact.format = fmt
    artifact.facts["zip_members"] = len(names)
    artifact.facts["members"] = names[:200]
    if fmt in ("pytorch-zip", "torchscript"):
        artifact.framework = "pytorch"
        prefixes = sorted(layout["torch_prefixes"])
        artifact.facts["torch_archive_prefix"] = prefixes[0].rstrip("/")
        artifact.facts["storages"] = sum(1 for n in names if _TORCH_DATA.search(n))
    if fmt == "torchscript":
        code = layout["code"]
        artifact.facts["torchscript_code"] = code[:200]
        artifact.issues.append(
            ArtifactIssue(
                "torchscript:code",
                f"TorchScript archive with {len(code)} code files",
                artifact.location,
                (("files", str(len(code))), ("first", code[0] if code else "constants.pkl")),
            )
        )
    if fmt == "npz":
        artifact.kind = ComponentKind.DATA
        artifact.framework = "numpy"


class _SliceFile:
    """A read-only file over a buffer slice, for tarfile."""

    def __init__(self, buf: Buffer, start: int, end: int) -> None:
        self.buf, self.start, self.end, self.pos = buf, start, end, start

    def read(self, n: int = -1) -> bytes:
        stop = self.end if n is None or n < 0 else min(self.end, self.pos + n)
        data = bytes(self.buf[self.pos : stop])
        self.pos = stop
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: self.start, 1: self.pos, 2: self.end}[whence]
        self.pos = max(self.start, min(self.end, base + offset))
        return self.pos - self.start

    def tell(self) -> int:
        return self.pos - self.start


def analyze_tar(ctx: Context, blob: Blob, prefix: str | None, depth: int) -> None:
    cfg = ctx.config
    fh = _SliceFile(blob.buf, blob.start, blob.end)
    names: list[str] = []
    try:
        with tarfile.open(fileobj=fh, mode="r:") as tar:  # type: ignore[call-overload]
            while True:
                try:
                    info = tar.next()
                except tarfile.TarError as exc:
                    _incomplete(ctx, prefix, f"tar archive is corrupt or truncated ({exc})")
                    break
                if info is None:
                    break
                names.append(info.name)
                if not info.isfile():
                    continue
                ctx.members += 1
                if ctx.members > cfg.max_archive_members:
                    _incomplete(ctx, prefix, f"more than {cfg.max_archive_members} archive members")
                    break
                start = blob.start + info.offset_data
                end = start + info.size
                member = _join(prefix, info.name)
                if end > blob.end:
                    _incomplete(ctx, member, "tar member data truncated")
                    continue
                if info.sparse:
                    _incomplete(ctx, member, "sparse tar member not analysed")
                    continue
                analyze_blob(ctx, Blob(blob.buf, start, end), member, info.name, depth)
    except tarfile.TarError as exc:
        _incomplete(ctx, prefix, f"tar archive is corrupt ({exc})")
    if prefix is None:
        ctx.artifact.facts["tar_members"] = len(names)
        ctx.artifact.facts["members"] = names[:200]
        if _legacy_torch_tar(names):
            ctx.artifact.format = "pytorch-tar"
            ctx.artifact.framework = "pytorch"


def _legacy_torch_tar(names: list[str]) -> bool:
    return {"sys_info", "pickle", "storages"} <= {n.strip("./") for n in names}


def zip_segments(buf: Buffer, start: int, end: int) -> list[tuple[int, int]]:
    """Zip archives written back to back: each ends with its end-of-central-directory record."""
    segments: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        eocd = buf.find(b"PK\x05\x06", pos, end)
        if eocd < 0 or eocd + 22 > end:
            break
        comment = int.from_bytes(buf[eocd + 20 : eocd + 22], "little")
        segments.append((pos, min(end, eocd + 22 + comment)))
        pos = segments[-1][1]
    if pos < end:
        segments.append((pos, end))  # what follows the last archive: read as one, reported
    return segments


def _analyze_distcp(ctx: Context, blob: Blob) -> None:
    """A PyTorch distributed-checkpoint shard (`__0_0.distcp`): every tensor and object was
    written by `torch.save` into one stream, one zip archive after another, at the offsets the
    folder's `.metadata` records. Each archive is analysed on its own."""
    artifact = ctx.artifact
    artifact.format = "pytorch-zip"
    artifact.framework = "pytorch"
    segments = zip_segments(blob.buf, blob.start, blob.end)
    artifact.facts["distcp_archives"] = len(segments)
    for start, end in segments:
        analyze_zip(ctx, Blob(blob.buf, start, end), f"[archive at byte {start - blob.start}]", 1)


def analyze_file(file: FileRef, fmt: str, config: Config) -> Collected:
    artifact = new_artifact(file, fmt)
    ctx = Context(artifact, config, Limits(), config.max_decompressed_bytes)
    try:
        with open_buffer(file.path, file.size) as buf:
            blob = Blob(buf, 0, len(buf))
            if fmt == "7z":
                artifact.incomplete.append(
                    "7z archive: not opened (aibom has no 7z reader); its contents were not analysed"
                )
            elif fmt == "zip" and file.name.endswith(".distcp"):
                _analyze_distcp(ctx, blob)
            elif fmt == "zip":
                analyze_zip(ctx, blob, None, 0)
            elif fmt == "tar":
                analyze_tar(ctx, blob, None, 0)
            else:
                _decompress_and_analyze(ctx, blob, None, file.name, fmt, 0)
                inner = artifact.facts.get("inner_formats", [])
                if inner and inner[0] in ("pickle", "joblib", "pytorch-legacy"):
                    artifact.format = "joblib" if inner[0] == "joblib" else f"{inner[0]}+{fmt}"
                    artifact.facts["compression"] = fmt
            artifact.sha256 = sha256_of(buf, file.path, file.size)
    except OSError as exc:
        artifact.incomplete.append(f"cannot read: {exc.strerror or exc}")
    if artifact.format in ("zip", "tar", "7z") and not artifact.pickle_imports:
        artifact.kind = ComponentKind.FILE
    finish_artifact(artifact, file.path.parent)
    if fmt in ("zip", "gzip"):
        python_dists.describe(artifact, file.path)  # a vendored wheel / sdist is a library
    return Collected(artifacts=[artifact])
