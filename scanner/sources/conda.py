"""conda `environment.yml` / `environment.yaml`.

- `dependencies:` conda match specs (`numpy=1.26.4=py311h...`, `conda-forge::pytorch>=2`,
  `python=3.11`, `numpy 1.26.4 py311_0`, `pkg[version='>=1',build=...]`) -> `Dependency`
  with `ecosystem="conda"` (purl `pkg:conda/...`), `group` = the channel when the spec names
  one, properties `conda-build` / `conda-channel` / `conda-subdir`;
- the `pip:` sub-list -> PyPI requirements read with the requirements-file line parser
  (`--hash`, URLs, VCS, `-r` relative to the environment file, `--index-url` ...), recorded
  with `source=SourceKind.CONDA`;
- `channels:` -> `IndexOption("--channel", ...)` (credentials redacted).

`version` is set only when the spec pins one version: `==X`, `name=X=build`, or the
space-separated `name X [build]` form. `name=X` is conda's fuzzy match (`X.*`), so it stays
a specifier (`=X`).

YAML is read with PyYAML's SafeLoader only (`yaml.compose`, which keeps line numbers and
never constructs Python objects); size and item counts are bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..config import Config
from ..model import Collected, Dependency, FileRef, IndexOption, Location, ScanError, SourceKind
from ..redact import redact_text, redact_url
from .confine import scan_roots
from .requirements import parse_requirement_lines
from .text import read_limited_text, text_suppressions

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_ITEMS = 100_000

SOURCE = SourceKind.CONDA
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "seq", "map", "int", "float", "bool", "null", "timestamp")
)

_NAME = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.\-]*)")


def collect(file: FileRef, config: Config) -> Collected:
    text, out = read_limited_text(file, MAX_FILE_BYTES, "a conda environment file")
    if text is not None:
        out.extend(
            parse_environment_text(
                text, file.rel, base_dir=file.path.parent, roots=scan_roots(config)
            )
        )
    return out


def parse_environment_text(
    text: str, rel: str, *, base_dir: Path | None = None, roots: tuple[Path, ...] | None = None
) -> Collected:
    """Parse environment.yml content recorded as `rel`; `pip: -r file` lines resolve
    against `base_dir`."""
    out = Collected()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        out.errors.append(ScanError(Location(rel, line), f"invalid YAML: {reason}"))
        return out
    except yaml.YAMLError as exc:
        out.errors.append(ScanError(Location(rel), f"invalid YAML: {exc}"))
        return out
    except RecursionError:
        out.errors.append(ScanError(Location(rel), "invalid YAML: nested too deeply"))
        return out
    out.suppressions.extend(text_suppressions(text, rel))
    if root is None:
        return out
    if not isinstance(root, yaml.MappingNode):
        out.errors.append(ScanError(_loc(rel, root), "a conda environment file must be a mapping"))
        return out
    reader = _Reader(rel, base_dir, out, roots)
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key == "channels":
            reader.channels(value_node)
        elif key == "dependencies":
            reader.dependencies(value_node)
    return out


def _loc(rel: str, node: yaml.Node) -> Location:
    return Location(rel, node.start_mark.line + 1)


@dataclass
class _Reader:
    rel: str
    base_dir: Path | None
    out: Collected
    roots: tuple[Path, ...] | None = None  # `pip: -r` includes are read only inside these
    items: int = 0

    def error(self, node: yaml.Node, reason: str) -> None:
        self.out.errors.append(ScanError(_loc(self.rel, node), reason))

    def tag_ok(self, node: yaml.Node) -> bool:
        """Only plain YAML: a node with an application tag (`!!python/...`, `!custom`) is
        what a safe loader refuses; report it instead of reading it."""
        if node.tag in _PLAIN_TAGS:
            return True
        self.error(node, f"unsupported YAML tag {node.tag}")
        return False

    def _sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not self.tag_ok(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            if not (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
                self.error(node, f"{what} must be a list")
            return []
        items: list[yaml.Node] = node.value
        self.items += len(items)
        if self.items > MAX_ITEMS:
            self.error(node, f"more than {MAX_ITEMS} entries; the rest is not inventoried")
            return items[: max(0, MAX_ITEMS - (self.items - len(items)))]
        return items

    def channels(self, node: yaml.Node) -> None:
        for item in self._sequence(node, "channels"):
            if not self.tag_ok(item):
                continue
            if not isinstance(item, yaml.ScalarNode):
                self.error(item, "a channel must be a string")
                continue
            value, had = redact_url(str(item.value).strip())
            self.out.index_options.append(
                IndexOption("--channel", value, _loc(self.rel, item), had)
            )

    def dependencies(self, node: yaml.Node) -> None:
        for item in self._sequence(node, "dependencies"):
            if not self.tag_ok(item):
                continue
            if isinstance(item, yaml.ScalarNode):
                self.conda_spec(str(item.value), item)
            elif isinstance(item, yaml.MappingNode):
                for key_node, value_node in item.value:
                    key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                    if key == "pip":
                        self.pip(value_node)
                    else:
                        self.error(key_node, f"unsupported entry {key!r} in dependencies")
            else:
                self.error(item, "a dependency must be a string or a `pip:` list")

    def pip(self, node: yaml.Node) -> None:
        lines: list[tuple[str, int]] = []
        for item in self._sequence(node, "pip"):
            if not self.tag_ok(item):
                continue
            if not isinstance(item, yaml.ScalarNode):
                self.error(item, "a pip requirement must be a string")
                continue
            lines.append((str(item.value), item.start_mark.line + 1))
        self.out.extend(
            parse_requirement_lines(
                lines, self.rel, source=SOURCE, base_dir=self.base_dir, roots=self.roots
            )
        )

    def conda_spec(self, text: str, node: yaml.Node) -> None:
        raw = redact_text(text.strip())[0]
        try:
            spec = parse_conda_spec(text)
        except ValueError as exc:
            self.error(node, f"invalid conda package spec {raw!r}: {exc}")
            return
        props: list[tuple[str, str]] = []
        if spec.channel:
            channel, had = redact_url(spec.channel)
            props.append(("conda-channel", channel))
            if had:
                props.append(("credentials", "redacted"))
        if spec.subdir:
            props.append(("conda-subdir", spec.subdir))
        if spec.build:
            props.append(("conda-build", spec.build))
        self.out.dependencies.append(
            Dependency(
                name=spec.name,
                location=_loc(self.rel, node),
                source=SOURCE,
                ecosystem="conda",
                specifier=spec.specifier,
                version=spec.version,
                group=redact_url(spec.channel)[0] if spec.channel else None,
                properties=tuple(props),
                raw=raw,
            )
        )


@dataclass(frozen=True)
class CondaSpec:
    name: str
    specifier: str = ""  # the version constraint in conda syntax ("" for any)
    version: str | None = None  # when exactly one version is allowed
    build: str | None = None
    channel: str | None = None
    subdir: str | None = None


def parse_conda_spec(text: str) -> CondaSpec:
    """A conda match spec, the forms environment files use. Raises ValueError."""
    spec = text.strip()
    if not spec:
        raise ValueError("empty")
    channel = subdir = None
    if "::" in spec:
        channel, spec = spec.rsplit("::", 1)
        channel = channel.strip()
        if "/" in channel and "://" not in channel:
            channel, subdir = channel.split("/", 1)
    brackets: dict[str, str] = {}
    if spec.endswith("]") and "[" in spec:
        spec, inside = spec[:-1].split("[", 1)
        brackets = _bracket_items(inside)
    match = _NAME.match(spec)
    if match is None:
        raise ValueError("no package name")
    name = match.group(1)
    rest = spec[match.end() :]
    version_part = ""
    build = brackets.get("build")
    if rest[:1].isspace():  # "name 1.2.3 build"
        tokens = rest.split()
        version_part = tokens[0] if tokens else ""
        if len(tokens) > 1:
            build = tokens[1]
        if len(tokens) > 2:
            raise ValueError("too many fields")
        specifier, version = _space_form(version_part)
    elif rest.startswith("=") and not rest.startswith("=="):  # name=1.2[=build]
        parts = rest[1:].split("=")
        if len(parts) > 2 or not parts[0]:
            raise ValueError("expected name=version[=build]")
        if len(parts) == 2:
            build = parts[1]
            specifier, version = f"=={parts[0]}", _plain(parts[0])
            if version is None:
                specifier = f"={parts[0]}"
        else:
            specifier, version = f"={parts[0]}", None
    elif rest:
        if not re.match(r"^(==|!=|>=|<=|>|<|~=)", rest.strip()):
            raise ValueError(f"unexpected {rest!r} after the name")
        specifier = re.sub(r"\s+", "", rest)
        version = _plain(specifier[2:]) if re.fullmatch(r"==[^,|]+", specifier) else None
    else:
        specifier, version = "", None
    if "version" in brackets:
        specifier, version = _space_form(brackets["version"])
    if "channel" in brackets and channel is None:
        channel = brackets["channel"]
    if "subdir" in brackets and subdir is None:
        subdir = brackets["subdir"]
    return CondaSpec(name, specifier, version, build or None, channel or None, subdir)


def _bracket_items(inside: str) -> dict[str, str]:
    """`key=value, key='quoted, value'` inside `name[...]` (no regex: linear time)."""
    items: dict[str, str] = {}
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    for char in inside:
        if quote:
            if char == quote:
                quote = ""
            else:
                current.append(char)
        elif char in "'\"":
            quote = char
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quote:
        raise ValueError("unclosed quote in [...]")
    parts.append("".join(current))
    for part in parts:
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        if not eq or not key.strip().isidentifier():
            raise ValueError(f"expected key=value in [...], got {part.strip()!r}")
        items[key.strip()] = value.strip()
    return items


def _plain(version: str) -> str | None:
    """The version when it names exactly one (no wildcard, range or alternatives)."""
    if not version or any(c in version for c in "*,|<>!=~ "):
        return None
    return version


def _space_form(value: str) -> tuple[str, str | None]:
    value = value.strip()
    if not value:
        return "", None
    if value.startswith("=="):
        return value, _plain(value[2:])
    if value.startswith("=") or re.match(r"^(!=|>=|<=|>|<|~=)", value):
        return value, None
    exact = _plain(value)
    return (f"=={value}", exact) if exact else (value, None)
