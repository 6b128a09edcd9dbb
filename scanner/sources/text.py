"""Reading a scanned text file: one bounded read, one decoding policy, one comment splitter
and one parser for inline suppressions (`# aibom: ignore[RULE-ID] reason`).

Every scanned file is hostile input: reads are bounded by size, and decoding never raises
(UTF-8 and BOM-marked UTF-16/32 first, then cp1252, then latin-1 with a recorded error).
"""

from __future__ import annotations

import codecs
import re

from ..model import Collected, FileRef, Location, ScanError, Suppression

SUPPRESS_RE = re.compile(r"#\s*aibom:\s*ignore(?:\[([^\]]*)\])?[ \t:]*(.*)$")


def read_limited(file: FileRef, limit: int, what: str = "") -> tuple[bytes | None, Collected]:
    """The bytes of a source file, or None with a scan error when it is too large or
    cannot be read. Shared by the collectors that read a whole file."""
    if file.size > limit:
        label = f" for {what}" if what else ""
        reason = f"file too large{label} ({file.size} bytes, limit {limit}); not parsed"
        return None, Collected(errors=[ScanError(Location(file.rel), reason)])
    try:
        return file.path.read_bytes(), Collected()
    except OSError as exc:
        reason = f"cannot read: {exc.strerror or exc}"
        return None, Collected(errors=[ScanError(Location(file.rel), reason)])


def read_limited_text(file: FileRef, limit: int, what: str = "") -> tuple[str | None, Collected]:
    """Like `read_limited`, then decoded with `decode_bytes` (a guessed encoding is recorded)."""
    data, out = read_limited(file, limit, what)
    if data is None:
        return None, out
    text, problem = decode_bytes(data)
    if problem is not None:
        out.errors.append(ScanError(Location(file.rel), problem))
    return text, out


def decode_bytes(data: bytes) -> tuple[str | None, str | None]:
    """Decode a text file: (text, problem). `text` is None when the bytes are not text."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), None
            except UnicodeDecodeError as exc:
                return None, f"invalid {encoding} text after its byte-order mark ({exc.reason})"
    if b"\x00" in data:
        return None, "binary content (NUL bytes): not a text file"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), None
    except UnicodeDecodeError:
        return (
            data.decode("latin-1"),
            "not valid UTF-8 or cp1252; decoded as latin-1 (names may be misread)",
        )


def text_suppressions(text: str, rel: str) -> list[Suppression]:
    """`# aibom: ignore[...]` comments in any line-oriented file (pyproject.toml, setup.cfg,
    setup.py, environment.yml), each at its own line."""
    if "aibom" not in text:
        return []
    found: list[Suppression] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "aibom" not in line:
            continue
        comment = split_comment(line)[1]
        match = SUPPRESS_RE.search(comment) if comment else None
        if match is not None:
            ids = tuple(p.strip() for p in (match.group(1) or "").split(",") if p.strip())
            found.append(Suppression(Location(rel, number), ids, match.group(2).strip()))
    return found


def split_comment(line: str) -> tuple[str, str]:
    """(content, comment) like pip's `(^|\\s+)#.*$`: a `#` at the start of the line or after
    whitespace starts a comment (which takes that whitespace). Linear time: the regex
    backtracks quadratically on long runs of spaces."""
    pos = line.find("#")
    while pos != -1:
        if pos == 0 or line[pos - 1].isspace():
            start = pos
            while start > 0 and line[start - 1].isspace():
                start -= 1
            return line[:start], line[start:]
        pos = line.find("#", pos + 1)
    return line, ""
