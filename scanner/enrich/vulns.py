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
import os
import re
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
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
    Unaudited,
    Vulnerability,
)
from .osv import (
    ANY_VERSION,
    SEVERITY_ORDER,
    advisory_severity,
    advisory_url,
    version_key,
)
from .osv_db import load_database

ONLINE_WORKERS = 8


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
        fixes = sorted({f for v in group for f in v.fixed_versions}, key=version_key)
        severities = [v.severity for v in group if v.severity]
        severity = max(severities, key=lambda s: SEVERITY_ORDER.get(s, 0)) if severities else None
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
                        "url": url or advisory_url(record),
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
