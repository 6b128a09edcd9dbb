"""A local OSV advisory database (`--vuln-db`): a folder or a zip of OSV JSON/YAML records in the
layouts of the PyPA and GitHub advisory databases, read with bounds, YAML without aliases."""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from ..errors import InputError
from ..model import Location, ScanError, Vulnerability
from .osv import (
    ANY_VERSION,
    Advisory,
    AdvisoryError,
    Range,
    affected_versions_match,
    fixed_versions,
    parse_advisory,
)

MAX_ADVISORY_BYTES = 4 * 1024 * 1024
MAX_DB_FILES = 500_000
MAX_ZIP_MEMBERS = 500_000
MAX_ZIP_BYTES = 4 * 1024**3
ADVISORY_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass
class Database:
    source: str
    by_package: dict[str, list[Advisory]] = field(default_factory=dict)
    errors: list[ScanError] = field(default_factory=list)
    files_read: int = 0
    files_parsed: int = 0

    def add(self, advisory: Advisory) -> None:
        for key in {a.package for a in advisory.affected if a.package}:
            self.by_package.setdefault(key, []).append(advisory)

    def query(self, package: str, version: str) -> list[Vulnerability]:
        """Every live advisory affecting package==version (aliases not merged yet)."""
        try:
            parsed = Version(version)
        except InvalidVersion:
            return []
        found = []
        for advisory in self.by_package.get(package, ()):
            if advisory.withdrawn:
                continue
            try:
                hit = any(
                    a.package == package and affected_versions_match(a, parsed)
                    for a in advisory.affected
                )
            except AdvisoryError as exc:
                self.errors.append(
                    ScanError(Location(advisory.origin), f"advisory {advisory.id}: {exc}")
                )
                continue
            if hit:
                found.append(_vulnerability(advisory, package, version, self.source))
        return found

    def query_every_version(self, package: str) -> list[Vulnerability]:
        """Live advisories that affect every version of the package (a range opened at "0"
        and never closed), recorded with version `ANY_VERSION`."""
        found = []
        for advisory in self.by_package.get(package, ()):
            if advisory.withdrawn:
                continue
            if any(
                a.package == package and any(_open_ended(r) for r in a.ranges)
                for a in advisory.affected
            ):
                found.append(_vulnerability(advisory, package, ANY_VERSION, self.source))
        return found


def _open_ended(rng: Range) -> bool:
    return rng.type in {"ECOSYSTEM", "SEMVER"} and rng.events == (("introduced", "0"),)


def _vulnerability(advisory: Advisory, package: str, version: str, source: str) -> Vulnerability:
    return Vulnerability(
        id=advisory.id,
        package=package,
        version=version,
        aliases=tuple(sorted(set(advisory.aliases))),
        fixed_versions=fixed_versions(advisory, package),
        description=advisory.summary,
        source=source,
        url=advisory.url,
        severity=advisory.severity,
        cvss=advisory.cvss,
    )


def _name_pattern(packages: Iterable[str]) -> re.Pattern[bytes] | None:
    """Bytes that must appear in an advisory about one of `packages` (any of `-_.` between
    the name's parts, any case)."""
    alternatives = sorted(
        {rb"[-_.]+".join(re.escape(p.encode()) for p in re.split(r"-", key)) for key in packages}
    )
    if not alternatives:
        return None
    return re.compile(rb"(?i)(?<![\w.-])(?:" + rb"|".join(alternatives) + rb")(?![\w.-])")


def load_database(path: Path, packages: set[str]) -> Database:
    """Advisories about `packages` from a local OSV database (folder or OSV `all.zip`).

    A file whose bytes do not mention any of the packages (in any spelling PEP 503 folds
    together) cannot be about them and is not parsed; every file that is parsed and turns
    out malformed is a scan error."""
    db = Database(source=f"local:{path.as_posix()}")
    if not path.exists():
        raise InputError("vulnerability database not found", path.as_posix())
    pattern = _name_pattern(packages)
    if pattern is None:
        return db
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise InputError(
                "vulnerability database must be a folder of OSV advisories or an OSV all.zip",
                path.as_posix(),
            )
        _load_zip(path, pattern, db)
        return db
    for file in _advisory_files(path, db):
        shown = file.as_posix()
        try:
            size = file.stat().st_size
            if size > MAX_ADVISORY_BYTES:
                db.errors.append(
                    ScanError(Location(shown), f"advisory larger than {MAX_ADVISORY_BYTES} bytes")
                )
                continue
            data = file.read_bytes()
        except OSError as exc:
            db.errors.append(ScanError(Location(shown), f"cannot read: {exc.strerror or exc}"))
            continue
        db.files_read += 1
        if pattern.search(data):
            _parse_into(data, file.suffix.lower(), shown, db)
    return db


def _advisory_files(root: Path, db: Database) -> Iterator[Path]:
    count = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.lower().endswith(ADVISORY_SUFFIXES) or name.startswith("."):
                continue
            count += 1
            if count > MAX_DB_FILES:
                db.errors.append(
                    ScanError(
                        Location(root.as_posix()),
                        f"more than {MAX_DB_FILES} advisory files; the rest were not read",
                    )
                )
                return
            yield Path(folder) / name


def _load_zip(path: Path, pattern: re.Pattern[bytes], db: Database) -> None:
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                db.errors.append(
                    ScanError(Location(path.as_posix()), f"more than {MAX_ZIP_MEMBERS} members")
                )
                return
            for info in members:
                name = info.filename
                if info.is_dir() or not name.lower().endswith(ADVISORY_SUFFIXES):
                    continue
                where = f"{path.as_posix()}!{name}"
                if info.file_size > MAX_ADVISORY_BYTES:
                    db.errors.append(ScanError(Location(where), "advisory too large"))
                    continue
                total += info.file_size
                if total > MAX_ZIP_BYTES:
                    db.errors.append(
                        ScanError(Location(path.as_posix()), "archive expands beyond the limit")
                    )
                    return
                with archive.open(info) as fh:
                    data = fh.read(MAX_ADVISORY_BYTES + 1)
                if len(data) > MAX_ADVISORY_BYTES:
                    db.errors.append(ScanError(Location(where), "advisory too large"))
                    continue
                db.files_read += 1
                if pattern.search(data):
                    _parse_into(data, Path(name).suffix.lower(), where, db)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        db.errors.append(ScanError(Location(path.as_posix()), f"cannot read archive: {exc}"))


def _parse_into(data: bytes, suffix: str, shown: str, db: Database) -> None:
    db.files_parsed += 1
    try:
        text = data.decode("utf-8-sig")
        raw = json.loads(text) if suffix == ".json" else _load_yaml(text)
        db.add(parse_advisory(raw, shown))
    except UnicodeDecodeError as exc:
        db.errors.append(ScanError(Location(shown), f"advisory is not UTF-8 ({exc.reason})"))
    except json.JSONDecodeError as exc:
        db.errors.append(ScanError(Location(shown, exc.lineno), f"invalid JSON: {exc.msg}"))
    except AdvisoryError as exc:
        db.errors.append(ScanError(Location(shown), f"not a valid OSV advisory: {exc}"))
    except RecursionError:
        db.errors.append(ScanError(Location(shown), "advisory nested too deeply"))
    except _YamlError as exc:
        db.errors.append(ScanError(Location(shown, exc.line), f"invalid YAML: {exc.reason}"))


class _YamlError(Exception):
    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


# Where an anchor (&x) or alias (*x) could start. Text without one is read with the fast C
# loader when PyYAML has it; anything else goes through a loader that refuses aliases.
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,:-])[&*][^\s,\[\]{}]", re.MULTILINE)


@cache
def _yaml_loaders() -> tuple[Any, Any]:
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, "YAML aliases are not allowed in advisories", event.start_mark
                )
            return super().compose_node(parent, index)

    fast = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return fast, NoAliasLoader


def _load_yaml(text: str) -> Any:
    """YAML without aliases (no billion-laughs expansion), as plain data."""
    import yaml

    fast, careful = _yaml_loaders()
    loader = careful if _MAYBE_ALIAS.search(text) else fast
    try:
        return yaml.load(text, Loader=loader)  # both are SafeLoader variants
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _YamlError(str(problem), line) from None
