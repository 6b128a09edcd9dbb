"""OSV advisories (the schema of osv.dev, the PyPA and GitHub advisory databases): parsing,
version ranges, fixed versions and severities (CVSS 3 base scores computed here)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from ..model import normalize_name

ANY_VERSION = "*"  # Vulnerability.version when every version of the package is affected
MAX_EVENTS = 10_000
MAX_VERSIONS = 100_000


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
        url=advisory_url(data),
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


def advisory_url(data: dict[str, Any]) -> str | None:
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
    return tuple(sorted(fixes, key=version_key))


def version_key(text: str) -> tuple[int, Version | str]:
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


SEVERITY_ORDER = {"low": 1, "medium": 2, "high": 3, "critical": 4}
