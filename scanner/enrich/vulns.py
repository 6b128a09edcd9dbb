"""Known vulnerabilities of pinned and locked packages.

Two sources, usable together:

- `--vuln-db PATH`: offline, from a local copy of an OSV-format advisory database: a folder
  of `*.yaml` / `*.yml` / `*.json` advisories in any layout (the PyPA advisory database's
  `vulns/<package>/PYSEC-....yaml`, GitHub's `advisories/.../GHSA-....json`), or OSV's
  `all.zip` export of one ecosystem. Version ranges are evaluated here with `packaging`.
- `--audit`: online, through pip-audit's own vulnerability services (`osv` or `pypi`, set by
  `vuln-service`), with pip-audit's HTTP session, a timeout, and an on-disk result cache
  (`cache-ttl`).

What this module records (facts; `checks/vulns.py` judges):

- `inventory.vulnerabilities`: one `Vulnerability` per advisory (aliases merged) per affected
  package version; with `--vuln-db`, an unpinned package named by an advisory that affects
  every version (a malicious package) gets one with version `"*"`;
- `inventory.audit.unaudited`: a list of `Unaudited` records, one per package
  that could not be looked up exactly (not pinned, a direct URL, not a PyPI package, an
  invalid version, not known to the service) with the reason and where it is declared;
- `inventory.audit.audited`: the sorted "name==version" strings looked up;
- `inventory.audit.sources`: which sources answered.

A service that fails or times out raises `NetworkError` naming the service: an audit that
could not run is never reported as "no known vulnerabilities". A malformed advisory file in a
local database is a `ScanError` on that file; the rest of the database is still used.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from ..config import Config, default_cache_dir
from ..errors import InputError, NetworkError
from ..model import (
    AuditResult,
    Dependency,
    Inventory,
    Location,
    ScanError,
    Unaudited,
    Vulnerability,
    normalize_name,
)

MAX_ADVISORY_BYTES = 4 * 1024 * 1024
MAX_DB_FILES = 500_000
MAX_ZIP_MEMBERS = 500_000
MAX_ZIP_BYTES = 4 * 1024**3
MAX_EVENTS = 10_000
MAX_VERSIONS = 100_000
ONLINE_WORKERS = 8
ADVISORY_SUFFIXES = (".yaml", ".yml", ".json")

ANY_VERSION = "*"  # Vulnerability.version when every version of the package is affected


# --------------------------------------------------------------------------- entry point


def enrich_vulnerabilities(inventory: Inventory, config: Config) -> None:
    targets, unaudited = audit_targets(inventory.dependencies)
    found: dict[tuple[str, str], list[Vulnerability]] = {}
    sources: list[str] = []
    if config.vuln_db is not None:
        # Packages without an exact version can still be matched by advisories that affect
        # every version (malicious packages): whatever gets installed is affected.
        unpinned = {
            d.key for d in inventory.dependencies if d.ecosystem == "pypi" and d.version is None
        } - {key for key, _ in targets}
        db = load_database(config.vuln_db, {key for key, _ in targets} | unpinned)
        sources.append(db.source)
        for (key, version), _name in sorted(targets.items()):
            found.setdefault((key, version), []).extend(db.query(key, version))
        for key in sorted(unpinned):
            hits = db.query_every_version(key)
            if hits:
                found[(key, ANY_VERSION)] = hits
        inventory.errors.extend(dict.fromkeys(db.errors))  # query errors repeat per version
    if config.audit:
        online, skipped = audit_online(targets, config)
        sources.append(config.vuln_service)
        for pair, vulns in online.items():
            found.setdefault(pair, []).extend(vulns)
        for (key, version), reason in sorted(skipped.items()):
            unaudited.append(
                Unaudited(key, targets[(key, version)], reason, _locations(inventory, key))
            )
    merged: list[Vulnerability] = []
    for _pair, vulns in sorted(found.items()):
        merged.extend(merge_aliases(vulns))
    inventory.vulnerabilities.extend(merged)
    inventory.audit = AuditResult(
        audited=sorted(f"{k}=={v}" for k, v in targets),
        unaudited=sorted(unaudited, key=lambda u: u.package),
        sources=list(sources),
    )


def _locations(inventory: Inventory, key: str) -> tuple[Location, ...]:
    return tuple(sorted({d.location for d in inventory.dependencies if d.key == key}))


def audit_targets(
    dependencies: Iterable[Dependency],
) -> tuple[dict[tuple[str, str], str], list[Unaudited]]:
    """(key, version) -> name for every exactly known PyPI version, and the packages that
    have no exact version anywhere (with the reason)."""
    targets: dict[tuple[str, str], str] = {}
    problems: dict[str, tuple[str, str, list[Location]]] = {}
    audited: set[str] = set()
    for dep in dependencies:
        key = dep.key
        reason: str | None = None
        if dep.ecosystem != "pypi":
            reason = f"{dep.ecosystem} package: no {dep.ecosystem} advisory source is queried"
        elif dep.version is None:
            if dep.url is not None:
                reason = f"direct reference ({dep.url_kind or 'url'}) without a version"
            elif dep.specifier:
                reason = f"not pinned ({dep.specifier}): any matching version may be installed"
            else:
                reason = "not pinned (no version specifier): any version may be installed"
        else:
            try:
                Version(dep.version)
            except InvalidVersion:
                reason = f"version {dep.version!r} is not a valid PEP 440 version"
        if reason is None:
            targets.setdefault((key, str(dep.version)), dep.name)
            audited.add(key)
            continue
        entry = problems.setdefault(key, (dep.name, reason, []))
        entry[2].append(dep.location)
    unaudited = [
        Unaudited(key, name, reason, tuple(sorted(set(locations))))
        for key, (name, reason, locations) in sorted(problems.items())
        if key not in audited
    ]
    return targets, unaudited


# --------------------------------------------------------------------------- OSV records


@dataclass(frozen=True)
class Range:
    type: str
    events: tuple[tuple[str, str], ...]  # ("introduced" | "fixed" | "last_affected" | "limit", v)


@dataclass(frozen=True)
class Affected:
    package: str  # normalised
    ranges: tuple[Range, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    affected: tuple[Affected, ...]
    withdrawn: bool = False
    severity: str | None = None
    cvss: str | None = None
    url: str | None = None
    origin: str = ""  # the file it came from

    @property
    def ids(self) -> frozenset[str]:
        return frozenset((self.id, *self.aliases))


class AdvisoryError(ValueError):
    """An advisory that does not follow the OSV schema; the message says what is wrong."""


def parse_advisory(data: Any, origin: str = "") -> Advisory:
    """An OSV record (already decoded from YAML or JSON) as an `Advisory`."""
    if not isinstance(data, dict):
        raise AdvisoryError("not an OSV record (expected a mapping at the top level)")
    vid = data.get("id")
    if not isinstance(vid, str) or not vid.strip():
        raise AdvisoryError("missing `id`")
    aliases = data.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise AdvisoryError("`aliases` must be a list of strings")
    affected_raw = data.get("affected") or []
    if not isinstance(affected_raw, list):
        raise AdvisoryError("`affected` must be a list")
    affected = tuple(_parse_affected(a) for a in affected_raw)
    severity, cvss = advisory_severity(data)
    summary = data.get("summary") or data.get("details") or ""
    if not isinstance(summary, str):
        raise AdvisoryError("`summary` / `details` must be text")
    return Advisory(
        id=vid.strip(),
        aliases=tuple(a for a in aliases if a != vid),
        summary=" ".join(summary.split()),
        affected=affected,
        withdrawn=data.get("withdrawn") is not None,
        severity=severity,
        cvss=cvss,
        url=_advisory_url(data),
        origin=origin,
    )


def _parse_affected(raw: Any) -> Affected:
    if not isinstance(raw, dict):
        raise AdvisoryError("an `affected` entry is not a mapping")
    package = raw.get("package") or {}
    if not isinstance(package, dict):
        raise AdvisoryError("`affected[].package` must be a mapping")
    name = package.get("name")
    ecosystem = package.get("ecosystem")
    if ecosystem is not None and not isinstance(ecosystem, str):
        raise AdvisoryError("`affected[].package.ecosystem` must be text")
    if not isinstance(name, str):
        raise AdvisoryError("`affected[].package.name` is missing")
    key = normalize_name(name) if (ecosystem or "").split(":")[0] == "PyPI" else ""
    ranges_raw = raw.get("ranges") or []
    if not isinstance(ranges_raw, list):
        raise AdvisoryError("`affected[].ranges` must be a list")
    ranges = []
    for r in ranges_raw:
        if not isinstance(r, dict) or not isinstance(r.get("type"), str):
            raise AdvisoryError("a range has no `type`")
        events_raw = r.get("events") or []
        if not isinstance(events_raw, list) or len(events_raw) > MAX_EVENTS:
            raise AdvisoryError("`events` must be a list (of at most 10000 events)")
        events = []
        for event in events_raw:
            if not isinstance(event, dict) or len(event) != 1:
                raise AdvisoryError("an event must hold exactly one of introduced/fixed/...")
            (kind, value), *_ = event.items()
            if kind not in {"introduced", "fixed", "last_affected", "limit"}:
                raise AdvisoryError(f"unknown event {kind!r}")
            events.append((kind, str(value)))
        ranges.append(Range(r["type"], tuple(events)))
    versions = raw.get("versions") or []
    if not isinstance(versions, list) or len(versions) > MAX_VERSIONS:
        raise AdvisoryError("`versions` must be a list")
    return Affected(key, tuple(ranges), tuple(str(v) for v in versions))


def _advisory_url(data: dict[str, Any]) -> str | None:
    refs = data.get("references")
    if isinstance(refs, list):
        for wanted in ("ADVISORY", "WEB"):
            for ref in refs:
                if isinstance(ref, dict) and ref.get("type") == wanted:
                    url = ref.get("url")
                    if isinstance(url, str):
                        return url
    return None


def affected_versions_match(affected: Affected, version: Version) -> bool:
    """Whether `version` is affected according to one `affected` entry (OSV semantics)."""
    for listed in affected.versions:
        try:
            if Version(listed) == version:
                return True
        except InvalidVersion:
            if listed == str(version):
                return True
    return any(
        r.type in {"ECOSYSTEM", "SEMVER"} and range_contains(r, version) for r in affected.ranges
    )


def range_contains(rng: Range, version: Version) -> bool:
    """OSV's evaluation of one ECOSYSTEM range: walk the events in version order; an
    `introduced` at or below the version opens, a `fixed` at or below it (or a
    `last_affected` strictly below it) closes; a `limit` at or below it excludes it."""
    events: list[tuple[Version, int, str]] = []
    for order, (kind, text) in enumerate(rng.events):
        if kind == "introduced" and text == "0":
            events.append((Version("0"), -1, kind))
            continue
        try:
            parsed = Version(text)
        except InvalidVersion:
            raise AdvisoryError(f"{kind} version {text!r} is not a PEP 440 version") from None
        if kind == "limit":
            if version >= parsed:
                return False
            continue
        events.append((parsed, order, kind))
    affected = False
    for at, _order, kind in sorted(events):
        if kind == "introduced":
            if version >= at:
                affected = True
        elif kind == "fixed":
            if version >= at:
                affected = False
        elif kind == "last_affected" and version > at:
            affected = False
    return affected


def fixed_versions(advisory: Advisory, package: str) -> tuple[str, ...]:
    fixes: set[str] = set()
    for affected in advisory.affected:
        if affected.package != package:
            continue
        for rng in affected.ranges:
            if rng.type in {"ECOSYSTEM", "SEMVER"}:
                fixes.update(v for kind, v in rng.events if kind == "fixed")
    return tuple(sorted(fixes, key=_version_key))


def _version_key(text: str) -> tuple[int, Version | str]:
    try:
        return (0, Version(text))
    except InvalidVersion:
        return (1, text)


# --------------------------------------------------------------------------- severity

_CVSS3 = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_PR = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}
_GHSA_SEVERITY = {"CRITICAL": "critical", "HIGH": "high", "MODERATE": "medium", "LOW": "low"}


def cvss3_base_score(vector: str) -> float | None:
    """The CVSS v3.0/v3.1 base score of a vector, or None when it is not a valid v3 vector."""
    parts = vector.strip().split("/")
    if not parts or not re.fullmatch(r"CVSS:3\.[01]", parts[0]):
        return None
    metrics: dict[str, str] = {}
    for part in parts[1:]:
        key, _, value = part.partition(":")
        metrics[key] = value
    try:
        scope = metrics["S"]
        iss = 1 - (
            (1 - _CVSS3["C"][metrics["C"]])
            * (1 - _CVSS3["I"][metrics["I"]])
            * (1 - _CVSS3["A"][metrics["A"]])
        )
        exploitability = (
            8.22
            * _CVSS3["AV"][metrics["AV"]]
            * _CVSS3["AC"][metrics["AC"]]
            * _PR[scope][metrics["PR"]]
            * _CVSS3["UI"][metrics["UI"]]
        )
    except KeyError:
        return None
    changed = scope != "U"
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    total = impact + exploitability if scope == "U" else 1.08 * (impact + exploitability)
    return _roundup(min(total, 10.0))


def _roundup(value: float) -> float:
    """CVSS v3.1 Roundup: the smallest number with one decimal >= value (float-safe)."""
    integer = round(value * 100_000)
    if integer % 10_000 == 0:
        return integer / 100_000.0
    return (math.floor(integer / 10_000) + 1) / 10.0


def severity_of_score(score: float) -> str:
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


def advisory_severity(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(severity, CVSS vector): from a CVSS v3 vector when there is one (score computed
    here), else GitHub's `database_specific.severity`; malicious-package records (MAL-) are
    critical. CVSS v4 and v2 vectors are not scored (the text rating is used when present)."""
    entries = data.get("severity")
    if isinstance(entries, list):
        for entry in entries:
            if isinstance(entry, dict) and entry.get("type") == "CVSS_V3":
                vector = entry.get("score")
                if isinstance(vector, str):
                    score = cvss3_base_score(vector)
                    if score is not None:
                        return severity_of_score(score), vector
    specific = data.get("database_specific")
    if isinstance(specific, dict):
        text = specific.get("severity")
        if isinstance(text, str) and text.upper() in _GHSA_SEVERITY:
            return _GHSA_SEVERITY[text.upper()], None
    vid = data.get("id")
    if isinstance(vid, str) and vid.startswith("MAL-"):
        return "critical", None
    return None, None


_SEVERITY_ORDER = {"low": 1, "medium": 2, "high": 3, "critical": 4}


# --------------------------------------------------------------------------- local database


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


# --------------------------------------------------------------------------- merging


_ID_PREFERENCE = ("PYSEC-", "GHSA-", "CVE-", "MAL-")


def _id_rank(vid: str) -> tuple[int, str]:
    for rank, prefix in enumerate(_ID_PREFERENCE):
        if vid.startswith(prefix):
            return rank, vid
    return len(_ID_PREFERENCE), vid


def merge_aliases(vulns: list[Vulnerability]) -> list[Vulnerability]:
    """Advisories about one package version that share an id or alias become one record:
    the preferred id (PYSEC, then GHSA, then CVE), every other id as an alias, the union of
    fixed versions and sources, the highest severity, and the preferred record's text."""
    groups: list[list[Vulnerability]] = []
    group_ids: list[set[str]] = []
    for vuln in vulns:
        ids = {vuln.id, *vuln.aliases}
        joined = [i for i, existing in enumerate(group_ids) if existing & ids]
        if not joined:
            groups.append([vuln])
            group_ids.append(ids)
            continue
        first = joined[0]
        groups[first].append(vuln)
        group_ids[first] |= ids
        for other in reversed(joined[1:]):
            groups[first].extend(groups.pop(other))
            group_ids[first] |= group_ids.pop(other)
    merged = []
    for group, ids in zip(groups, group_ids, strict=True):
        primary_id = min(ids, key=_id_rank)
        records = sorted(group, key=lambda v: _id_rank(v.id))
        main = records[0]
        fixes = sorted({f for v in group for f in v.fixed_versions}, key=_version_key)
        severities = [v.severity for v in group if v.severity]
        severity = max(severities, key=lambda s: _SEVERITY_ORDER.get(s, 0)) if severities else None
        cvss = next((v.cvss for v in records if v.cvss), None)
        merged.append(
            Vulnerability(
                id=primary_id,
                package=main.package,
                version=main.version,
                aliases=tuple(sorted(ids - {primary_id}, key=_id_rank)),
                fixed_versions=tuple(fixes),
                description=_best_description(records),
                source=",".join(sorted({s for v in group for s in v.source.split(",") if s})),
                url=next((v.url for v in records if v.url), None),
                severity=severity,
                cvss=cvss,
            )
        )
    return sorted(merged, key=lambda v: _id_rank(v.id))


# --------------------------------------------------------------------------- online (pip-audit)


def _best_description(records: list[Vulnerability]) -> str:
    """A one-line summary when one of the records has it (GHSA and MAL records carry a
    `summary`; PYSEC records only long `details`), else the preferred record's text."""
    texts = [v.description for v in records if v.description]
    short = [t for t in texts if len(t) <= 200]
    return (short or texts or [""])[0]


class _Tap:
    """Wraps pip-audit's `requests` session to keep what pip-audit's results leave out (the
    advisory's severity and link), keyed by advisory id. Everything else passes through."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.extra: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def post(self, *args: Any, **kwargs: Any) -> Any:
        return self._keep(self.inner.post(*args, **kwargs))

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._keep(self.inner.get(*args, **kwargs))

    def lookup(self, ids: set[str]) -> dict[str, Any]:
        with self._lock:
            for vid in sorted(ids, key=_id_rank):
                if vid in self.extra:
                    return self.extra[vid]
        return {}

    def _keep(self, response: Any) -> Any:
        try:
            if getattr(response, "status_code", 200) != 200:
                return response
            body = response.json()
        except ValueError:
            return response  # pip-audit reports the broken body itself
        if not isinstance(body, dict):
            return response
        records = body.get("vulns") or body.get("vulnerabilities") or []
        with self._lock:
            for record in records if isinstance(records, list) else []:
                if isinstance(record, dict) and isinstance(record.get("id"), str):
                    severity, cvss = advisory_severity(record)
                    url = record.get("link") if isinstance(record.get("link"), str) else None
                    self.extra[record["id"]] = {
                        "severity": severity,
                        "cvss": cvss,
                        "url": url or _advisory_url(record),
                    }
        return response


def _make_service(name: str, cache: Path, timeout: float) -> Any:
    from pip_audit._service import OsvService, PyPIService

    if name == "osv":
        return OsvService(cache_dir=cache, timeout=timeout)
    if name == "pypi":
        return PyPIService(cache_dir=cache, timeout=timeout)
    raise InputError(f"unknown vulnerability service {name!r}", hint="use osv or pypi")


def audit_online(
    targets: dict[tuple[str, str], str], config: Config, session: Any = None
) -> tuple[dict[tuple[str, str], list[Vulnerability]], dict[tuple[str, str], str]]:
    """Look every (package, version) up in pip-audit's `config.vuln_service`.

    Returns the vulnerabilities by (package, version) and the pairs the service could not
    audit (e.g. unknown to PyPI) with the reason. `session` replaces pip-audit's HTTP
    session (tests pass one serving recorded responses). Raises NetworkError naming the
    service when it fails or times out."""
    name = config.vuln_service
    found: dict[tuple[str, str], list[Vulnerability]] = {}
    skipped: dict[tuple[str, str], str] = {}
    cache = _ResultCache(default_cache_dir(config) / "vulns" / name, config.cache_ttl_seconds)
    pending: list[tuple[str, str]] = []
    for pair in sorted(targets):
        hit = cache.get(pair)
        if hit is None:
            pending.append(pair)
        elif hit[1] is not None:
            skipped[pair] = hit[1]
        else:
            found[pair] = hit[0]
    if not pending:
        return found, skipped
    try:
        service = _make_service(
            name, default_cache_dir(config) / "pip-audit-http", config.timeout_seconds
        )
    except InputError:
        raise
    except Exception as exc:  # pip-audit setup failures are the service's
        raise NetworkError(
            f"cannot start the vulnerability service: {exc} (service: {name})"
        ) from None
    tap = _Tap(session if session is not None else service.session)
    service.session = tap

    def one(pair: tuple[str, str]) -> tuple[tuple[str, str], list[Vulnerability], str | None]:
        return _query(service, tap, name, pair, targets[pair])

    workers = max(1, min(ONLINE_WORKERS, len(pending)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one, pair) for pair in pending]
        try:
            for future in futures:
                pair, vulns, reason = future.result()
                cache.put(pair, vulns, reason)
                if reason is not None:
                    skipped[pair] = reason
                else:
                    found[pair] = vulns
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return found, skipped


def _query(
    service: Any, tap: _Tap, name: str, pair: tuple[str, str], written: str
) -> tuple[tuple[str, str], list[Vulnerability], str | None]:
    import requests
    from pip_audit._service import ResolvedDependency, ServiceError

    key, version = pair
    started = time.monotonic()
    try:
        dep, results = service.query(ResolvedDependency(name=written, version=Version(version)))
    except ServiceError as exc:
        detail = _describe(exc.__cause__) if exc.__cause__ else str(exc) or "service error"
        raise NetworkError(
            f"vulnerability lookup of {key}=={version} failed: {detail} (service: {name})",
            hint="retry later, raise `timeout`, or audit offline with --vuln-db PATH",
        ) from None
    except requests.RequestException as exc:
        waited = time.monotonic() - started
        raise NetworkError(
            f"vulnerability lookup of {key}=={version} failed after {waited:.1f}s: "
            f"{_describe(exc)} (service: {name})",
            hint="retry later, raise `timeout`, or audit offline with --vuln-db PATH",
        ) from None
    except ValueError as exc:  # a body that is not JSON
        raise NetworkError(
            f"vulnerability service sent an unreadable answer for {key}=={version}: {exc} "
            f"(service: {name})"
        ) from None
    if dep.is_skipped():
        return pair, [], f"the {name} service skipped it ({dep.skip_reason})"
    vulns = []
    for result in results:
        extra = tap.lookup({str(result.id), *(str(a) for a in result.aliases)})
        url = extra.get("url") or (
            f"https://osv.dev/vulnerability/{result.id}" if name == "osv" else None
        )
        vulns.append(
            Vulnerability(
                id=str(result.id),
                package=key,
                version=version,
                aliases=tuple(sorted(str(a) for a in result.aliases)),
                fixed_versions=tuple(str(v) for v in sorted(result.fix_versions)),
                description=str(result.description),
                source=name,
                url=url,
                severity=extra.get("severity"),
                cvss=extra.get("cvss"),
            )
        )
    return pair, vulns, None


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def _describe(exc: BaseException) -> str:
    """A short cause: `HTTP 503`, `timed out (read)`, `cannot connect to host: reason`."""
    import requests

    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if status is not None:
        return f"HTTP {status}"
    text = str(exc) or type(exc).__name__
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    host = url.split("/")[2] if isinstance(url, str) and url.count("/") >= 2 else None
    if isinstance(exc, requests.Timeout):
        kind = "connect" if isinstance(exc, requests.ConnectTimeout) else "read"
        return f"timed out ({kind})" + (f" talking to {host}" if host else "")
    if isinstance(exc, requests.ConnectionError):
        reason = _ERRNO.search(text)
        where = f" to {host}" if host else ""
        return f"cannot connect{where}: {reason.group(1).strip() if reason else text}"
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text


class _ResultCache:
    """One JSON file per (service, package, version), valid for `ttl` seconds."""

    def __init__(self, folder: Path, ttl: int) -> None:
        self.folder = folder
        self.ttl = ttl

    def _file(self, pair: tuple[str, str]) -> Path:
        digest = hashlib.sha256(f"{pair[0]}=={pair[1]}".encode()).hexdigest()[:32]
        return self.folder / f"{digest}.json"

    def get(self, pair: tuple[str, str]) -> tuple[list[Vulnerability], str | None] | None:
        if self.ttl <= 0:
            return None
        path = self._file(pair)
        try:
            data = json.loads(path.read_text("utf-8"))
            if time.time() - float(data["fetched_at"]) > self.ttl:
                return None
            if data["package"] != pair[0] or data["version"] != pair[1]:
                return None
            vulns = [
                Vulnerability(
                    **{
                        **v,
                        "aliases": tuple(v["aliases"]),
                        "fixed_versions": tuple(v["fixed_versions"]),
                    }
                )
                for v in data["vulns"]
            ]
            return vulns, data.get("skipped")
        except (OSError, ValueError, KeyError, TypeError):
            return None  # missing, expired or damaged: ask the service again

    def put(self, pair: tuple[str, str], vulns: list[Vulnerability], skipped: str | None) -> None:
        if self.ttl <= 0:
            return
        path = self._file(pair)
        record = {
            "fetched_at": time.time(),
            "package": pair[0],
            "version": pair[1],
            "skipped": skipped,
            "vulns": [
                {
                    "id": v.id,
                    "package": v.package,
                    "version": v.version,
                    "aliases": list(v.aliases),
                    "fixed_versions": list(v.fixed_versions),
                    "description": v.description,
                    "source": v.source,
                    "url": v.url,
                    "severity": v.severity,
                    "cvss": v.cvss,
                }
                for v in vulns
            ],
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps(record), "utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs a later lookup
