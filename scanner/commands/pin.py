"""`aibom pin FILE...`: rewrite requirements files with exact pins and `--hash` lines for
every file of the pinned release, in pip-tools' layout (network; what `pip-compile
--generate-hashes` writes for one line, without resolving anything):

    six==1.17.0 \\
        --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274 \\
        --hash=sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81
        # the comment the line had

- A requirement pinned `==X` / `===X` gets the hashes of every file the index publishes for
  X (sorted, sha256; sha384/sha512 only where the index gives no sha256).
- An unpinned requirement is refused, and the whole file is left as it is: aibom does not
  resolve dependencies, and pip's hash mode needs every package of the install (dependencies
  included) pinned and hashed, so pinning that one line would give a file `pip install -r`
  rejects. The message names the newest release that satisfies the specifier (final, not
  yanked, with a file whose `requires-python` admits the running Python) and points at
  `pip-compile --generate-hashes` / `uv pip compile --generate-hashes`, which resolve the
  whole set. Use `aibom pin` on a file that already pins everything (their output without
  hashes, or `pip freeze`).
- Lines that already carry hashes keep them only if the index publishes every one of them:
  a hash the index does not know (a private build, or tampering) is reported and the line is
  left as it is, never silently replaced.
- URLs, paths, VCS requirements, editables, options, includes and comments are left as they
  are; markers and extras are kept.

The index is `--index-url`, else the file's own `--index-url` (when it holds no
credentials), else `index-url` from the configuration (PyPI by default). `--dry-run` prints a
unified diff instead of writing. Exit 0 when every requirement was pinned and hashed, 1 when
some could not be (each reported on stderr), 2 on a missing file.
"""

from __future__ import annotations

import difflib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config, load_config
from ..errors import EXIT_FINDINGS, EXIT_OK, InputError
from ..model import Dependency, SourceKind
from ..outputs import write_text_atomic

HASH_PREFERENCE = ("sha256", "sha384", "sha512")
REFUSAL = (
    "aibom pin does not resolve dependencies, and pip refuses a hash-mode file that does not "
    "pin and hash all of them: compile the whole set with `pip-compile --generate-hashes "
    "requirements.in` or `uv pip compile --generate-hashes requirements.in -o "
    "requirements.txt`"
)


@dataclass
class PinResult:
    path: Path
    old_text: str
    new_text: str
    problems: list[str]
    notes: list[str]


def run(
    files: tuple[Path, ...],
    index_url: str | None,
    dry_run: bool,
    *,
    transport: Any = None,
    config: Config | None = None,
) -> int:
    config = config or load_config(Path("."))
    failed = False
    for path in files:
        if not path.is_file():
            raise InputError("requirements file not found", str(path))
    for path in files:
        result = pin_file(path, index_url, config, transport=transport)
        for note in result.notes:
            sys.stderr.write(f"{note}\n")
        for problem in result.problems:
            sys.stderr.write(f"{problem}\n")
        failed = failed or bool(result.problems)
        if result.new_text == result.old_text:
            continue
        if dry_run:
            shown = path.as_posix()
            sys.stdout.writelines(
                difflib.unified_diff(
                    result.old_text.splitlines(keepends=True),
                    result.new_text.splitlines(keepends=True),
                    fromfile=shown,
                    tofile=shown,
                )
            )
        else:
            _write(path, result.new_text)
            sys.stderr.write(f"{path.as_posix()}: pinned and hashed\n")
    return EXIT_FINDINGS if failed else EXIT_OK


def pin_file(
    path: Path, index_url: str | None, config: Config, *, transport: Any = None
) -> PinResult:
    from ..enrich.index import fetch_pages, is_queryable, normalize_index
    from ..sources.requirements import parse_requirements_text
    from ..sources.text import decode_bytes

    shown = path.as_posix()
    text, problem = decode_bytes(path.read_bytes())
    if text is None:
        return PinResult(path, "", "", [f"{shown}: cannot read: {problem}"], [])
    collected = parse_requirements_text(text, shown, base_dir=path.parent)
    problems = [f"{e.location}: {e.reason}" for e in collected.errors if e.location.path == shown]
    index = index_url
    if index is None:
        own = [o.value for o in collected.index_options if o.option == "--index-url"]
        if own and not is_queryable(own[-1]):
            why = (
                "holds credentials that aibom does not read"
                if "***" in own[-1]
                else f"({own[-1]}) is not an http(s) URL aibom can query"
            )
            problems.append(f"{shown}: its --index-url {why}; give the index with --index-url")
            return PinResult(path, text, text, problems, [])
        index = own[-1] if own else config.index_url
    index = normalize_index(index)
    targets = [
        d
        for d in collected.dependencies
        if d.location.path == shown
        and d.source is SourceKind.REQUIREMENTS
        and d.url is None
        and not d.editable
    ]
    pages = fetch_pages(sorted({(index, d.key) for d in targets}), config, transport=transport)
    lines = text.splitlines(keepends=True)
    replacements: dict[int, tuple[int, list[str]]] = {}
    notes: list[str] = []
    unpinned: list[str] = []
    for dep in targets:
        page = pages[(index, dep.key)]
        where = str(dep.location)
        if page.error is not None:
            problems.append(f"{where}: {dep.name}: index look-up failed at {index}: {page.error}")
            continue
        if page.status == 404:
            problems.append(f"{where}: {dep.name} does not exist on {index}; not pinned")
            continue
        version = dep.version or _choose(dep, page.versions)
        if version is None:
            problems.append(
                f"{where}: {dep.name}: no release on {index} satisfies "
                f"{dep.specifier or 'any version'}; not pinned"
            )
            continue
        files = page.versions.get(version) or _files_matching(page.versions, version)
        if not files:
            problems.append(f"{where}: {dep.name}=={version} is not published on {index}")
            continue
        digests, missing = _digests(files)
        if missing:
            problems.append(
                f"{where}: {dep.name}=={version}: {len(missing)} file(s) on {index} have no "
                f"sha256/sha384/sha512 hash ({', '.join(missing)}); not hashed"
            )
            continue
        known = {d.split(":", 1)[1] for d in digests}
        foreign = [h for h in dep.hashes if h.value.lower() not in known]
        if foreign:
            problems.append(
                f"{where}: {dep.name}=={version}: its hash {foreign[0]} is not published by "
                f"{index}; line left as it is"
            )
            continue
        if dep.version is None:
            # pinning one line does not make an installable file: once any line has a hash,
            # pip needs every package of the install pinned and hashed, dependencies too
            unpinned.append(
                f"{where}: {dep.name} {dep.specifier or '(no specifier)'} is not pinned "
                f"(newest matching release: {version}); {REFUSAL}"
            )
            continue
        first = (dep.location.line or 1) - 1
        end = _logical_end(lines, first)
        comment = _comment_of(lines[first : end + 1])
        replacements[first] = (end, _render(dep, version, digests, comment, _newline(lines)))
    if unpinned:  # the whole file is left as it is: a partly hashed file cannot be installed
        problems.extend(unpinned)
        problems.append(f"{shown}: left as it is")
        return PinResult(path, text, text, problems, notes)
    if replacements:
        notes.append(
            f"{shown}: hashes added; in hash mode pip needs every package of the install "
            "here, dependencies included (a complete set such as pip-compile or "
            "`uv pip compile` output)"
        )
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replacements:
            end, new = replacements[i]
            out.extend(new)
            i = end + 1
        else:
            out.append(lines[i])
            i += 1
    return PinResult(path, text, "".join(out), problems, notes)


def _choose(dep: Dependency, versions: dict[str, list[dict[str, Any]]]) -> str | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        spec = SpecifierSet(dep.specifier)
    except InvalidSpecifier:
        return None
    candidates: list[tuple[Version, str]] = []
    for text, files in versions.items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if all(f["yanked"] is not False for f in files):
            continue
        if not any(_supports_this_python(f.get("requires_python")) for f in files):
            continue
        if spec.contains(version, prereleases=spec.prereleases):
            candidates.append((version, text))
    return max(candidates)[1] if candidates else None


def _supports_this_python(requires_python: str | None) -> bool:
    """Whether a file's `requires-python` admits the running interpreter (what pip-compile
    resolves for); a missing or unreadable value admits it."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not requires_python:
        return True
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return True
    current = ".".join(str(part) for part in sys.version_info[:3])
    return spec.contains(current, prereleases=True)


def _files_matching(
    versions: dict[str, list[dict[str, Any]]], wanted_text: str
) -> list[dict[str, Any]]:
    from packaging.version import InvalidVersion, Version

    try:
        wanted = Version(wanted_text)
    except InvalidVersion:
        return []
    out: list[dict[str, Any]] = []
    for text, files in versions.items():
        try:
            if Version(text) == wanted:
                out.extend(files)
        except InvalidVersion:
            continue
    return out


def _digests(files: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    digests: set[str] = set()
    missing: list[str] = []
    for entry in files:
        hashes = entry["hashes"]
        alg = next((a for a in HASH_PREFERENCE if hashes.get(a)), None)
        if alg is None:
            missing.append(entry["filename"])
        else:
            digests.add(f"{alg}:{hashes[alg]}")
    return sorted(digests), missing


def _logical_end(lines: list[str], first: int) -> int:
    """The last physical line of the logical line starting at `first` (pip's joining)."""
    from ..sources.requirements import COMMENT_RE

    end = first
    while end < len(lines):
        line = lines[end].rstrip("\r\n")
        if COMMENT_RE.match(line) and end != first:
            return end  # a comment line ends a continuation and belongs to it (pip)
        if not line.endswith("\\"):
            return end
        end += 1
    return len(lines) - 1


def _comment_of(physical: list[str]) -> str | None:
    from ..sources.requirements import COMMENT_RE

    for line in physical:
        match = COMMENT_RE.search(line.rstrip("\r\n"))
        if match:
            return match.group(0).strip()
    return None


def _newline(lines: list[str]) -> str:
    for line in lines:
        if line.endswith("\r\n"):
            return "\r\n"
        if line.endswith("\n"):
            return "\n"
    return os.linesep if not lines else "\n"


def _render(
    dep: Dependency, version: str, digests: list[str], comment: str | None, nl: str
) -> list[str]:
    text = dep.name
    if dep.extras:
        text += f"[{','.join(dep.extras)}]"
    operator = "===" if dep.specifier.startswith("===") else "=="
    text += f"{operator}{version}"
    if dep.marker:
        text += f" ; {dep.marker}"
    options = [f"--{key}={value}" for key, value in dep.properties if key in _KEPT_OPTIONS]
    parts = [text, *options, *(f"--hash={d}" for d in digests)]
    out = [parts[0]]
    for part in parts[1:]:
        out[-1] += " \\" + nl
        out.append(f"    {part}")
    out[-1] += nl
    if comment:
        out.append(f"    {comment}{nl}")
    return out


_KEPT_OPTIONS = ("config-settings", "global-option")


def _write(path: Path, text: str) -> None:
    write_text_atomic(path, text, newline="")
