"""`pyproject.toml`: the project's identity and every dependency it declares.

- PEP 621 `[project]`: `name`, `version`, `description`, `license` -> `ProjectInfo` (the
  AIBOM's root component); `dependencies` (scope "required"); `optional-dependencies`
  (scope "optional", group = the extra).
- PEP 735 `[dependency-groups]`: scope "optional", group = the group; `{include-group = ...}`
  is resolved (the included requirements are recorded again under the including group, at
  the line where they are written, with the property `via-group`); a cycle or an unknown
  group is a scan error.
- `[build-system].requires`: scope "required", group "build-system".
- Poetry: `[tool.poetry]` name/version (when there is no `[project]` name),
  `[tool.poetry.dependencies]` (scope "required"; `optional = true` -> "optional", group =
  the extra that lists it), `[tool.poetry.dev-dependencies]` (group "dev") and
  `[tool.poetry.group.<name>.dependencies]` (group <name>), both scope "optional". Poetry
  constraints are converted to PEP 440 (`^1.2` -> `<2.0,>=1.2`, `~1.2` -> `<1.3,>=1.2`,
  `1.2.3` -> `==1.2.3`); the declaration as written stays in `raw`. `[[tool.poetry.source]]`
  entries become `IndexOption`s.
- uv: `[tool.uv] dev-dependencies` (group "dev", scope "optional"), `[[tool.uv.index]]`
  -> `IndexOption` (`--default-index`, `--index`, or `uv-explicit-index`), and
  `[tool.uv.sources]` applied to the matching dependencies (git / url become the
  dependency's URL; `path`, `index` and `workspace` become properties).

`dynamic = ["dependencies"]` means the build backend computes them: nothing is recorded
(there is nothing static to read); lock files or installed environments cover that case.

tomllib gives no line numbers: each requirement's line is found by searching the text for
the quoted string under its table and key (best effort; falls back to the key's line).
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..config import Config
from ..model import (
    Collected,
    Dependency,
    FileRef,
    Gap,
    IndexOption,
    Location,
    ProjectInfo,
    ScanError,
    SourceKind,
    normalize_name,
)
from ..redact import redact_text, redact_url
from .pep508 import exact_version, name_for
from .text import text_suppressions

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_GROUP_ITEMS = 100_000  # requirements produced by resolving include-group chains

SOURCE = SourceKind.PYPROJECT


def collect(file: FileRef, config: Config) -> Collected:
    if file.size > MAX_FILE_BYTES:
        return Collected(
            errors=[
                ScanError(
                    Location(file.rel),
                    f"file too large for pyproject.toml ({file.size} bytes, limit "
                    f"{MAX_FILE_BYTES}); not parsed",
                )
            ]
        )
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        return Collected(
            errors=[ScanError(Location(file.rel), f"cannot read: {exc.strerror or exc}")]
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Collected(
            errors=[ScanError(Location(file.rel, line), "invalid TOML: not UTF-8 text")]
        )
    return top_level_only(parse_pyproject_text(text, file.rel), file.rel)


def top_level_only(out: Collected, rel: str) -> Collected:
    """Only a project file at the top of the scanned folder names the scanned project (the
    AIBOM's root component); a nested one (`libs/x/pyproject.toml`) is a sub-project whose
    dependencies are inventoried but whose name is not the root's: it is kept in
    `projects`, so the graph shows it as a first-party project component."""
    if "/" in rel and out.project is not None:
        out.projects.append(out.project)
        out.project = None
    return out


def parse_pyproject_text(text: str, rel: str) -> Collected:
    """Parse pyproject.toml content recorded as `rel`."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        return Collected(errors=[ScanError(Location(rel), "invalid TOML: nested too deeply")])
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"at line (\d+)", message)
        line = int(match.group(1)) if match else None
        return Collected(errors=[ScanError(Location(rel, line), f"invalid TOML: {message}")])
    reader = _Reader(rel, _Lines(text))
    reader.out.suppressions.extend(text_suppressions(text, rel))
    try:
        reader.read(data)
    except RecursionError:
        reader.out.errors.append(ScanError(Location(rel), "values nested too deeply to read"))
    return reader.out


# --------------------------------------------------------------------------- line finding


class _Lines:
    """Finds where values sit in the raw TOML text (tomllib has no positions)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self.headers = [
            (m.start(), m.group(1)) for m in re.finditer(r"(?m)^[ \t]*\[\[?([^\]\n]+)\]\]?", text)
        ]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def table(self, dotted: tuple[str, ...]) -> tuple[int, int] | None:
        """(start, end) offsets of the `[a.b.c]` table whose path is `dotted`."""
        for index, (start, name) in enumerate(self.headers):
            if _split_key(name) == dotted:
                end = (
                    self.headers[index + 1][0] if index + 1 < len(self.headers) else len(self.text)
                )
                return start, end
        return None

    def key(self, key: str, start: int, end: int) -> int | None:
        quoted = re.escape(key)
        pattern = re.compile(rf"(?m)^[ \t]*(?:{quoted}|\"{quoted}\"|'{quoted}')[ \t]*=")
        match = pattern.search(self.text, start, end)
        return match.start() if match else None

    def value(self, value: str, start: int, end: int) -> tuple[int, int] | None:
        """Offsets (start, end) of the quoted string `value` between start and end."""
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        best: tuple[int, int] | None = None
        for needle in (f'"{escaped}"', f"'{value}'", f'"""{value}"""', f"'''{value}'''"):
            # only an earlier hit can win: bound the search by the best one so far
            limit = end if best is None else min(end, best[0] + len(needle))
            pos = self.text.find(needle, start, limit)
            if pos != -1 and (best is None or pos < best[0]):
                best = (pos, pos + len(needle))
        return best

    def locate(self, table: tuple[str, ...], key: str | None) -> tuple[int, int]:
        """A (start, end) search window for the values under `table`.`key`."""
        found = self.table(table)
        if found is not None:
            start, end = found
            if key is not None:
                pos = self.key(key, start, end)
                if pos is not None:
                    return pos, end
            return start, end
        # a dotted key or an inline table in a parent table: look for the key anywhere
        for cut in range(len(table) - 1, 0, -1):
            parent = self.table(table[:cut])
            if parent is None:
                continue
            pos = self.key(".".join(table[cut:] + ((key,) if key else ())), *parent)
            if pos is None:
                pos = self.key(table[cut], *parent)
            if pos is not None:
                return pos, parent[1]
        return 0, len(self.text)


def _split_key(name: str) -> tuple[str, ...]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([^.\s]+)", name)
    return tuple(next(p for p in groups if p) if any(groups) else "" for groups in parts)


@dataclass
class _Cursor:
    """Walks forward through one list's window so repeated values get successive lines."""

    lines: _Lines
    start: int
    end: int
    fallback: int | None = None

    def __post_init__(self) -> None:
        self.pos = self.start
        if self.fallback is None:
            self.fallback = self.lines.line_of(self.start)

    def find(self, value: str) -> int | None:
        hit = self.lines.value(value, self.pos, self.end)
        if hit is None:
            hit = self.lines.value(value, self.start, self.end)
        if hit is None:
            return self.fallback
        self.pos = hit[1]
        return self.lines.line_of(hit[0])


# --------------------------------------------------------------------------- reading


@dataclass
class _Reader:
    rel: str
    lines: _Lines
    out: Collected = field(default_factory=Collected)

    def loc(self, line: int | None) -> Location:
        return Location(self.rel, line)

    def error(self, line: int | None, reason: str) -> None:
        err = ScanError(self.loc(line), reason)
        if err not in self.out.errors:
            self.out.errors.append(err)

    def read(self, data: dict[str, Any]) -> None:
        project = data.get("project")
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        if project is not None and not isinstance(project, dict):
            self.error(self._line(("project",), None), "[project] must be a table")
            project = None
        if poetry is not None and not isinstance(poetry, dict):
            poetry = None
        self.out.project = self._project_info(project, poetry)
        build = data.get("build-system")
        if isinstance(build, dict) and "requires" in build:
            self._requirement_list(
                build["requires"], ("build-system",), "requires", "required", "build-system"
            )
        if project is not None:
            if "dependencies" in project:
                self._requirement_list(
                    project["dependencies"], ("project",), "dependencies", "required", None
                )
            optional = project.get("optional-dependencies")
            if optional is not None:
                if not isinstance(optional, dict):
                    self.error(
                        self._line(("project",), "optional-dependencies"),
                        "project.optional-dependencies must be a table of lists",
                    )
                else:
                    for extra, items in optional.items():
                        self._requirement_list(
                            items, ("project", "optional-dependencies"), extra, "optional", extra
                        )
        groups = data.get("dependency-groups")
        if groups is not None:
            self._dependency_groups(groups)
        if poetry is not None:
            self._poetry(poetry)
        uv = tool.get("uv") if isinstance(tool, dict) else None
        if isinstance(uv, dict):
            self._uv(uv)
        self._hatch_dynamic(tool if isinstance(tool, dict) else {})

    def _hatch_dynamic(self, tool: dict[str, Any]) -> None:
        """hatch's uv-dynamic-versioning metadata hook holds the dependency tables when
        `[project].dynamic` names them: `[tool.hatch.metadata.hooks.uv-dynamic-versioning]`
        `dependencies` and `optional-dependencies` (`{{ version }}` templates are gaps)."""
        hooks = tool.get("hatch", {})
        for key in ("metadata", "hooks", "uv-dynamic-versioning"):
            hooks = hooks.get(key, {}) if isinstance(hooks, dict) else {}
        if not isinstance(hooks, dict) or not hooks:
            return
        base = ("tool", "hatch", "metadata", "hooks", "uv-dynamic-versioning")
        tables: list[tuple[tuple[str, ...], str, Any, str, str | None]] = []
        if "dependencies" in hooks:
            tables.append((base, "dependencies", hooks["dependencies"], "required", None))
        optional = hooks.get("optional-dependencies")
        if isinstance(optional, dict):
            for extra, items in optional.items():
                tables.append(((*base, "optional-dependencies"), extra, items, "optional", extra))
        for table, key, items, scope, group in tables:
            if isinstance(items, list):
                templated = [i for i in items if isinstance(i, str) and "{{" in i]
                line = self._line(table, key)
                for item in templated:
                    reason = (
                        f"hatch uv-dynamic-versioning template {item!r}: filled in at build time"
                    )
                    self.out.gaps.append(Gap(self.loc(line), reason))
                items = [i for i in items if not (isinstance(i, str) and "{{" in i)]
            self._requirement_list(items, table, key, scope, group)

    # ---- uv

    def _uv(self, uv: dict[str, Any]) -> None:
        """`[tool.uv]`: legacy `dev-dependencies`, `[[tool.uv.index]]`, `[tool.uv.sources]`."""
        if "dev-dependencies" in uv:
            self._requirement_list(
                uv["dev-dependencies"], ("tool", "uv"), "dev-dependencies", "optional", "dev"
            )
        indexes = uv.get("index")
        if isinstance(indexes, list):
            start = self.lines.locate(("tool", "uv", "index"), None)[0]
            cursor = _Cursor(self.lines, start, len(self.lines.text))
            for index in indexes:
                if not isinstance(index, dict) or not isinstance(index.get("url"), str):
                    continue
                url, had = redact_url(index["url"])
                if index.get("default") is True:
                    option = "--default-index"
                elif index.get("explicit") is True:
                    option = "uv-explicit-index"
                else:
                    option = "--index"
                line = cursor.find(index["url"])
                self.out.index_options.append(IndexOption(option, url, self.loc(line), had))
        sources = uv.get("sources")
        if isinstance(sources, dict):
            by_name = {normalize_name(k): v for k, v in sources.items() if isinstance(v, dict)}
            self.out.dependencies = [
                _with_uv_source(dep, by_name.get(dep.key)) if dep.source == SOURCE else dep
                for dep in self.out.dependencies
            ]

    def _line(self, table: tuple[str, ...], key: str | None) -> int:
        return self.lines.line_of(self.lines.locate(table, key)[0])

    # ---- project identity

    def _project_info(
        self, project: dict[str, Any] | None, poetry: dict[str, Any] | None
    ) -> ProjectInfo | None:
        for table, path in ((project, ("project",)), (poetry, ("tool", "poetry"))):
            if table is None or "name" not in table:
                continue
            name = table["name"]
            if not isinstance(name, str):
                self.error(self._line(path, "name"), f"{'.'.join(path)}.name must be a string")
                continue
            version = table.get("version")
            description = table.get("description")
            return ProjectInfo(
                name=name,
                version=version if isinstance(version, str) else None,
                location=self.loc(self._line(path, "name")),
                licenses=_licenses(table.get("license")),
                description=description if isinstance(description, str) else None,
            )
        return None

    # ---- PEP 508 lists

    def _requirement_list(
        self,
        items: Any,
        table: tuple[str, ...],
        key: str,
        scope: str,
        group: str | None,
    ) -> None:
        start, end = self.lines.locate(table, key)
        where = ".".join((*table, key))
        if not isinstance(items, list):
            self.error(self.lines.line_of(start), f"{where} must be a list of strings")
            return
        cursor = _Cursor(self.lines, start, end)
        for item in items:
            if not isinstance(item, str):
                self.error(self.lines.line_of(start), f"{where}: {item!r} is not a string")
                continue
            line = cursor.find(item)
            dep = self._pep508(item, line, scope, group)
            if dep is not None:
                self.out.dependencies.append(dep)

    def _pep508(
        self,
        text: str,
        line: int | None,
        scope: str,
        group: str | None,
        properties: tuple[tuple[str, str], ...] = (),
    ) -> Dependency | None:
        try:
            req = Requirement(text)
        except (InvalidRequirement, ValueError) as exc:
            self.error(
                line,
                f"invalid requirement: {str(exc).splitlines()[0]}: {redact_text(text)[0]}",
            )
            return None
        url = req.url
        kind = _url_kind(url) if url else None
        props = properties
        if url and redact_text(url)[1]:
            props = (*props, ("credentials", "redacted"))
        return Dependency(
            name=req.name,
            location=self.loc(line),
            source=SOURCE,
            specifier=str(req.specifier),
            version=exact_version(req.specifier),
            extras=tuple(sorted(req.extras)),
            marker=str(req.marker) if req.marker is not None else None,
            url=redact_url(url)[0] if url else None,
            url_kind=kind,
            vcs_ref=_vcs_ref(url) if url and kind == "vcs" else None,
            scope=scope,
            group=group,
            properties=props,
            raw=redact_text(text)[0],
        )

    # ---- PEP 735

    def _dependency_groups(self, groups: Any) -> None:
        if not isinstance(groups, dict):
            self.error(
                self._line(("dependency-groups",), None), "[dependency-groups] must be a table"
            )
            return
        by_norm = {normalize_name(name): name for name in groups}
        # where each group's own strings are written
        declared: dict[str, list[tuple[str, int | None] | tuple[None, str]]] = {}
        for name, items in groups.items():
            start, end = self.lines.locate(("dependency-groups",), name)
            if not isinstance(items, list):
                self.error(self.lines.line_of(start), f"dependency-groups.{name} must be a list")
                declared[name] = []
                continue
            cursor = _Cursor(self.lines, start, end)
            entries: list[tuple[str, int | None] | tuple[None, str]] = []
            for item in items:
                if isinstance(item, str):
                    entries.append((item, cursor.find(item)))
                elif (
                    isinstance(item, dict)
                    and set(item) == {"include-group"}
                    and isinstance(item["include-group"], str)
                ):
                    entries.append((None, item["include-group"]))
                else:
                    self.error(
                        self.lines.line_of(start),
                        f"dependency-groups.{name}: {item!r} is neither a requirement string "
                        'nor {include-group = "name"}',
                    )
            declared[name] = entries
        budget = [MAX_GROUP_ITEMS]
        for name in groups:
            for text, line, origin in self._resolve_group(name, declared, by_norm, (name,), budget):
                props = (("via-group", origin),) if origin != name else ()
                dep = self._pep508(text, line, "optional", name, props)
                if dep is not None:
                    self.out.dependencies.append(dep)

    def _resolve_group(
        self,
        name: str,
        declared: dict[str, list[tuple[str, int | None] | tuple[None, str]]],
        by_norm: dict[str, str],
        chain: tuple[str, ...],
        budget: list[int],
    ) -> Iterator[tuple[str, int | None, str]]:
        for text, where in declared.get(name, []):
            if text is not None:
                budget[0] -= 1
                if budget[0] < 0:
                    if budget[0] == -1:
                        self.error(
                            self._line(("dependency-groups",), name),
                            f"include-group chains expand to more than {MAX_GROUP_ITEMS} "
                            "requirements; the rest is not inventoried",
                        )
                    return
                assert not isinstance(where, str)
                yield text, where, name
                continue
            assert isinstance(where, str)
            line = self._include_line(name, where)
            target = by_norm.get(normalize_name(where))
            if target is None:
                self.error(line, f"dependency group {name!r} includes unknown group {where!r}")
                continue
            if target in chain:
                cycle = " -> ".join((*chain[chain.index(target) :], target))
                self.error(line, f"dependency group cycle: {cycle}")
                continue
            yield from self._resolve_group(target, declared, by_norm, (*chain, target), budget)

    def _include_line(self, group: str, target: str) -> int:
        start, end = self.lines.locate(("dependency-groups",), group)
        hit = self.lines.value(target, start, end)
        return self.lines.line_of(hit[0] if hit else start)

    # ---- Poetry

    def _poetry(self, poetry: dict[str, Any]) -> None:
        extras_of: dict[str, str] = {}
        extras = poetry.get("extras")
        if isinstance(extras, dict):
            for extra, names in extras.items():
                if isinstance(names, list):
                    for pkg in names:
                        if isinstance(pkg, str):
                            extras_of.setdefault(normalize_name(pkg), extra)
        main = poetry.get("dependencies")
        if main is not None:
            self._poetry_table(main, ("tool", "poetry", "dependencies"), None, extras_of)
        dev = poetry.get("dev-dependencies")
        if dev is not None:
            self._poetry_table(dev, ("tool", "poetry", "dev-dependencies"), "dev", {})
        groups = poetry.get("group")
        if isinstance(groups, dict):
            for group, body in groups.items():
                if isinstance(body, dict) and "dependencies" in body:
                    self._poetry_table(
                        body["dependencies"],
                        ("tool", "poetry", "group", group, "dependencies"),
                        group,
                        {},
                    )
        sources = poetry.get("source")
        if isinstance(sources, list):
            self._poetry_sources(sources)

    def _poetry_table(
        self,
        table: Any,
        path: tuple[str, ...],
        group: str | None,
        extras_of: dict[str, str],
    ) -> None:
        where = ".".join(path)
        if not isinstance(table, dict):
            self.error(self._line(path, None), f"{where} must be a table")
            return
        start, end = self.lines.locate(path, None)
        for name, spec in table.items():
            key_pos = self.lines.key(name, start, end)
            line = self.lines.line_of(key_pos if key_pos is not None else start)
            if normalize_name(name) == "python":
                continue  # the Python requirement, not a package
            raw = self._line_text(line) if key_pos is not None else f"{name} = {spec!r}"
            entries = spec if isinstance(spec, list) else [spec]
            for entry in entries:
                if isinstance(spec, list):
                    raw = redact_text(f"{name} = {_inline(entry)}")[0]
                dep = self._poetry_dependency(name, entry, line, group, extras_of, raw)
                if dep is not None:
                    self.out.dependencies.append(dep)

    def _line_text(self, line: int) -> str:
        start = self.lines.starts[line - 1]
        end = self.lines.text.find("\n", start)
        return redact_text(self.lines.text[start : end if end != -1 else None].strip())[0]

    def _poetry_dependency(
        self,
        name: str,
        spec: Any,
        line: int,
        group: str | None,
        extras_of: dict[str, str],
        raw: str,
    ) -> Dependency | None:
        scope = "required" if group is None else "optional"
        if isinstance(spec, str):
            spec = {"version": spec}
        if not isinstance(spec, dict):
            self.error(line, f"Poetry dependency {name}: unsupported value {spec!r}")
            return None
        props: list[tuple[str, str]] = []
        dep_group = group
        if group is None and spec.get("optional") is True:
            scope = "optional"
            dep_group = extras_of.get(normalize_name(name))
        constraint = spec.get("version", "")
        if not isinstance(constraint, str):
            self.error(line, f"Poetry dependency {name}: version must be a string")
            return None
        specifier = ""
        if constraint:
            converted = poetry_constraint(constraint)
            if converted is None:
                if "||" in constraint:
                    props.append(("poetry-constraint", constraint))
                else:
                    self.error(
                        line, f"Poetry dependency {name}: cannot read constraint {constraint!r}"
                    )
            else:
                specifier = converted
        markers: list[str] = []
        if isinstance(spec.get("markers"), str):
            markers.append(spec["markers"])
        python = spec.get("python")
        if isinstance(python, str):
            py = poetry_constraint(python)
            if py:
                markers.append(
                    " and ".join(
                        f'python_version {s.operator} "{s.version}"' for s in SpecifierSet(py)
                    )
                )
            elif py is None:
                props.append(("poetry-python", python))
        if isinstance(spec.get("platform"), str):
            markers.append(f'sys_platform == "{spec["platform"]}"')
        marker = None
        if markers:
            joined = " and ".join(f"({m})" if len(markers) > 1 else m for m in markers)
            try:
                marker = str(Marker(joined))
            except InvalidMarker:
                marker = joined
        url = url_kind = vcs_ref = None
        editable = False
        credentials = False
        if isinstance(spec.get("git"), str):
            ref = next(
                (spec[k] for k in ("rev", "tag", "branch") if isinstance(spec.get(k), str)), None
            )
            url, credentials = redact_url(spec["git"])
            url = "git+" + url + (f"@{ref}" if ref else "")
            url_kind, vcs_ref = "vcs", ref
            if isinstance(spec.get("subdirectory"), str):
                props.append(("subdirectory", spec["subdirectory"]))
        elif isinstance(spec.get("path"), str):
            url, url_kind = spec["path"], "path"
            editable = spec.get("develop") is True
        elif isinstance(spec.get("url"), str):
            url, credentials = redact_url(spec["url"])
            url_kind = "url"
            _, file_version, name_from = name_for(spec["url"], {}, "url", None)
            if file_version is not None and not specifier:
                specifier = f"=={file_version}"
                props.append(("version-from", name_from))
        if credentials:
            props.append(("credentials", "redacted"))
        if isinstance(spec.get("source"), str):
            props.append(("poetry-source", spec["source"]))
        extras = spec.get("extras")
        return Dependency(
            name=name,
            location=self.loc(line),
            source=SOURCE,
            specifier=specifier,
            version=exact_version(SpecifierSet(specifier)) if specifier else None,
            extras=tuple(sorted(e for e in extras if isinstance(e, str)))
            if isinstance(extras, list)
            else (),
            marker=marker,
            url=url,
            url_kind=url_kind,
            vcs_ref=vcs_ref,
            editable=editable,
            scope=scope,
            group=dep_group,
            properties=tuple(props),
            raw=raw,
        )

    def _poetry_sources(self, sources: list[Any]) -> None:
        start, end = 0, len(self.lines.text)
        cursor = _Cursor(self.lines, start, end)
        for source in sources:
            if not isinstance(source, dict) or not isinstance(source.get("url"), str):
                continue
            url, had = redact_url(source["url"])
            line = cursor.find(source["url"])
            priority = source.get("priority")
            if source.get("default") is True or priority in ("default", "primary"):
                option = "--index-url"
            elif priority == "explicit":
                option = "poetry-explicit-source"
            else:  # supplemental, secondary, or unspecified
                option = "--extra-index-url"
            self.out.index_options.append(IndexOption(option, url, self.loc(line), had))


# --------------------------------------------------------------------------- helpers


def _with_uv_source(dep: Dependency, source: dict[str, Any] | None) -> Dependency:
    """Apply a `[tool.uv.sources]` entry: where uv really takes the package from."""
    if source is None or dep.url is not None:
        return dep
    props = list(dep.properties)
    changes: dict[str, Any] = {}
    credentials = False
    if isinstance(source.get("git"), str):
        ref = next(
            (source[k] for k in ("rev", "tag", "branch") if isinstance(source.get(k), str)), None
        )
        url, credentials = redact_url(source["git"])
        changes.update(url="git+" + url + (f"@{ref}" if ref else ""), url_kind="vcs", vcs_ref=ref)
    elif isinstance(source.get("path"), str):
        # a property, not the URL: the lock's path component (with its version) is the one
        # the AIBOM lists, and this declaration joins it by name
        props.append(("uv-source-path", source["path"]))
        if source.get("editable") is True:
            changes.update(editable=True)
    elif isinstance(source.get("url"), str):
        url, credentials = redact_url(source["url"])
        changes.update(url=url, url_kind="url")
    if isinstance(source.get("index"), str):
        props.append(("uv-index", source["index"]))
    if source.get("workspace") is True:
        props.append(("uv-workspace", "true"))
    if credentials:
        props.append(("credentials", "redacted"))
    if not changes and props == list(dep.properties):
        return dep
    import dataclasses

    return dataclasses.replace(dep, properties=tuple(props), **changes)


def _inline(value: Any) -> str:
    """A TOML-like rendering of a small value (for `raw`)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _licenses(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, dict) and isinstance(value.get("text"), str) and value["text"].strip():
        return (value["text"].strip(),)
    return ()


def _url_kind(url: str) -> str:
    scheme = url.split(":", 1)[0].lower() if "://" in url or url.startswith("file:") else ""
    if scheme.split("+", 1)[0] in ("git", "hg", "svn", "bzr") and (
        "+" in scheme or scheme == "git"
    ):
        return "vcs"
    if scheme in ("", "file"):
        return "path"
    return "url"


def _vcs_ref(url: str) -> str | None:
    path = url.split("#", 1)[0]
    after_host = path.split("://", 1)[-1]
    slash = after_host.find("/")
    tail = after_host[slash:] if slash != -1 else ""
    return tail.rsplit("@", 1)[1] or None if "@" in tail else None


def poetry_constraint(text: str) -> str | None:
    """A Poetry version constraint as a PEP 440 specifier ("" for any version); None when it
    cannot be expressed (`||` alternatives) or is not valid."""
    text = text.strip()
    if text in ("", "*"):
        return ""
    if "||" in text or "|" in text:
        return None
    # ">=1.2,<2", ">=1.2 <2", ">= 1.2, < 2"
    pieces = re.findall(r"(\^|~=|~|===|==|!=|>=|<=|>|<|=)?\s*([^\s,^~=!<>]+)", text)
    if not pieces:
        return None
    specs: list[str] = []
    for op, version in pieces:
        if version == "*":
            continue
        if op == "^":
            bounds = _caret(version)
        elif op == "~":
            bounds = _tilde(version)
        elif op in ("", "="):
            bounds = [f"=={version}"]
        else:
            bounds = [f"{op}{version}"]
        if bounds is None:
            return None
        specs.extend(bounds)
    try:
        return str(SpecifierSet(",".join(specs)))
    except InvalidSpecifier:
        return None


def _release(version: str) -> tuple[int, ...] | None:
    try:
        release = Version(version).release
    except InvalidVersion:
        return None
    # keep as many components as written
    match = re.match(r"^\d+(?:\.\d+)*", version)
    return release[: len(match.group(0).split("."))] if match else release


def _bump(release: tuple[int, ...], index: int) -> str:
    parts = [*release[:index], release[index] + 1] + [0] * (len(release) - index - 1)
    return ".".join(str(p) for p in parts)


def _caret(version: str) -> list[str] | None:
    release = _release(version)
    if not release:
        return None
    nonzero = [i for i, p in enumerate(release) if p != 0]
    index = nonzero[0] if nonzero else len(release) - 1
    return [f">={version}", f"<{_bump(release, index)}"]


def _tilde(version: str) -> list[str] | None:
    release = _release(version)
    if not release:
        return None
    index = 1 if len(release) >= 2 else 0
    return [f">={version}", f"<{_bump(release, index)}"]
