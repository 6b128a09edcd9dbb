"""Map a line inside a notebook cell to its line in the `.ipynb` file (for SARIF regions,
which code-scanning UIs show on the raw file).

Jupyter writes a notebook as indented JSON with one source line per JSON string, each on its
own line, after the cell's `"source": [` line. The mapping is trusted only when the raw file
has exactly that shape for the cell (each JSON line decodes to the cell's source line); any
other layout (a minified notebook, a source held as one string) gives None, and the finding
is shown on the file without a line rather than on a wrong one.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


def ipynb_line(path: Path, cell: int, line: int) -> int | None:
    """The 1-based line in the file holding source line `line` of code cell `cell` (both
    1-based, cells counted from the first cell of any type), or None."""
    starts = _source_starts(str(path))
    if starts is None or not 1 <= cell <= len(starts):
        return None
    start, count = starts[cell - 1]
    if start is None or not 1 <= line <= count:
        return None
    return start + line


@cache
def _source_starts(path: str) -> tuple[tuple[int | None, int], ...] | None:
    """Per cell: (0-based index of the line before its first source line, or None when the
    layout is not the expected one; number of source lines)."""
    try:
        raw = Path(path).read_bytes()
        if len(raw) > MAX_NOTEBOOK_BYTES:
            return None
        text = raw.decode("utf-8-sig")
        doc = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        return None
    lines = text.splitlines()
    source_lines = [i for i, ln in enumerate(lines) if ln.lstrip().startswith('"source":')]
    if len(source_lines) != len(cells):
        return None  # a "source" key elsewhere, or a cell without one: do not guess
    out: list[tuple[int | None, int]] = []
    for cell, at in zip(cells, source_lines, strict=True):
        source = cell.get("source") if isinstance(cell, dict) else None
        if not isinstance(source, list) or not all(isinstance(s, str) for s in source):
            out.append((None, 0))
            continue
        count = sum(part.count("\n") for part in source) + (
            1 if source and not source[-1].endswith("\n") else 0
        )
        ok = len(source) == count and lines[at].rstrip().endswith("[")
        for k, part in enumerate(source):
            if not ok:
                break
            if at + 1 + k >= len(lines):
                ok = False
                break
            item = lines[at + 1 + k].strip().removesuffix(",")
            try:
                ok = json.loads(item) == part
            except ValueError:
                ok = False
        out.append((at + 1 if ok else None, count))
    return tuple(out)
