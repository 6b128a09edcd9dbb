"""setuptools declarations: `setup.cfg` and `setup.py`, both read statically.

`setup.cfg` is read with `configparser` (no interpolation): `[metadata]` name / version /
license / description -> `ProjectInfo`; `[options]` `install_requires` (scope "required"),
`setup_requires` (scope "required", group "setup_requires"), `tests_require` (scope
"optional", group "tests_require"); `[options.extras_require]` (scope "optional", group =
the extra). A value is split the way setuptools splits it (one requirement per line, or
`;`-separated on a single line); `file: a.txt, b.txt` reads those files with the
requirements-file parser.

`setup.py` is NEVER run: it is parsed with `ast` and evaluated statically (`setup_eval`):
literals, module-level assignments and dict/list building (`extras["x"] = [...]`), the
file's own small functions over literal tables (`deps_list("a", "b")`), comprehensions,
`setup(**kwargs)` with a known dict, and reads of a named text file next to setup.py
(`open("requirements.txt").read().splitlines()`). What truly needs running the file (a call
into another module, a value changed under `if torch.cuda.is_available():`) is a gap with
the exact expression (AIB904, "partially inventoried"); the rest is inventoried and the scan
stays complete. Only a setup.py that cannot be decoded or parsed is a scan error.
"""

from __future__ import annotations

import ast
import configparser
import dataclasses
import io
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ..config import Config
from ..model import (
    Collected,
    Dependency,
    FileRef,
    Gap,
    Location,
    ProjectInfo,
    ScanError,
    SourceKind,
)
from ..redact import redact_text, redact_url
from .confine import inside, scan_roots
from .pep508 import exact_version, url_kind, vcs_ref
from .pyproject import top_level_only
from .requirements import parse_requirements_file
from .setup_eval import (
    MAX_READ_BYTES,
    FilePath,
    FileText,
    SetupCall,
    SetupEvaluation,
    Unknown,
    evaluate_setup_py,
)
from .text import read_limited, read_limited_text, split_comment, text_suppressions

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_RESOLVE_DEPTH = 32


# setup() keyword -> (scope, group)
_LIST_KEYS = {
    "install_requires": ("required", None),
    "setup_requires": ("required", "setup_requires"),
    "tests_require": ("optional", "tests_require"),
}


def _requirement(
    text: str,
    loc: Location,
    source: SourceKind,
    scope: str,
    group: str | None,
    out: Collected,
) -> None:
    try:
        req = Requirement(text)
    except (InvalidRequirement, ValueError) as exc:
        out.errors.append(
            ScanError(
                loc, f"invalid requirement: {str(exc).splitlines()[0]}: {redact_text(text)[0]}"
            )
        )
        return
    url = req.url
    kind = url_kind(url) if url else None
    props: tuple[tuple[str, str], ...] = ()
    if url and redact_url(url)[1]:
        props = (("credentials", "redacted"),)
    out.dependencies.append(
        Dependency(
            name=req.name,
            location=loc,
            source=source,
            specifier=str(req.specifier),
            version=exact_version(req.specifier),
            extras=tuple(sorted(req.extras)),
            marker=str(req.marker) if req.marker is not None else None,
            url=redact_url(url)[0] if url else None,
            url_kind=kind,
            vcs_ref=vcs_ref(url) if url and kind == "vcs" else None,
            scope=scope,
            group=group,
            properties=props,
            raw=redact_text(text)[0],
        )
    )


# --------------------------------------------------------------------------- setup.cfg


def collect_setup_cfg(file: FileRef, config: Config) -> Collected:
    text, out = read_limited_text(file, MAX_FILE_BYTES)
    if text is not None:
        out.extend(
            parse_setup_cfg_text(
                text, file.rel, base_dir=file.path.parent, roots=scan_roots(config)
            )
        )
    return top_level_only(out, file.rel)


def parse_setup_cfg_text(
    text: str, rel: str, *, base_dir: Path | None = None, roots: tuple[Path, ...] | None = None
) -> Collected:
    out = Collected()
    parser = configparser.RawConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=rel)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", None)
        if line is None and isinstance(exc, configparser.ParsingError) and exc.errors:
            line = exc.errors[0][0]
        message = str(exc).splitlines()[0]
        out.errors.append(ScanError(Location(rel, line), f"invalid setup.cfg: {message}"))
        return out
    out.suppressions.extend(text_suppressions(text, rel))
    lines = _CfgLines(text)
    if parser.has_section("metadata"):
        meta = parser["metadata"]
        name = meta.get("name")
        if name and not name.startswith(("attr:", "file:")):
            version = meta.get("version")
            if version and version.startswith(("attr:", "file:")):
                version = None
            license_ = meta.get("license")
            out.project = ProjectInfo(
                name=name.strip(),
                version=version.strip() if version else None,
                location=Location(rel, lines.key("metadata", "name")),
                licenses=(license_.strip(),) if license_ and license_.strip() else (),
                description=(meta.get("description") or None),
            )
    if parser.has_section("options"):
        for key, (scope, group) in _LIST_KEYS.items():
            value = parser["options"].get(key)
            if value is not None:
                _cfg_list(value, rel, "options", key, scope, group, lines, (base_dir, roots), out)
    if parser.has_section("options.extras_require"):
        for extra, value in parser["options.extras_require"].items():
            _cfg_list(
                value,
                rel,
                "options.extras_require",
                extra,
                "optional",
                extra,
                lines,
                (base_dir, roots),
                out,
            )
    return out


@dataclass
class _CfgLines:
    """Where keys and values sit in the raw text (configparser keeps no positions)."""

    text: str
    physical: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.physical = self.text.splitlines()

    def section(self, name: str) -> int | None:
        pattern = re.compile(rf"^\[\s*{re.escape(name)}\s*\]")
        for index, line in enumerate(self.physical):
            if pattern.match(line.strip()):
                return index
        return None

    def key(self, section: str, key: str) -> int | None:
        start = self.section(section)
        if start is None:
            return None
        pattern = re.compile(rf"^{re.escape(key)}\s*[=:]")
        for index in range(start + 1, len(self.physical)):
            line = self.physical[index]
            if line.startswith("["):
                return None
            if pattern.match(line.strip()) and not line[:1].isspace():
                return index + 1
        return None

    def item(self, after: int, item: str) -> int | None:
        """The first line at or after `after` (1-based) holding `item`."""
        for index in range(after - 1, len(self.physical)):
            if item in self.physical[index]:
                return index + 1
        return None


def _cfg_list(
    value: str,
    rel: str,
    section: str,
    key: str,
    scope: str,
    group: str | None,
    lines: _CfgLines,
    folders: tuple[Path | None, tuple[Path, ...] | None],  # (base folder, scanned roots)
    out: Collected,
) -> None:
    base_dir, roots = folders
    key_line = lines.key(section, key)
    stripped = value.strip()
    if stripped.startswith("file:"):
        for name in (p.strip() for p in stripped[len("file:") :].split(",")):
            if not name:
                continue
            if base_dir is None:
                out.errors.append(
                    ScanError(Location(rel, key_line), f"{key} = file: {name} not followed")
                )
                continue
            target = rel.rsplit("/", 1)[0] + "/" + name if "/" in rel else name
            path = base_dir / name
            if not inside(path, roots):
                out.errors.append(
                    ScanError(
                        Location(rel, key_line),
                        f"{key} = file: {name} points outside the scanned folders; not read",
                    )
                )
                continue
            if not path.is_file():
                out.errors.append(
                    ScanError(Location(rel, key_line), f"{key} reads {name}, which is not found")
                )
                continue
            got = parse_requirements_file(path, target, source=SourceKind.SETUP_CFG, roots=roots)
            got.dependencies = [
                dataclasses.replace(d, scope=scope, group=group) for d in got.dependencies
            ]
            out.extend(got)
        return
    if "\n" in stripped:
        items = stripped.splitlines()
    else:
        items = stripped.split(";") if _looks_semicolon_list(stripped) else [stripped]
    cursor = key_line or 1
    for item in items:
        item = split_comment(item)[0].strip()
        if not item:
            continue
        line = lines.item(cursor, item) if key_line else None
        if line is not None:
            cursor = line
        _requirement(item, Location(rel, line or key_line), SourceKind.SETUP_CFG, scope, group, out)


def _looks_semicolon_list(value: str) -> bool:
    """setuptools splits a one-line value on ";" -- unless the ";" starts a marker."""
    if ";" not in value:
        return False
    try:
        Requirement(value)
    except InvalidRequirement:
        return True
    return False


# --------------------------------------------------------------------------- setup.py


def collect_setup_py(file: FileRef, config: Config) -> Collected:
    data, out = read_limited(file, MAX_FILE_BYTES)
    if data is None:
        return out
    parsed = parse_setup_py_bytes(data, file.rel, base_dir=file.path.parent)
    return top_level_only(parsed, file.rel)


def parse_setup_py_bytes(data: bytes, rel: str, *, base_dir: Path | None = None) -> Collected:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        return Collected(errors=[ScanError(Location(rel), f"cannot decode setup.py: {exc}")])
    return parse_setup_py_text(text, rel, base_dir=base_dir)


def parse_setup_py_text(text: str, rel: str, *, base_dir: Path | None = None) -> Collected:
    """Read `setup()` arguments by static evaluation (`setup_eval`); `base_dir` is the folder
    of setup.py, for the text files it reads (`requirements.txt`); None reads nothing."""
    out = Collected()
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as exc:
        out.errors.append(ScanError(Location(rel, exc.lineno), f"cannot parse setup.py: {exc.msg}"))
        return out
    except (RecursionError, MemoryError, ValueError):
        out.errors.append(ScanError(Location(rel), "cannot parse setup.py: nested too deeply"))
        return out
    out.suppressions.extend(text_suppressions(text, rel))
    try:
        evaluation = evaluate_setup_py(tree, _file_reader(base_dir))
        reader = _SetupPy(rel, _literal_lines(tree), evaluation, out)
        for call in evaluation.calls:
            reader.read_call(call)
    except RecursionError:
        out.errors.append(ScanError(Location(rel), "setup.py nested too deeply to read"))
    return out


MAX_SETUP_READS = 32


def _file_reader(base_dir: Path | None) -> Callable[[FilePath], str | None]:
    """Text of a file named by setup.py, relative to its folder and confined to it."""
    reads = 0

    def read(path: FilePath) -> str | None:
        nonlocal reads
        if base_dir is None or not path.parts or ".." in path.parts or reads >= MAX_SETUP_READS:
            return None
        reads += 1
        target = base_dir.joinpath(*path.parts)
        try:
            real = target.resolve(strict=True)
            if real != base_dir.resolve() and base_dir.resolve() not in real.parents:
                return None
            if not real.is_file() or real.stat().st_size > MAX_READ_BYTES:
                return None
            data = real.read_bytes()
        except (OSError, RuntimeError):
            return None
        return data.decode("utf-8", errors="replace")

    return read


def _literal_lines(tree: ast.Module) -> dict[str, int]:
    """Each string literal's text (and each line of a multi-line one) -> its first line."""
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            lines.setdefault(node.value.strip(), node.lineno)
            if node.end_lineno != node.lineno:
                for offset, line in enumerate(node.value.splitlines()):
                    lines.setdefault(split_comment(line)[0].strip(), node.lineno + offset)
    return lines


@dataclass
class _SetupPy:
    rel: str
    literal_lines: dict[str, int]
    evaluation: SetupEvaluation
    out: Collected

    def gap(self, line: int | None, reason: str) -> None:
        gap = Gap(Location(self.rel, line), reason)
        if gap not in self.out.gaps:
            self.out.gaps.append(gap)

    def read_call(self, call: SetupCall) -> None:
        for unknown in call.unknown_kwargs:
            self.gap(
                unknown.line,
                f"setup(**...): the keyword arguments come from `{unknown.expression}` "
                f"({unknown.reason}); dependencies passed through them are not inventoried",
            )
        self._identity(call)
        for key, (scope, group) in _LIST_KEYS.items():
            if key in call.keywords:
                self._requirements(call, key, call.keywords[key], scope, group, key)
        if "extras_require" in call.keywords:
            self._extras(call, call.keywords["extras_require"])

    def _identity(self, call: SetupCall) -> None:
        name = call.keywords.get("name")
        if not isinstance(name, str) or self.out.project is not None:
            return
        version, license_, description = (
            call.keywords.get(k) for k in ("version", "license", "description")
        )
        node = call.keyword_node("name")
        self.out.project = ProjectInfo(
            name=name,
            version=version if isinstance(version, str) else None,
            location=Location(self.rel, node.lineno if node is not None else call.node.lineno),
            licenses=(license_,) if isinstance(license_, str) and license_ else (),
            description=description if isinstance(description, str) else None,
        )

    def _line(self, call: SetupCall, key: str) -> int:
        node = call.keyword_node(key)
        return node.lineno if node is not None else call.node.lineno

    def _conditions(self, call: SetupCall, key: str, label: str) -> None:
        """Notes for the names the keyword's value is built from that were changed under a
        condition aibom could not decide."""
        node = call.keyword_node(key)
        if node is None:
            return
        for name in sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)}):
            for condition in self.evaluation.conditions.get(name, []):
                self.gap(
                    condition.line,
                    f"{label}: `{name}` is changed under `{condition.test}`, which cannot be "
                    "decided without running setup.py; what is built outside it is inventoried",
                )

    def _requirements(
        self, call: SetupCall, key: str, value: object, scope: str, group: str | None, label: str
    ) -> None:
        self._conditions(call, key, label)
        texts, unknowns = _requirement_texts(value)
        for unknown in unknowns:
            self.gap(
                unknown.line or self._line(call, key),
                f"{label}: `{unknown.expression}` cannot be known without running setup.py "
                f"({unknown.reason}); the rest is inventoried",
            )
        for text in texts:
            line = self.literal_lines.get(text, self._line(call, key))
            _requirement(
                text, Location(self.rel, line), SourceKind.SETUP_PY, scope, group, self.out
            )

    def _extras(self, call: SetupCall, value: object) -> None:
        if isinstance(value, Unknown):
            self._conditions(call, "extras_require", "extras_require")
            self.gap(
                value.line or self._line(call, "extras_require"),
                f"extras_require: `{value.expression}` cannot be known without running "
                f"setup.py ({value.reason}); no extras are inventoried",
            )
            return
        if not isinstance(value, dict):
            self.gap(self._line(call, "extras_require"), "extras_require is not a dict")
            return
        self._conditions(call, "extras_require", "extras_require")
        for key, items in value.items():
            if not isinstance(key, str):
                self.gap(
                    self._line(call, "extras_require"), "extras_require has a key that is not text"
                )
                continue
            extra, _, marker = key.partition(":")
            texts, unknowns = _requirement_texts(items)
            for unknown in unknowns:
                self.gap(
                    unknown.line or self._line(call, "extras_require"),
                    f"extras_require[{key!r}]: `{unknown.expression}` cannot be known without "
                    f"running setup.py ({unknown.reason}); the rest is inventoried",
                )
            for text in texts:
                line = self.literal_lines.get(text, self._line(call, "extras_require"))
                if marker:
                    text = f"{text} ; {marker}" if ";" not in text else f"{text} and ({marker})"
                _requirement(
                    text, Location(self.rel, line), SourceKind.SETUP_PY, "optional", extra, self.out
                )


def _requirement_texts(value: object) -> tuple[list[str], list[Unknown]]:
    """Requirement strings in a setup() value (a string of lines, a list of strings, a file's
    text), and the parts that are not known. Blank lines, comments and pip options (`-r x`)
    are not requirements."""
    texts: list[str] = []
    unknowns: list[Unknown] = []
    items: list[object]
    if value is None:
        return texts, unknowns
    if isinstance(value, Unknown):
        return texts, [value]
    if isinstance(value, (str, FileText)):
        items = [value]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
    else:
        return texts, unknowns
    for item in items:
        if isinstance(item, Unknown):
            unknowns.append(item)
            continue
        text = item.text if isinstance(item, FileText) else item
        if not isinstance(text, str):
            continue
        for line in text.splitlines():
            line = split_comment(line)[0].strip()
            if line and not line.startswith("-") and line not in texts:
                texts.append(line)  # once: `A + A` names the same requirement twice
    return texts, unknowns
