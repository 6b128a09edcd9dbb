"""setuptools declarations: `setup.cfg` and `setup.py`, both read statically.

`setup.cfg` is read with `configparser` (no interpolation): `[metadata]` name / version /
license / description -> `ProjectInfo`; `[options]` `install_requires` (scope "required"),
`setup_requires` (scope "required", group "setup_requires"), `tests_require` (scope
"optional", group "tests_require"); `[options.extras_require]` (scope "optional", group =
the extra). A value is split the way setuptools splits it (one requirement per line, or
`;`-separated on a single line); `file: a.txt, b.txt` reads those files with the
requirements-file parser.

`setup.py` is NEVER run: it is parsed with `ast` and the keyword arguments of `setup(...)`
(or `setuptools.setup(...)`) are read when they are literals: lists/tuples of strings, a
multi-line string, module-level names bound once to such literals, `+` of those, and a
`**kwargs` bound to a dict literal. Anything computed (reading a file, a comprehension, a
function call) cannot be known without running the file: it is recorded as a scan error at
its line, so the scan is honestly incomplete instead of silently missing dependencies.
"""

from __future__ import annotations

import ast
import configparser
import dataclasses
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ..config import Config
from ..model import Collected, Dependency, FileRef, Location, ProjectInfo, ScanError, SourceKind
from ..redact import redact_text, redact_url
from .pep508 import exact_version, url_kind, vcs_ref
from .pyproject import top_level_only
from .requirements import parse_requirements_file
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
        out.extend(parse_setup_cfg_text(text, file.rel, base_dir=file.path.parent))
    return top_level_only(out, file.rel)


def parse_setup_cfg_text(text: str, rel: str, *, base_dir: Path | None = None) -> Collected:
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
                _cfg_list(value, rel, "options", key, scope, group, lines, base_dir, out)
    if parser.has_section("options.extras_require"):
        for extra, value in parser["options.extras_require"].items():
            _cfg_list(
                value, rel, "options.extras_require", extra, "optional", extra, lines, base_dir, out
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
    base_dir: Path | None,
    out: Collected,
) -> None:
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
            if not path.is_file():
                out.errors.append(
                    ScanError(Location(rel, key_line), f"{key} reads {name}, which is not found")
                )
                continue
            got = parse_requirements_file(path, target, source=SourceKind.SETUP_CFG)
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
    return top_level_only(parse_setup_py_bytes(data, file.rel), file.rel)


def parse_setup_py_bytes(data: bytes, rel: str) -> Collected:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        return Collected(errors=[ScanError(Location(rel), f"cannot decode setup.py: {exc}")])
    return parse_setup_py_text(text, rel)


def parse_setup_py_text(text: str, rel: str) -> Collected:
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
    reader = _SetupPy(rel, _module_constants(tree), out)
    try:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_setup(node.func):
                reader.read_call(node)
    except RecursionError:
        out.errors.append(ScanError(Location(rel), "setup.py nested too deeply to read"))
    return out


def _is_setup(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "setup"
    return isinstance(func, ast.Attribute) and func.attr == "setup"


def _module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level names bound exactly once by a plain assignment."""
    bound: dict[str, ast.expr] = {}
    rebound: set[str] = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                if target.id in bound or not isinstance(node, ast.Assign) or node not in tree.body:
                    rebound.add(target.id)
                elif isinstance(node, ast.Assign):
                    bound[target.id] = node.value
            elif isinstance(target, (ast.Tuple, ast.List)):
                rebound.update(e.id for e in ast.walk(target) if isinstance(e, ast.Name))
            elif isinstance(target, (ast.Subscript, ast.Attribute)):
                # NAME[key] = ... / NAME.attr = ... changes what NAME holds
                base = target.value
                while isinstance(base, (ast.Subscript, ast.Attribute)):
                    base = base.value
                if isinstance(base, ast.Name):
                    rebound.add(base.id)
        if isinstance(node, (ast.Call,)):
            # NAME.append(...), NAME.extend(...) change a list after it is bound
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.attr in ("append", "extend", "insert", "update", "setdefault", "pop")
            ):
                rebound.add(func.value.id)
    return {name: value for name, value in bound.items() if name not in rebound}


class _Dynamic(Exception):
    def __init__(self, node: ast.AST) -> None:
        super().__init__()
        self.line = getattr(node, "lineno", None)


@dataclass
class _SetupPy:
    rel: str
    constants: dict[str, ast.expr]
    out: Collected

    def error(self, line: int | None, reason: str) -> None:
        err = ScanError(Location(self.rel, line), reason)
        if err not in self.out.errors:
            self.out.errors.append(err)

    def read_call(self, call: ast.Call) -> None:
        keywords: dict[str, ast.expr] = {}
        for kw in call.keywords:
            if kw.arg is not None:
                keywords[kw.arg] = kw.value
                continue
            mapping = self._deref(kw.value, 0)
            if isinstance(mapping, ast.Dict) and all(
                isinstance(k, ast.Constant) and isinstance(k.value, str) for k in mapping.keys
            ):
                for k, v in zip(mapping.keys, mapping.values, strict=True):
                    assert isinstance(k, ast.Constant)
                    keywords.setdefault(str(k.value), v)
            else:
                self.error(
                    kw.value.lineno,
                    "setup() receives **kwargs computed at run time; dependencies passed "
                    "through them are not inventoried",
                )
        self._identity(keywords, call)
        for key, (scope, group) in _LIST_KEYS.items():
            if key in keywords:
                self._requirements(keywords[key], key, scope, group)
        if "extras_require" in keywords:
            self._extras(keywords["extras_require"])

    def _identity(self, keywords: dict[str, ast.expr], call: ast.Call) -> None:
        name = self._string(keywords.get("name"))
        if name is None or self.out.project is not None:
            return
        version = self._string(keywords.get("version"))
        license_ = self._string(keywords.get("license"))
        description = self._string(keywords.get("description"))
        node = keywords.get("name")
        self.out.project = ProjectInfo(
            name=name,
            version=version,
            location=Location(self.rel, node.lineno if node is not None else call.lineno),
            licenses=(license_,) if license_ else (),
            description=description,
        )

    def _string(self, node: ast.expr | None) -> str | None:
        if node is None:
            return None
        value = self._deref(node, 0)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
        return None

    def _deref(self, node: ast.expr, depth: int) -> ast.expr:
        while (
            isinstance(node, ast.Name) and node.id in self.constants and depth < MAX_RESOLVE_DEPTH
        ):
            node = self.constants[node.id]
            depth += 1
        return node

    def _strings(self, node: ast.expr, depth: int = 0) -> list[tuple[str, int]]:
        """Requirement strings with their lines, or _Dynamic."""
        if depth > MAX_RESOLVE_DEPTH:
            raise _Dynamic(node)
        node = self._deref(node, depth)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            first = node.lineno
            found: list[tuple[str, int]] = []
            for offset, line in enumerate(node.value.splitlines()):
                line = split_comment(line)[0].strip()
                if line:
                    found.append((line, first + offset if node.end_lineno != first else first))
            return found
        if isinstance(node, (ast.List, ast.Tuple)):
            items: list[tuple[str, int]] = []
            for element in node.elts:
                value = self._deref(element, depth + 1)
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    items.append((value.value, element.lineno))
                elif isinstance(value, ast.Starred):
                    items.extend(self._strings(value.value, depth + 1))
                else:
                    raise _Dynamic(element)
            return items
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._strings(node.left, depth + 1) + self._strings(node.right, depth + 1)
        raise _Dynamic(node)

    def _requirements(self, node: ast.expr, key: str, scope: str, group: str | None) -> None:
        try:
            items = self._strings(node)
        except _Dynamic as dyn:
            self.error(
                dyn.line or node.lineno,
                f"{key} is computed at run time; not inventoried",
            )
            return
        for text, line in items:
            _requirement(
                text, Location(self.rel, line), SourceKind.SETUP_PY, scope, group, self.out
            )

    def _extras(self, node: ast.expr) -> None:
        mapping = self._deref(node, 0)
        if not isinstance(mapping, ast.Dict):
            self.error(node.lineno, "extras_require is computed at run time; not inventoried")
            return
        for key_node, value in zip(mapping.keys, mapping.values, strict=True):
            key = self._string(key_node) if key_node is not None else None
            if key is None:
                line = key_node.lineno if key_node is not None else value.lineno
                self.error(line, "extras_require has a key computed at run time; not inventoried")
                continue
            extra = key.split(":", 1)[0]
            marker = key.split(":", 1)[1] if ":" in key else None
            try:
                items = self._strings(value)
            except _Dynamic as dyn:
                self.error(
                    dyn.line or value.lineno,
                    f"extras_require[{key!r}] is computed at run time; not inventoried",
                )
                continue
            for text, line in items:
                if marker:
                    text = f"{text} ; {marker}" if ";" not in text else f"{text} and ({marker})"
                _requirement(
                    text, Location(self.rel, line), SourceKind.SETUP_PY, "optional", extra, self.out
                )
