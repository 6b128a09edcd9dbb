"""Judge what the package index said (AIB401-AIB408), from the facts `aibom.index` stored in
`Inventory.index` during an `--online` scan. Nothing here talks to the network; without
those facts (an offline scan) these checks find nothing.

For each registry dependency the "home" pages are those of the indexes it may be installed
from that have the project (see `aibom.index.indexes_for`). Version, hash and yank checks run
only when every such index was consulted successfully: a page that could not be fetched is
a scan error (fail closed), an index that cannot be queried (credentials redacted from the
file) leaves those checks undecided rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ..config import Config
from ..model import Dependency, Finding, IndexPage, Inventory
from .check import Check

_STRONG = ("sha256", "sha384", "sha512")


def index_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    from ..enrich.index import (
        indexes_for,
        is_queryable,
        page_key,
        registry_dependencies,
    )

    if inventory.index is None or not inventory.index.pages:
        return
    pages, public = inventory.index.pages, inventory.index.public
    now = _parse_time(inventory.index.checked_at)
    for dep in registry_dependencies(inventory):
        sources = indexes_for(dep, inventory, public)
        public_page = pages.get(page_key(public, dep.key))
        private = [i for i in sources if i != public]
        consulted = [pages.get(page_key(i, dep.key)) for i in sources]
        if public_page is None or public_page.error is not None:
            continue  # recorded as a scan error by the look-up
        if public_page.status == 404:
            if private:
                yield Finding.make(
                    "AIB403", dep.location, name=dep.name, private=private[0], public=public
                )
            elif public in sources:
                yield Finding.make("AIB404", dep.location, name=dep.name, index=public)
        homes = [p for p in consulted if p is not None and p.status == 200]
        decided = all(p is not None and p.error is None for p in consulted) and all(
            is_queryable(i) for i in sources
        )
        for page in homes:
            if page.project_status in ("quarantined", "archived", "deprecated"):
                yield Finding.make(
                    "AIB408",
                    dep.location,
                    name=dep.name,
                    status=page.project_status,
                    index=page.index,
                )
        if not homes:
            continue
        yield from _age(dep, homes, now, config)
        if dep.version is None or not decided:
            continue
        yield from _version(dep, homes)


def _version(dep: Dependency, homes: list[IndexPage]) -> Iterator[Finding]:
    version = dep.version or ""
    files = [f for page in homes for f in _files_of(page, version)]
    index = homes[0].index
    if not files:
        latest = _latest(homes)
        yield Finding.make(
            "AIB405", dep.location, name=dep.name, version=version, index=index, latest=latest
        )
        return
    if all(f["yanked"] is not False for f in files):
        reason = next((f["yanked"] for f in files if isinstance(f["yanked"], str)), "")
        yield Finding.make(
            "AIB402",
            dep.location,
            name=dep.name,
            version=version,
            index=index,
            reason=reason.strip() or "no reason given",
        )
    for digest in dep.hashes:
        alg = digest.alg.lower()
        if alg not in _STRONG:
            continue  # AIB113 / AIB114 judge it offline
        published = {f["hashes"].get(alg) for f in files} - {None}
        if not published:
            continue  # the index does not publish this algorithm: cannot tell
        if digest.value.lower() not in published:
            yield Finding.make(
                "AIB401",
                dep.location,
                name=dep.name,
                version=version,
                alg=alg,
                short=digest.value[:16] + "…",
                index=index,
            )


def _files_of(page: IndexPage, version: str) -> list[dict[str, Any]]:
    from packaging.version import InvalidVersion, Version

    versions: dict[str, list[dict[str, Any]]] = page.versions
    if version in versions:
        return versions[version]
    try:
        wanted = Version(version)
    except InvalidVersion:
        return []
    out: list[dict[str, Any]] = []
    for text, files in versions.items():
        try:
            found = Version(text)
            # PEP 440: ==X ignores a local label (+cpu) unless the pin names one
            if found == wanted or (not wanted.local and Version(found.public) == wanted):
                out.extend(files)
        except InvalidVersion:
            continue
    return out


def _latest(homes: list[IndexPage]) -> str:
    from packaging.version import InvalidVersion, Version

    best: Version | None = None
    for page in homes:
        for text in page.versions:
            try:
                v = Version(text)
            except InvalidVersion:
                continue
            if not v.is_prerelease and (best is None or v > best):
                best = v
    return str(best) if best is not None else "none"


def _age(
    dep: Dependency, homes: list[IndexPage], now: datetime | None, config: Config
) -> Iterator[Finding]:
    threshold = config.new_package_days
    if now is None or threshold <= 0:
        return
    firsts = [p.first_upload for p in homes if p.first_upload]
    first = _parse_time(min(firsts)) if firsts else None
    index = homes[0].index
    if first is not None and 0 <= (now - first).days < threshold:
        yield Finding.make(
            "AIB406",
            dep.location,
            name=dep.name,
            index=index,
            first_upload=first.date().isoformat(),
            days=(now - first).days,
            threshold=threshold,
        )
        return  # a new project's releases are all new: one finding says it
    if dep.version is None:
        return
    uploads = [
        f["upload_time"] for p in homes for f in _files_of(p, dep.version) if f["upload_time"]
    ]
    uploaded = _parse_time(min(uploads)) if uploads else None
    if uploaded is not None and 0 <= (now - uploaded).days < threshold:
        yield Finding.make(
            "AIB407",
            dep.location,
            name=dep.name,
            version=dep.version,
            index=index,
            uploaded=uploaded.date().isoformat(),
            days=(now - uploaded).days,
            threshold=threshold,
        )


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


CHECKS: tuple[Check, ...] = (
    Check(
        frozenset({f"AIB40{i}" for i in range(1, 9)}),
        index_findings,
        "package index",
    ),
)
