"""Lock files: `poetry.lock`, `uv.lock`, `Pipfile.lock`, `pdm.lock` and PEP 751 `pylock.toml`
(`pylock.<name>.toml`), read as data (TOML / JSON), never by the tools that wrote them.

Every locked package becomes one `Dependency` with:

- `version` the locked version and `specifier` `==version` (entries a lock records without
  a version, such as a local source tree or pipenv's `"version": "*"`, keep `version=None`);
- `hashes`: every artifact hash the lock records (sdist, wheels, archives);
- `requires`: the normalised names of the package's dependencies as the lock records them
  (the edges of the AIBOM's dependency graph; none for `Pipfile.lock` and for pylock files
  written without `dependencies`);
- `marker`, `scope` / `group` (dev and optional groups are `scope="optional"`);
- `url` / `url_kind` / `vcs_ref` / `editable` for VCS, URL and path sources, credentials
  redacted (property `credentials=redacted` when the lock held one);
- `direct`: uv records the project's own dependencies (its root entry), so uv says exactly
  which are direct; poetry and pdm record edges but not the root, so a package no other
  locked package requires is direct (it can only be there because the project asks for it),
  the others are `direct=False` (some of them may be direct too); for Pipfile.lock the
  `Pipfile` beside it names the direct packages; pylock files without edges (and a
  Pipfile.lock alone) say nothing: `direct=False`;
- `location`: the lock and the line of the package's `name = "..."` (TOML) or key (JSON);
- properties: `aibom:index` (the index URL the lock names for it),
  `aibom:lock:content-hash` (the manifest hash a poetry / pipenv / pdm lock records, on
  every dependency of that lock; `lock_content_hash_matches` recomputes it) and, when the
  manifest sits beside the lock, `aibom:lock:manifest` and
  `aibom:lock:content-hash-matches` ("true" / "false").

The project's own root entry (uv's `virtual`/`editable = "."` package and workspace
members) is not a dependency: it is skipped, its edges mark the direct dependencies.

Bad input never stops the scan: a file that is not UTF-8, not TOML/JSON, or has the wrong
shape is one `ScanError` (with the parser's line); one bad entry is an error for that entry
and the others are still read.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..bom.properties import LOCK_CONTENT_HASH_MATCHES as HASH_MATCHES
from ..bom.properties import LOCK_MANIFEST as MANIFEST
from ..config import Config
from ..model import (
    Collected,
    Dependency,
    FileRef,
    Hash,
    Location,
    LockedEdge,
    LockProject,
    ScanError,
    SourceKind,
    normalize_name,
)
from ..redact import redact_url

# A lock file larger than this is not read (real locks of large projects are a few MB).
MAX_LOCK_BYTES = 64 * 1024 * 1024

CONTENT_HASH = "aibom:lock:content-hash"
INDEX = "aibom:index"

_TOML_LINE = re.compile(r"at line (\d+)")
_HASH_TEXT = re.compile(r"^([A-Za-z0-9_-]+)[:=]([0-9A-Fa-f]+)$")


class LockError(Exception):
    """The whole lock file cannot be read (reason and 1-based line when known)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class EntryError(Exception):
    """One entry of a lock is malformed; the others are still read."""


# ---------------------------------------------------------------------------------------
# Reading the file


def _read_text(path: Path, size: int | None = None) -> str:
    if size is not None and size > MAX_LOCK_BYTES:
        raise LockError(f"lock file too large to read ({size} bytes, limit {MAX_LOCK_BYTES})")
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or device would block or never end
            raise LockError("not a regular file")
        with path.open("rb") as fh:
            data = fh.read(MAX_LOCK_BYTES + 1)
    except OSError as exc:
        raise LockError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_LOCK_BYTES:
        raise LockError(f"lock file too large to read (over {MAX_LOCK_BYTES} bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LockError(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "lock files are UTF-8",
            line,
        ) from None


def _load_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_LINE.search(str(exc))
        line = int(match.group(1)) if match else None
        if line is None and "end of document" in str(exc):
            line = len(text.splitlines()) or 1
        raise LockError(f"not valid TOML: {exc}", line) from None
    except RecursionError:
        raise LockError("not valid TOML: nested too deeply") from None


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise LockError("not valid JSON: nested too deeply") from None


def _key_line(text: str, key: str) -> int | None:
    """The line of a top-level `key = ...` in TOML text."""
    match = re.search(rf"^{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _table_lines(text: str, header: str) -> list[int]:
    """For each `[[header]]` array-of-tables entry, in order: the line of its `name = ...`
    key (or of the header when the entry has no name line)."""
    lines: list[int] = []
    want = f"[[{header}]]"
    in_entry = False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("["):
            head = stripped.split("#", 1)[0].strip().replace(" ", "")
            if head == want:
                lines.append(number)
                in_entry = True
                continue
            if not head.startswith(f"[{header}.") and not head.startswith(f"[[{header}."):
                in_entry = False
            continue
        if in_entry and re.match(r"name\s*=", stripped):
            lines[-1] = number
            in_entry = False
    return lines


def _line_of(lines: list[int], index: int, count: int) -> int | None:
    # Only trust the text scan when it found exactly one line per parsed entry.
    if len(lines) != count:
        return None
    return lines[index]


# ---------------------------------------------------------------------------------------
# Shared helpers


def _hash(text: object, where: str) -> Hash:
    if not isinstance(text, str):
        raise EntryError(f"{where}: hash is {type(text).__name__}, expected a string")
    match = _HASH_TEXT.match(text.strip())
    if not match:
        raise EntryError(f"{where}: malformed hash {text!r} (expected ALG:HEX)")
    return Hash(match.group(1).lower(), match.group(2).lower())


def _hash_table(table: object, where: str) -> list[Hash]:
    """PEP 751 `hashes = { sha256 = "..." }`."""
    if not isinstance(table, Mapping):
        raise EntryError(f"{where}: hashes is {type(table).__name__}, expected a table")
    out = []
    for alg, value in table.items():
        if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Fa-f]+", value):
            raise EntryError(f"{where}: malformed {alg} hash {value!r}")
        out.append(Hash(str(alg).lower(), value.lower()))
    return out


def _str(entry: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise EntryError(f"missing {key!r}")
        return None
    if not isinstance(value, str):
        raise EntryError(f"{key!r} is {type(value).__name__}, expected a string")
    if required and not value.strip():
        raise EntryError(f"empty {key!r}")
    return value


def _list(entry: Mapping[str, Any], key: str) -> list[Any]:
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise EntryError(f"{key!r} is {type(value).__name__}, expected an array")
    return value


def _table(entry: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = entry.get(key, {})
    if not isinstance(value, Mapping):
        raise EntryError(f"{key!r} is {type(value).__name__}, expected a table")
    return value


def _redacted(url: str, props: list[tuple[str, str]]) -> str:
    clean, had = redact_url(url)
    if had and ("credentials", "redacted") not in props:
        props.append(("credentials", "redacted"))
    return clean


def _dedupe(hashes: Iterable[Hash]) -> tuple[Hash, ...]:
    return tuple(dict.fromkeys(hashes))


_REQ_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:$|[\[(;<>=!~@,])")


def _requirement_name(text: str) -> str:
    """The project name a PEP 508 requirement starts with (the edge needs only the name;
    the lock tool already validated the rest)."""
    match = _REQ_NAME.match(text)
    if not match:
        raise EntryError(f"malformed dependency {text!r}")
    return normalize_name(match.group(1))


def _join_markers(markers: list[str | None]) -> str | None:
    """The marker under which a package is installed, from the markers of the edges that
    reach it: None when any edge is unconditional."""
    if not markers or any(m is None for m in markers):
        return None
    distinct = list(dict.fromkeys(m for m in markers if m))
    if len(distinct) == 1:
        return distinct[0]
    return " or ".join(f"({m})" for m in distinct)


@dataclass
class _Entry:
    """A package read from a lock before `direct` and `scope` are known."""

    name: str
    version: str | None
    line: int | None
    hashes: list[Hash] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)
    pinned: list[LockedEdge] = field(default_factory=list)
    marker: str | None = None
    scope: str = "required"
    group: str | None = None
    url: str | None = None
    url_kind: str | None = None
    vcs_ref: str | None = None
    editable: bool = False
    extras: tuple[str, ...] = ()
    specifier: str | None = None
    props: list[tuple[str, str]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return normalize_name(self.name)


def _finish(
    entries: list[_Entry],
    rel: str,
    source: SourceKind,
    *,
    direct: set[str] | None,
    content_hash: str | None,
) -> list[Dependency]:
    """Entries -> Dependencies. `direct` is the set of direct names (None: infer from the
    edges: a package nothing else requires is direct)."""
    # An edge only counts when its target is locked too: poetry records a package's
    # optional dependencies whether or not an extra installs them.
    locked = {e.key for e in entries}
    if direct is None:
        required_by_others = {r for e in entries for r in e.requires if r != e.key}
        direct = locked - required_by_others
    deps = []
    for e in entries:
        props = list(e.props)
        if content_hash:
            props.append((CONTENT_HASH, content_hash))
        spec = e.specifier
        if spec is None:
            spec = f"=={e.version}" if e.version else ""
        deps.append(
            Dependency(
                name=e.name,
                location=Location(rel, e.line),
                source=source,
                specifier=spec,
                version=e.version,
                extras=e.extras,
                marker=e.marker,
                url=e.url,
                url_kind=e.url_kind,
                vcs_ref=e.vcs_ref,
                editable=e.editable,
                hashes=_dedupe(e.hashes),
                scope=e.scope,
                group=e.group,
                requires=tuple(sorted((set(e.requires) & locked) - {e.key})),
                pinned_requires=tuple(sorted(set(p for p in e.pinned if p.name != e.key))),
                graph=rel,
                direct=e.key in direct,
                properties=tuple(props),
            )
        )
    return deps


def _collect(
    file: FileRef, reader: Any, source: SourceKind, kind: str
) -> Collected:  # reader(text, rel) -> (deps, errors)
    # reader(text, rel) -> (deps, errors) or (deps, errors, lock projects)
    result = Collected()
    try:
        text = _read_text(file.path, file.size)
        deps, errors, *projects = reader(text, file.rel)
    except LockError as exc:
        result.errors.append(ScanError(Location(file.rel, exc.line), f"{kind}: {exc.reason}"))
        return result
    result.dependencies.extend(_with_verdict(file, deps))
    result.errors.extend(errors)
    for found in projects:
        result.lock_projects.extend(found)
    return result


def _entry_error(rel: str, line: int | None, kind: str, what: str, exc: Exception) -> ScanError:
    return ScanError(Location(rel, line), f"{kind}: {what}: {exc}")


def _entry_label(index: int, raw: object) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("name"), str):
        return f"package {raw['name']!r}"
    return f"package entry #{index + 1}"


# ---------------------------------------------------------------------------------------
# poetry.lock


def collect_poetry(file: FileRef, config: Config) -> Collected:
    manifest = _sibling_manifest(file.path.parent / "pyproject.toml")

    def reader(text: str, rel: str) -> tuple[list[Dependency], list[ScanError]]:
        return read_poetry(text, rel, manifest)

    return _collect(file, reader, SourceKind.POETRY_LOCK, "poetry.lock")


def _sibling_manifest(path: Path) -> Mapping[str, Any] | None:
    """The pyproject.toml beside a lock, parsed; None when absent or unreadable (its own
    collector reports a broken one)."""
    try:
        if not path.is_file():
            return None
        return _load_toml(_read_text(path))
    except (LockError, OSError):
        return None


def read_poetry(
    text: str, rel: str, manifest: Mapping[str, Any] | None = None
) -> tuple[list[Dependency], list[ScanError]]:
    """`manifest`: the pyproject.toml beside the lock. Locks written by Poetry 1.x do not
    record groups (lock-version 1.x / 2.0): the groups then come from the manifest, as
    Poetry itself computes them: what the main dependencies reach is required, what only a
    group's dependencies reach is optional in that group."""
    data = _load_toml(text)
    kind = "poetry.lock"
    errors: list[ScanError] = []
    metadata = data.get("metadata", {})
    if not isinstance(metadata, Mapping):
        raise LockError("[metadata] is not a table")
    content_hash = metadata.get("content-hash")
    content_hash = content_hash if isinstance(content_hash, str) else None
    # lock-version 1.x keeps the file hashes in [metadata.files]
    legacy_files = metadata.get("files", {})
    if not isinstance(legacy_files, Mapping):
        legacy_files = {}
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise LockError("'package' is not an array of tables", _key_line(text, "package"))
    lines = _table_lines(text, "package")
    entries = []
    for index, raw in enumerate(packages):
        line = _line_of(lines, index, len(packages))
        try:
            if not isinstance(raw, Mapping):
                raise EntryError(f"is {type(raw).__name__}, expected a table")
            entries.append(_poetry_entry(raw, line, legacy_files))
        except EntryError as exc:
            errors.append(_entry_error(rel, line, kind, _entry_label(index, raw), exc))
    recorded_groups = any(isinstance(p, Mapping) and "groups" in p for p in packages)
    if manifest is not None and not recorded_groups:
        _poetry_groups_from_manifest(entries, manifest)
    deps = _finish(entries, rel, SourceKind.POETRY_LOCK, direct=None, content_hash=content_hash)
    return deps, errors


def _poetry_manifest_groups(manifest: Mapping[str, Any]) -> dict[str, set[str]]:
    """group -> the normalised names the manifest puts in it ("main" for the project's own
    dependencies): `[tool.poetry.dependencies]`, `[project].dependencies` (and its optional
    dependencies, which Poetry keeps in main), `[tool.poetry.group.<g>.dependencies]`, the
    legacy `[tool.poetry.dev-dependencies]` (group "dev") and PEP 735 `[dependency-groups]`."""
    groups: dict[str, set[str]] = {}
    tool = manifest.get("tool", {})
    poetry = tool.get("poetry", {}) if isinstance(tool, Mapping) else {}
    poetry = poetry if isinstance(poetry, Mapping) else {}
    project = manifest.get("project", {})
    project = project if isinstance(project, Mapping) else {}

    def add(group: str, names: Iterable[str]) -> None:
        groups.setdefault(group, set()).update(
            n for n in (normalize_name(str(x)) for x in names) if n != "python"
        )

    def requirement_names(values: object) -> list[str]:
        out = []
        for value in values if isinstance(values, list) else []:
            if isinstance(value, str):
                match = _REQ_NAME.match(value)
                if match:
                    out.append(match.group(1))
        return out

    main = poetry.get("dependencies", {})
    add("main", main.keys() if isinstance(main, Mapping) else [])
    add("main", requirement_names(project.get("dependencies")))
    optional = project.get("optional-dependencies", {})
    if isinstance(optional, Mapping):
        for values in optional.values():
            add("main", requirement_names(values))
    dev = poetry.get("dev-dependencies", {})
    if isinstance(dev, Mapping):
        add("dev", dev.keys())
    table = poetry.get("group", {})
    for group, body in table.items() if isinstance(table, Mapping) else []:
        deps = body.get("dependencies", {}) if isinstance(body, Mapping) else {}
        add(str(group), deps.keys() if isinstance(deps, Mapping) else [])
    pep735 = manifest.get("dependency-groups", {})
    for group, values in pep735.items() if isinstance(pep735, Mapping) else []:
        add(str(group), requirement_names(values))
    return groups


def _poetry_groups_from_manifest(entries: list[_Entry], manifest: Mapping[str, Any]) -> None:
    groups = _poetry_manifest_groups(manifest)
    if not groups:
        return
    by_key: dict[str, list[_Entry]] = {}
    for entry in entries:
        by_key.setdefault(entry.key, []).append(entry)

    def closure(names: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        stack = [n for n in names if n in by_key]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            for entry in by_key[name]:
                stack.extend(r for r in entry.requires if r in by_key and r not in seen)
        return seen

    required = closure(groups.get("main", set()))
    in_groups: dict[str, set[str]] = {}
    for group, names in groups.items():
        if group == "main":
            continue
        for name in closure(names) - required:
            in_groups.setdefault(name, set()).add(group)
    for entry in entries:
        if entry.key in required:
            continue
        if entry.key in in_groups:
            entry.scope, entry.group = "optional", ",".join(sorted(in_groups[entry.key]))


def _poetry_entry(raw: Mapping[str, Any], line: int | None, legacy: Mapping[str, Any]) -> _Entry:
    name = _str(raw, "name", required=True)
    assert name is not None
    version = _str(raw, "version", required=True)
    entry = _Entry(name=name, version=version, line=line)
    files = raw.get("files")
    if files is None:
        files = legacy.get(name, legacy.get(normalize_name(name), []))
    if not isinstance(files, list):
        raise EntryError(f"'files' is {type(files).__name__}, expected an array")
    for item in files:
        if not isinstance(item, Mapping) or "hash" not in item:
            raise EntryError(f"malformed 'files' item {item!r}")
        entry.hashes.append(_hash(item["hash"], "files"))
    for dep_name, constraint in _table(raw, "dependencies").items():
        if not isinstance(constraint, (str, Mapping, list)):
            raise EntryError(f"dependency {dep_name!r} has a {type(constraint).__name__}")
        entry.requires.append(normalize_name(str(dep_name)))
    # markers: a string, or (lock 2.1) a table of group -> marker
    markers = raw.get("markers")
    if isinstance(markers, str):
        entry.marker = markers
    elif isinstance(markers, Mapping):
        values = [m for m in markers.values() if isinstance(m, str)]
        entry.marker = _join_markers(list(values)) if values else None
    elif markers is not None:
        raise EntryError(f"'markers' is {type(markers).__name__}")
    groups = raw.get("groups")
    category = raw.get("category")
    if groups is not None:
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise EntryError("'groups' is not an array of strings")
        if "main" not in groups:
            entry.scope, entry.group = "optional", ",".join(groups)
    elif isinstance(category, str) and category != "main":
        entry.scope, entry.group = "optional", category
    if raw.get("optional") is True:
        # only installed through an extra of the project
        entry.scope = "optional"
    source = _table(raw, "source")
    _poetry_source(entry, source)
    if raw.get("develop") is True:
        entry.editable = True
    return entry


def _poetry_source(entry: _Entry, source: Mapping[str, Any]) -> None:
    kind = source.get("type")
    url = source.get("url")
    if kind is None:
        return
    if not isinstance(kind, str) or (url is not None and not isinstance(url, str)):
        raise EntryError("malformed [package.source]")
    if kind == "legacy" or kind == "pypi":
        if url:
            entry.props.append((INDEX, _redacted(url, entry.props)))
        return
    if not url:
        raise EntryError(f"[package.source] of type {kind!r} has no url")
    if kind in ("git", "hg", "svn", "bzr"):
        entry.url = _redacted(
            f"{kind}+{url}" if "+" not in url.split(":", 1)[0] else url, entry.props
        )
        entry.url_kind = "vcs"
        ref = source.get("resolved_reference") or source.get("reference")
        entry.vcs_ref = ref if isinstance(ref, str) and ref else None
    elif kind == "url":
        entry.url, entry.url_kind = _redacted(url, entry.props), "url"
    elif kind in ("file", "directory"):
        entry.url, entry.url_kind = url, "path"
    else:
        entry.url, entry.url_kind = _redacted(url, entry.props), "url"
    sub = source.get("subdirectory")
    if isinstance(sub, str) and sub:
        entry.props.append(("aibom:subdirectory", sub))


# ---------------------------------------------------------------------------------------
# uv.lock


def collect_uv(file: FileRef, config: Config) -> Collected:
    return _collect(file, read_uv_projects, SourceKind.UV_LOCK, "uv.lock")


_UV_LOCAL = ("virtual", "editable", "directory", "path")


def read_uv(text: str, rel: str) -> tuple[list[Dependency], list[ScanError]]:
    deps, errors, _ = read_uv_projects(text, rel)
    return deps, errors


def _edge(edge: Mapping[str, Any]) -> LockedEdge:
    version = edge.get("version")
    return LockedEdge(
        normalize_name(str(edge.get("name", ""))), version if isinstance(version, str) else None
    )


def read_uv_projects(
    text: str, rel: str
) -> tuple[list[Dependency], list[ScanError], list[LockProject]]:
    """The lock's packages, errors, and the projects it resolves (its root package and the
    workspace members) with their exact edges."""
    data = _load_toml(text)
    kind = "uv.lock"
    errors: list[ScanError] = []
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise LockError("'package' is not an array of tables", _key_line(text, "package"))
    manifest = data.get("manifest", {})
    members = set()
    if isinstance(manifest, Mapping) and isinstance(manifest.get("members"), list):
        members = {normalize_name(m) for m in manifest["members"] if isinstance(m, str)}
    lines = _table_lines(text, "package")

    @dataclass
    class Node:
        entry: _Entry
        edges: list[Mapping[str, Any]]
        optional: dict[str, list[Mapping[str, Any]]]
        dev: dict[str, list[Mapping[str, Any]]]
        root: bool

    nodes: list[Node] = []
    for index, raw in enumerate(packages):
        line = _line_of(lines, index, len(packages))
        try:
            if not isinstance(raw, Mapping):
                raise EntryError(f"is {type(raw).__name__}, expected a table")
            nodes.append(Node(*_uv_entry(raw, line, members)))
        except EntryError as exc:
            errors.append(_entry_error(rel, line, kind, _entry_label(index, raw), exc))

    by_name: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        by_name.setdefault(node.entry.key, []).append(i)

    def targets(edge: Mapping[str, Any]) -> list[int]:
        """The entries an edge points at: uv names the version (and the source) of a
        dependency entry whenever the lock holds more than one candidate."""
        found = by_name.get(normalize_name(str(edge.get("name", ""))), [])
        version = edge.get("version")
        if isinstance(version, str):
            found = [i for i in found if nodes[i].entry.version == version] or found
        source = edge.get("source")
        if len(found) > 1 and isinstance(source, Mapping) and source:
            found = [i for i in found if _same_source(nodes[i].entry, source)] or found
        return found

    def closure(start: list[Mapping[str, Any]]) -> set[int]:
        """Packages reached from `start`, following required edges and the extras an
        edge asks for (`extra = [...]` pulls that package's optional-dependencies)."""
        seen: set[int] = set()
        seen_extras: set[tuple[int, str]] = set()
        stack: list[Mapping[str, Any]] = list(start)
        while stack:
            edge = stack.pop()
            extras = edge.get("extra", [])
            for t in targets(edge):
                if isinstance(extras, list):
                    for extra in map(str, extras):
                        if (t, extra) not in seen_extras:  # extras may form cycles too
                            seen_extras.add((t, extra))
                            stack.extend(nodes[t].optional.get(extra, []))
                if t not in seen:
                    seen.add(t)
                    stack.extend(nodes[t].edges)
        return seen

    roots = [i for i, n in enumerate(nodes) if n.root]
    root_edges = [e for i in roots for e in nodes[i].edges]
    required = closure(root_edges)
    groups: dict[int, set[str]] = {}
    for i in roots:
        for bucket in (nodes[i].optional, nodes[i].dev):
            for group, edges in bucket.items():
                for t in closure(edges) - required:
                    groups.setdefault(t, set()).add(group)
    # the markers of every edge into each package (from the roots and from other packages)
    incoming_markers: dict[int, list[str | None]] = {}
    for node in nodes:
        for edge in _all_edges(node.edges, node.optional, node.dev):
            marker = edge.get("marker")
            for t in targets(edge):
                incoming_markers.setdefault(t, []).append(
                    marker if isinstance(marker, str) else None
                )
    direct: set[str] = set()
    for i in roots:
        for edge in _all_edges(nodes[i].edges, nodes[i].optional, nodes[i].dev):
            direct.add(normalize_name(str(edge.get("name", ""))))

    # an edge that asks for an extra makes that extra's dependencies edges of the target
    for node in nodes:
        for edge in _all_edges(node.edges, node.optional, node.dev):
            extras = edge.get("extra", [])
            if not isinstance(extras, list):
                continue
            for t in targets(edge):
                for extra in map(str, extras):
                    extra_edges = nodes[t].optional.get(extra, [])
                    nodes[t].entry.requires.extend(normalize_name(e["name"]) for e in extra_edges)
                    nodes[t].entry.pinned.extend(
                        _edge(e) for e in extra_edges if isinstance(e.get("version"), str)
                    )

    entries = []
    for i, node in enumerate(nodes):
        if node.root:
            continue
        entry = node.entry
        entry.marker = _join_markers(incoming_markers.get(i, []))
        if i not in required and i in groups:
            entry.scope, entry.group = "optional", ",".join(sorted(groups[i]))
        entries.append(entry)
    deps = _finish(
        entries, rel, SourceKind.UV_LOCK, direct=direct if roots else None, content_hash=None
    )
    lock_folder = posixpath.dirname(rel) or "."
    projects = []
    for i in roots:
        node = nodes[i]
        local = node.entry.url or "."
        folder = posixpath.normpath(posixpath.join(lock_folder, local))
        edges = _all_edges(node.edges, node.optional, node.dev)
        projects.append(
            LockProject(
                name=node.entry.name,
                version=node.entry.version,
                folder=folder,
                lock=rel,
                location=Location(rel, node.entry.line),
                requires=tuple(
                    sorted({_edge(e) for e in edges} - {_edge({"name": node.entry.name})})
                ),
                member=folder != lock_folder,
            )
        )
    return deps, errors, projects


def _same_source(entry: _Entry, source: Mapping[str, Any]) -> bool:
    kind, value = next(iter(source.items()))
    if not isinstance(value, str):
        return False
    if kind == "registry":
        return (INDEX, redact_url(value)[0]) in entry.props
    clean = redact_url(value.split("#", 1)[0].split("?", 1)[0])[0]
    return entry.url is not None and clean in entry.url


def _all_edges(
    edges: list[Mapping[str, Any]],
    optional: Mapping[str, list[Mapping[str, Any]]],
    dev: Mapping[str, list[Mapping[str, Any]]],
) -> list[Mapping[str, Any]]:
    out = list(edges)
    for bucket in (optional, dev):
        for group_edges in bucket.values():
            out.extend(group_edges)
    return out


def _uv_edges(value: object, what: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(e, Mapping) and isinstance(e.get("name"), str) for e in value
    ):
        raise EntryError(f"{what} is not an array of {{ name = ... }} tables")
    return value


def _uv_entry(
    raw: Mapping[str, Any], line: int | None, members: set[str]
) -> tuple[
    _Entry,
    list[Mapping[str, Any]],
    dict[str, list[Mapping[str, Any]]],
    dict[str, list[Mapping[str, Any]]],
    bool,
]:
    name = _str(raw, "name", required=True)
    assert name is not None
    source = _table(raw, "source")
    source_kind = next(iter(source), None) if source else None
    local = source_kind in _UV_LOCAL
    version = _str(raw, "version", required=not local)
    entry = _Entry(name=name, version=version, line=line)
    root = normalize_name(name) in members or (
        source_kind in ("virtual", "editable") and source.get(source_kind) == "."
    )
    if source_kind is not None:
        value = source[source_kind]
        if not isinstance(value, str):
            raise EntryError(f"source.{source_kind} is {type(value).__name__}")
        if source_kind == "registry":
            entry.props.append((INDEX, _redacted(value, entry.props)))
        elif source_kind == "git":
            url, _, commit = value.partition("#")
            ref_match = re.search(r"[?&](?:rev|tag|branch)=([^&#]+)", url)
            entry.url = _redacted(f"git+{url.split('?', 1)[0]}", entry.props)
            entry.url_kind = "vcs"
            entry.vcs_ref = commit or (ref_match.group(1) if ref_match else None)
        elif source_kind == "url":
            entry.url, entry.url_kind = _redacted(value, entry.props), "url"
        elif local:
            entry.url, entry.url_kind = value, "path"
            entry.editable = source_kind == "editable"
        else:
            raise EntryError(f"unknown source kind {source_kind!r}")
    sdist = raw.get("sdist")
    artifacts: list[Any] = []
    if sdist is not None:
        artifacts.append(sdist)
    artifacts.extend(_list(raw, "wheels"))
    for artifact in artifacts:
        if not isinstance(artifact, Mapping):
            raise EntryError(f"malformed sdist/wheel {artifact!r}")
        if "hash" in artifact:
            entry.hashes.append(_hash(artifact["hash"], "sdist/wheels"))
    edges = _uv_edges(raw.get("dependencies"), "'dependencies'")
    optional = {
        str(k): _uv_edges(v, f"optional-dependencies.{k}")
        for k, v in _table(raw, "optional-dependencies").items()
    }
    dev = {
        str(k): _uv_edges(v, f"dev-dependencies.{k}")
        for k, v in _table(raw, "dev-dependencies").items()
    }
    entry.requires = [normalize_name(e["name"]) for e in edges]
    entry.pinned = [_edge(e) for e in edges if isinstance(e.get("version"), str)]
    return entry, edges, optional, dev, root


# ---------------------------------------------------------------------------------------
# Pipfile.lock


def collect_pipfile(file: FileRef, config: Config) -> Collected:
    result = _collect(file, read_pipfile, SourceKind.PIPFILE_LOCK, "Pipfile.lock")
    direct = pipfile_direct_names(file.path.parent / "Pipfile")
    if direct:
        result.dependencies = [
            replace(d, direct=True) if d.key in direct else d for d in result.dependencies
        ]
    return result


def pipfile_direct_names(pipfile: Path) -> set[str]:
    """The normalised names a Pipfile asks for (every package category), empty when there
    is no readable Pipfile: Pipfile.lock itself does not say which packages are direct."""
    try:
        if not pipfile.is_file():
            return set()
        data = _load_toml(_read_text(pipfile))
    except LockError:
        return set()
    names: set[str] = set()
    for section, values in data.items():
        if section in _PIPFILE_SECTIONS - {"packages", "dev-packages"}:
            continue
        if isinstance(values, Mapping):
            names.update(normalize_name(str(k)) for k in values)
    return names


def read_pipfile(text: str, rel: str) -> tuple[list[Dependency], list[ScanError]]:
    data = _load_json(text)
    kind = "Pipfile.lock"
    if not isinstance(data, Mapping):
        raise LockError(f"top level is {type(data).__name__}, expected an object", 1)
    meta = data.get("_meta", {})
    if not isinstance(meta, Mapping):
        raise LockError("'_meta' is not an object")
    content_hash = None
    if isinstance(meta.get("hash"), Mapping) and isinstance(meta["hash"].get("sha256"), str):
        content_hash = meta["hash"]["sha256"]
    sources: dict[str, str] = {}
    if isinstance(meta.get("sources"), list):
        for src in meta["sources"]:
            if isinstance(src, Mapping) and isinstance(src.get("url"), str):
                sources[str(src.get("name", ""))] = src["url"]
    errors: list[ScanError] = []
    entries: list[_Entry] = []
    cursor = 0
    for section, packages in data.items():
        if section == "_meta":
            continue
        # Sections and entries appear in the text in the order json.loads returns them:
        # find each key after the previous one; an entry key is followed by `{`, which
        # keeps a package named like a field ("hashes", "markers") from matching a field.
        offset, section_line = _json_key(text, section, cursor, obj=True)
        cursor = offset
        if not isinstance(packages, Mapping):
            errors.append(
                ScanError(
                    Location(rel, section_line),
                    f"{kind}: section {section!r} is {type(packages).__name__}, expected an object",
                )
            )
            continue
        for name, raw in packages.items():
            offset, line = _json_key(text, name, cursor, obj=isinstance(raw, Mapping))
            cursor = offset
            try:
                entries.append(_pipfile_entry(str(name), raw, line, section, sources))
            except EntryError as exc:
                errors.append(_entry_error(rel, line, kind, f"package {name!r}", exc))
    # Pipfile.lock records no edges and does not say which packages are direct.
    deps = _finish(entries, rel, SourceKind.PIPFILE_LOCK, direct=set(), content_hash=content_hash)
    return deps, errors


def _json_key(text: str, key: str, start: int, *, obj: bool) -> tuple[int, int | None]:
    """(offset after the match, 1-based line) of `"key":` at or after `start`;
    (start, None) when not found."""
    pattern = re.escape(json.dumps(key)) + (r"\s*:\s*\{" if obj else r"\s*:")
    match = re.compile(pattern).search(text, start)
    if match is None:
        return start, None
    return match.end(), text.count("\n", 0, match.start()) + 1


def _pipfile_entry(
    name: str, raw: object, line: int | None, section: str, sources: Mapping[str, str]
) -> _Entry:
    if not isinstance(raw, Mapping):
        raise EntryError(f"is {type(raw).__name__}, expected an object")
    entry = _Entry(name=name, version=None, line=line)
    version = _str(raw, "version")
    if version is not None:
        spec = version.strip()
        if spec.startswith("==="):
            entry.version = spec[3:].strip()
        elif spec.startswith("=="):
            entry.version = spec[2:].strip()
        entry.specifier = f"=={entry.version}" if entry.version else ("" if spec == "*" else spec)
    else:
        entry.specifier = ""
    for h in _list(raw, "hashes"):
        entry.hashes.append(_hash(h, "hashes"))
    entry.marker = _str(raw, "markers")
    extras = _list(raw, "extras")
    entry.extras = tuple(str(e) for e in extras)
    if section == "default":
        pass
    else:
        entry.scope, entry.group = "optional", section
    index = _str(raw, "index")
    if index is not None:
        url = sources.get(index)
        entry.props.append((INDEX, _redacted(url, entry.props) if url else index))
    for vcs in ("git", "hg", "svn", "bzr"):
        url = _str(raw, vcs)
        if url is not None:
            prefix = "" if url.startswith(f"{vcs}+") else f"{vcs}+"
            entry.url, entry.url_kind = _redacted(prefix + url, entry.props), "vcs"
            entry.vcs_ref = _str(raw, "ref")
    file_url = _str(raw, "file")
    if file_url is not None:
        local = "://" not in file_url or file_url.startswith("file:")
        entry.url = _redacted(file_url, entry.props)
        entry.url_kind = "path" if local else "url"
    path = _str(raw, "path")
    if path is not None:
        entry.url, entry.url_kind = path, "path"
    entry.editable = raw.get("editable") is True
    return entry


# ---------------------------------------------------------------------------------------
# pdm.lock


def collect_pdm(file: FileRef, config: Config) -> Collected:
    return _collect(file, read_pdm, SourceKind.PDM_LOCK, "pdm.lock")


def read_pdm(text: str, rel: str) -> tuple[list[Dependency], list[ScanError]]:
    data = _load_toml(text)
    kind = "pdm.lock"
    metadata = data.get("metadata", {})
    if not isinstance(metadata, Mapping):
        raise LockError("[metadata] is not a table")
    content_hash = metadata.get("content_hash")
    content_hash = content_hash if isinstance(content_hash, str) else None
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise LockError("'package' is not an array of tables", _key_line(text, "package"))
    lines = _table_lines(text, "package")
    errors: list[ScanError] = []
    entries = []
    for index, raw in enumerate(packages):
        line = _line_of(lines, index, len(packages))
        try:
            if not isinstance(raw, Mapping):
                raise EntryError(f"is {type(raw).__name__}, expected a table")
            entries.append(_pdm_entry(raw, line))
        except EntryError as exc:
            errors.append(_entry_error(rel, line, kind, _entry_label(index, raw), exc))
    deps = _finish(entries, rel, SourceKind.PDM_LOCK, direct=None, content_hash=content_hash)
    return deps, errors


def _pdm_entry(raw: Mapping[str, Any], line: int | None) -> _Entry:
    name = _str(raw, "name", required=True)
    assert name is not None
    local = any(k in raw for k in ("path", "git", "hg", "svn", "bzr", "url"))
    version = _str(raw, "version", required=not local)
    entry = _Entry(name=name, version=version, line=line)
    for item in _list(raw, "files"):
        if not isinstance(item, Mapping) or "hash" not in item:
            raise EntryError(f"malformed 'files' item {item!r}")
        entry.hashes.append(_hash(item["hash"], "files"))
    for req in _list(raw, "dependencies"):
        if not isinstance(req, str):
            raise EntryError(f"dependency {req!r} is not a string")
        entry.requires.append(_requirement_name(req))
    entry.marker = _str(raw, "marker")
    extras = _list(raw, "extras")
    entry.extras = tuple(str(e) for e in extras)
    groups = _list(raw, "groups")
    if groups and "default" not in groups:
        entry.scope, entry.group = "optional", ",".join(str(g) for g in groups)
    for vcs in ("git", "hg", "svn", "bzr"):
        url = _str(raw, vcs)
        if url is not None:
            entry.url, entry.url_kind = _redacted(f"{vcs}+{url}", entry.props), "vcs"
            entry.vcs_ref = _str(raw, "revision") or _str(raw, "ref")
    url = _str(raw, "url")
    if url is not None and entry.url is None:
        local = url.startswith("file:")
        entry.url, entry.url_kind = _redacted(url, entry.props), ("path" if local else "url")
    path = _str(raw, "path")
    if path is not None:
        entry.url, entry.url_kind = path, "path"
    entry.editable = raw.get("editable") is True
    return entry


# ---------------------------------------------------------------------------------------
# PEP 751 pylock.toml


def collect_pylock(file: FileRef, config: Config) -> Collected:
    return _collect(file, read_pylock, SourceKind.PYLOCK, "pylock.toml")


def read_pylock(text: str, rel: str) -> tuple[list[Dependency], list[ScanError]]:
    data = _load_toml(text)
    kind = "pylock.toml"
    version = data.get("lock-version")
    if not isinstance(version, str):
        raise LockError("missing 'lock-version' (not a PEP 751 lock file?)")
    if not version.startswith("1."):
        raise LockError(
            f"unsupported lock-version {version!r} (aibom reads 1.x)",
            _key_line(text, "lock-version"),
        )
    packages = data.get("packages", [])
    if not isinstance(packages, list):
        raise LockError("'packages' is not an array of tables", _key_line(text, "packages"))
    lines = _table_lines(text, "packages")
    errors: list[ScanError] = []
    entries = []
    has_edges = False
    for index, raw in enumerate(packages):
        line = _line_of(lines, index, len(packages))
        try:
            if not isinstance(raw, Mapping):
                raise EntryError(f"is {type(raw).__name__}, expected a table")
            has_edges = has_edges or "dependencies" in raw
            entries.append(_pylock_entry(raw, line))
        except EntryError as exc:
            errors.append(_entry_error(rel, line, kind, _entry_label(index, raw), exc))
    defaults = data.get("default-groups", [])
    default_groups = {str(g) for g in defaults} if isinstance(defaults, list) else set()
    for entry in entries:
        if entry.marker:
            _pylock_scope(entry, default_groups)
    deps = _finish(
        entries, rel, SourceKind.PYLOCK, direct=None if has_edges else set(), content_hash=None
    )
    return deps, errors


def _pylock_scope(entry: _Entry, default_groups: set[str]) -> None:
    """PEP 751 markers can name dependency groups and extras (`'docs' in
    dependency_groups`, `'yaml' in extras`): a package is required when its marker can hold
    with the lock's `default-groups` and no extras (environment clauses such as
    `sys_platform == 'win32'` count as able to hold), else optional in the groups and
    extras its marker names."""
    from packaging.markers import InvalidMarker, Marker

    try:
        parsed = Marker(entry.marker or "")._markers
    except InvalidMarker:
        return
    named: set[str] = set()

    def atom(item: Any) -> bool:
        if isinstance(item, list):
            return expression(item)
        left, op, right = item
        for value, variable in ((left, right), (right, left)):
            if type(variable).__name__ == "Variable" and variable.value in (
                "dependency_groups",
                "extras",
            ):
                wanted = str(value.value)
                if op.value not in ("in", "not in"):
                    return True
                named.add(wanted)
                present = variable.value == "dependency_groups" and wanted in default_groups
                return present if op.value == "in" else not present
        return True  # an environment clause: it can hold somewhere

    def expression(items: list[Any]) -> bool:
        result, term = False, True
        for item in items:
            if item == "or":
                result, term = result or term, True
            elif item != "and":
                term = atom(item) and term
        return result or term

    if not expression(list(parsed)) and named:
        entry.scope, entry.group = "optional", ",".join(sorted(named))


def _pylock_entry(raw: Mapping[str, Any], line: int | None) -> _Entry:
    name = _str(raw, "name", required=True)
    assert name is not None
    local = any(k in raw for k in ("vcs", "directory", "archive"))
    version = _str(raw, "version", required=not local)
    entry = _Entry(name=name, version=version, line=line)
    entry.marker = _str(raw, "marker")
    index = _str(raw, "index")
    if index is not None:
        entry.props.append((INDEX, _redacted(index, entry.props)))
    for dep in _list(raw, "dependencies"):
        if not isinstance(dep, Mapping) or not isinstance(dep.get("name"), str):
            raise EntryError(f"malformed dependency {dep!r}")
        entry.requires.append(normalize_name(dep["name"]))
    artifacts: list[tuple[str, Any]] = []
    if "sdist" in raw:
        artifacts.append(("sdist", raw["sdist"]))
    artifacts.extend(("wheels", w) for w in _list(raw, "wheels"))
    if "archive" in raw:
        artifacts.append(("archive", raw["archive"]))
    for what, artifact in artifacts:
        if not isinstance(artifact, Mapping):
            raise EntryError(f"{what} is {type(artifact).__name__}, expected a table")
        if "hashes" not in artifact:
            raise EntryError(f"{what} without 'hashes' (PEP 751 requires them)")
        entry.hashes.extend(_hash_table(artifact["hashes"], what))
    vcs = raw.get("vcs")
    if vcs is not None:
        if not isinstance(vcs, Mapping):
            raise EntryError("'vcs' is not a table")
        vtype = _str(vcs, "type") or "git"
        url = _str(vcs, "url") or _str(vcs, "path")
        if url is None:
            raise EntryError("'vcs' has neither url nor path")
        entry.url = _redacted(f"{vtype}+{url}", entry.props)
        entry.url_kind = "vcs"
        entry.vcs_ref = _str(vcs, "commit-id") or _str(vcs, "requested-revision")
    directory = raw.get("directory")
    if directory is not None:
        if not isinstance(directory, Mapping) or not isinstance(directory.get("path"), str):
            raise EntryError("'directory' has no path")
        entry.url, entry.url_kind = directory["path"], "path"
        entry.editable = directory.get("editable") is True
    archive = raw.get("archive")
    if isinstance(archive, Mapping):
        if isinstance(archive.get("url"), str):
            entry.url, entry.url_kind = _redacted(archive["url"], entry.props), "url"
        elif isinstance(archive.get("path"), str):
            entry.url, entry.url_kind = archive["path"], "path"
    return entry


# ---------------------------------------------------------------------------------------
# Is the lock up to date with its manifest?


# lock file name -> the manifest file beside it that the lock's content hash covers
LOCK_MANIFESTS = {
    "poetry.lock": "pyproject.toml",
    "Pipfile.lock": "Pipfile",
    "pdm.lock": "pyproject.toml",
}


def lock_content_hash_matches(lock_path: Path, manifest_path: Path) -> bool | None:
    """Recompute the manifest hash a lock records and compare.

    - `poetry.lock` + `pyproject.toml`: Poetry's `Locker._get_content_hash` (Poetry 2.x;
      locks written before Poetry 2.3 hashed without `[dependency-groups]`, both accepted);
    - `Pipfile.lock` + `Pipfile`: pipenv's `calculate_hash` (package names PEP 503
      normalised) or plette's `get_hash` (names as written), either accepted;
    - `pdm.lock` + `pyproject.toml`: PDM's `PyProject.content_hash` (not for workspaces).

    True / False when it could tell; None when it cannot (unknown lock, unreadable or
    malformed files, no hash recorded, a layout this function does not model).
    """
    name = lock_path.name
    try:
        text = _read_text(lock_path)
        if name == "poetry.lock":
            recorded = _load_toml(text).get("metadata", {}).get("content-hash")
        elif name == "Pipfile.lock":
            recorded = _load_json(text).get("_meta", {}).get("hash", {}).get("sha256")
        elif name == "pdm.lock":
            recorded = _load_toml(text).get("metadata", {}).get("content_hash")
        else:
            return None
    except (LockError, AttributeError):
        return None
    if not isinstance(recorded, str):
        return None
    return _content_hash_verdict(name, recorded, manifest_path)


def _content_hash_verdict(lock_name: str, recorded: str, manifest_path: Path) -> bool | None:
    try:
        manifest = _load_toml(_read_text(manifest_path))
        if lock_name == "poetry.lock":
            return recorded in {_poetry_hash(manifest, True), _poetry_hash(manifest, False)}
        if lock_name == "Pipfile.lock":
            return recorded in {_pipfile_hash(manifest, True), _pipfile_hash(manifest, False)}
        if lock_name == "pdm.lock":
            algo, sep, value = recorded.partition(":")
            pdm = manifest.get("tool", {}).get("pdm", {})
            if not sep or "workspace" in pdm or algo not in hashlib.algorithms_available:
                return None
            return value == _pdm_hash(manifest, algo)
    except (LockError, AttributeError, TypeError, ValueError):
        return None
    return None


def _with_verdict(file: FileRef, deps: list[Dependency]) -> list[Dependency]:
    """Add `aibom:lock:manifest` and `aibom:lock:content-hash-matches` ("true"/"false") to
    every entry of a lock whose recorded manifest hash could be compared with the manifest
    beside it (nothing when there is none or it cannot tell)."""
    manifest_name = LOCK_MANIFESTS.get(file.path.name)
    recorded = next((v for d in deps for k, v in d.properties if k == CONTENT_HASH), None)
    if manifest_name is None or recorded is None:
        return deps
    manifest = file.path.parent / manifest_name
    if not manifest.is_file():
        return deps
    verdict = _content_hash_verdict(file.path.name, recorded, manifest)
    if verdict is None:
        return deps
    rel_manifest = posixpath.join(posixpath.dirname(file.rel), manifest_name)
    extra = ((MANIFEST, rel_manifest), (HASH_MATCHES, "true" if verdict else "false"))
    return [replace(d, properties=d.properties + extra) for d in deps]


def _json_text(value: object, **kwargs: Any) -> str:
    # TOML dates and times are not JSON; the tools would fail on them too.
    return json.dumps(value, sort_keys=True, default=str, **kwargs)


def _poetry_hash(pyproject: Mapping[str, Any], with_groups: bool) -> str:
    project = pyproject.get("project", {})
    group_content = pyproject.get("dependency-groups", {}) if with_groups else {}
    poetry = pyproject.get("tool", {}).get("poetry", {})
    legacy_keys = ["dependencies", "source", "extras", "dev-dependencies"]
    relevant_project = {
        k: project[k]
        for k in ("requires-python", "dependencies", "optional-dependencies")
        if project.get(k) is not None
    }
    relevant_poetry: dict[str, Any] = {}
    for key in [*legacy_keys, "group"]:
        data = poetry.get(key)
        if data is None and (key not in legacy_keys or relevant_project or group_content):
            continue
        relevant_poetry[key] = data
    content: dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if group_content:
        content["dependency-groups"] = group_content
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return hashlib.sha256(_json_text(content).encode()).hexdigest()


_PIPFILE_SECTIONS = frozenset(
    {"source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"}
)
_PIPFILE_DEFAULT_SOURCE = [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]


def _pipfile_hash(pipfile: Mapping[str, Any], normalise: bool) -> str:
    def section(values: Any) -> Any:
        if normalise and isinstance(values, Mapping):
            return {normalize_name(k): v for k, v in values.items()}
        return values

    data: dict[str, Any] = {
        "_meta": {
            "sources": pipfile.get("source", _PIPFILE_DEFAULT_SOURCE),
            "requires": pipfile.get("requires", {}),
        },
        "default": section(pipfile.get("packages", {})),
        "develop": section(pipfile.get("dev-packages", {})),
    }
    for category, values in pipfile.items():
        if category in _PIPFILE_SECTIONS or category in ("default", "develop"):
            continue
        data[category] = section(values)
    text = _json_text(data, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _pdm_hash(pyproject: Mapping[str, Any], algo: str) -> str:
    project = pyproject.get("project", {})
    pdm = pyproject.get("tool", {}).get("pdm", {})
    dev: dict[str, list[Any]] = {}
    for group, deps in pyproject.get("dependency-groups", {}).items():
        dev[normalize_name(group)] = list(deps)
    for group, deps in pdm.get("dev-dependencies", {}).items():
        dev.setdefault(normalize_name(group), []).extend(deps)
    dump = {
        "sources": pdm.get("source", []),
        "dependencies": project.get("dependencies", []),
        "dev-dependencies": dev,
        "optional-dependencies": project.get("optional-dependencies", {}),
        "requires-python": project.get("requires-python", ""),
        "resolution": pdm.get("resolution", {}),
    }
    hasher = hashlib.new(algo)
    hasher.update(_json_text(dump).encode("utf-8"))
    return hasher.hexdigest()
