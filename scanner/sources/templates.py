"""Project templates: a `pyproject.toml`, `requirements.txt` or `.py` file with Jinja or
cookiecutter placeholders (`{{ package_name }}`, `{% if tools %}`) is the input of a generator,
not a file of its format until rendered. When such a file does not parse, that is why: it is
recorded as a gap naming the placeholder, not as an unreadable file."""

from __future__ import annotations

import re

from ..model import Collected, FileRef, Gap

MAX_TEMPLATE_BYTES = 1024 * 1024
_PLACEHOLDER = re.compile(
    r"\{\{-?\s*[A-Za-z_][\w.|\s'\"()\[\]-]{0,120}?-?\}\}|\{%-?\s*\w+[^%]{0,200}%\}"
)


def placeholder(file: FileRef) -> str | None:
    """The first template placeholder in the file's path or text, or None."""
    found = _PLACEHOLDER.search(file.rel)
    if found:
        return found.group(0)
    if file.size > MAX_TEMPLATE_BYTES:
        return None
    try:
        text = file.path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return None
    found = _PLACEHOLDER.search(text)
    return found.group(0) if found else None


def as_template_gaps(file: FileRef, collected: Collected) -> Collected:
    """`collected` with its errors turned into one gap when the file is a template."""
    if not collected.errors:
        return collected
    marker = placeholder(file)
    if marker is None:
        return collected
    first = collected.errors[0]
    reasons = "; ".join(e.reason for e in collected.errors[:3])
    collected.gaps.append(
        Gap(
            first.location,
            f"a template with placeholders such as `{marker}` (filled in by a project "
            f"generator), not a file of its format until rendered ({reasons}); not inventoried",
        )
    )
    collected.errors = []
    return collected
