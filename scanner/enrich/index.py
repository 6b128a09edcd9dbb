"""Package-index look-ups (opt-in: `--online` or `online = true`): what the index publishes
for each declared package, stored as facts for the checks in `aibom.checks.index`.

Reads the standard JSON simple API (PEP 691, `Accept: application/vnd.pypi.simple.v1+json`)
of `config.index_url` (the public index, PyPI by default) for every registry dependency, and
of the index a requirements file (`--index-url`, `--extra-index-url`) or a lock entry
(`aibom:index`) names for it. Per file it records the sha256 digest, the PEP 592 `yanked`
value and the PEP 700 `upload-time`, grouped by version (parsed from the file name).

- Responses are cached on disk (`cache-dir`, default `~/.cache/aibom/index`) for
  `cache-ttl` seconds (0: no cache); a 404 is cached like a page, errors are not.
- Requests run concurrently (at most `MAX_CONCURRENCY` at a time) with `timeout` seconds
  each; a timeout, a connection error, an HTTP error other than 404, or an answer that is
  not PEP 691 JSON becomes a scan error naming the index and the package (fail closed:
  the scan is incomplete, never a silent pass).
- An index URL whose credentials were redacted from the file (`https://***@host/...`) cannot
  be queried; packages that may come from it are not version- or hash-checked (recorded as
  `unqueried` so the checks know).

`httpx` is imported only here, only when the look-up runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..config import Config, default_cache_dir
from ..model import Dependency, IndexLookup, IndexPage, Inventory, ScanError, normalize_name

ACCEPT = "application/vnd.pypi.simple.v1+json"
ACCEPT_HEADER = f"{ACCEPT}, application/vnd.pypi.simple.latest+json;q=0.9"
MAX_CONCURRENCY = 8
MAX_PAGE_BYTES = 64 * 1024 * 1024


def page_key(index: str, name: str) -> str:
    return f"{normalize_index(index)} {normalize_name(name)}"


def normalize_index(url: str) -> str:
    return url.rstrip("/") + "/"


def is_queryable(url: str) -> bool:
    return "***" not in url and url.lower().startswith(("https://", "http://"))


def indexes_for(dep: Dependency, inventory: Inventory, public: str) -> list[str]:
    """Every index `dep` may be installed from: the one its lock entry names, else the
    `--index-url` / `--extra-index-url` options of its file (the public index when the file
    names no `--index-url`)."""
    props = dict(dep.properties)
    locked = props.get("aibom:index")
    if locked:
        return [normalize_index(locked)]
    main: str | None = None
    extra: list[str] = []
    no_index = False
    for option in inventory.index_options:
        if option.location.path != dep.location.path:
            continue
        if option.option in ("--index-url", "--default-index"):
            main = option.value
        elif option.option in ("--extra-index-url", "--index"):  # uv's [[tool.uv.index]]
            extra.append(option.value)
        elif option.option == "--no-index":
            no_index = True
    if no_index:
        return [normalize_index(u) for u in extra]
    found = [normalize_index(main or public)] + [normalize_index(u) for u in extra]
    return list(dict.fromkeys(found))


def registry_dependencies(inventory: Inventory) -> list[Dependency]:
    """Dependencies installed from a package index (not URLs, paths, VCS or editables)."""
    return [
        d
        for d in inventory.dependencies
        if d.ecosystem == "pypi" and d.url is None and not d.editable and d.key
    ]


def enrich_from_index(
    inventory: Inventory,
    config: Config,
    *,
    transport: Any = None,
    now: datetime | None = None,
) -> None:
    public = normalize_index(config.index_url)
    deps = registry_dependencies(inventory)
    wanted: dict[tuple[str, str], list[Dependency]] = {}
    unqueried: set[str] = set()
    for dep in deps:
        for index in {public, *indexes_for(dep, inventory, public)}:
            if not is_queryable(index):
                unqueried.add(index)
                continue
            wanted.setdefault((index, dep.key), []).append(dep)
    pages = fetch_pages(sorted(wanted), config, transport=transport)
    facts: dict[str, IndexPage] = {}
    errors: list[ScanError] = []
    for key, page in pages.items():
        facts[page_key(*key)] = page
        if page.error is not None:
            for dep in wanted[key]:
                shown = _shown(page.index)
                reason = f"index look-up failed for {page.name} at {shown}: {page.error}"
                errors.append(ScanError(dep.location, reason))
    inventory.errors.extend(sorted(set(errors), key=lambda e: (e.location, e.reason)))
    inventory.index = IndexLookup(
        public=public,
        checked_at=(now or datetime.now(UTC)).isoformat(),
        pages=facts,
        unqueried=sorted(unqueried),
    )


def _shown(index: str) -> str:
    from ..redact import redact_url

    return redact_url(index)[0]


# --------------------------------------------------------------------------- fetching


def fetch_pages(
    keys: Iterable[tuple[str, str]], config: Config, *, transport: Any = None
) -> dict[tuple[str, str], IndexPage]:
    import httpx

    keys = list(keys)
    if not keys:
        return {}
    cache = _Cache(default_cache_dir(config) / "index", config.cache_ttl_seconds)
    results: dict[tuple[str, str], IndexPage] = {}
    todo: list[tuple[str, str]] = []
    for key in keys:
        cached = cache.get(*key)
        if cached is not None:
            results[key] = cached
        else:
            todo.append(key)
    if not todo:
        return results
    with httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(config.timeout_seconds),
        headers={"Accept": ACCEPT_HEADER, "User-Agent": _user_agent()},
        follow_redirects=True,
    ) as client:
        workers = max(1, min(MAX_CONCURRENCY, len(todo)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            fetched = list(pool.map(lambda key: _fetch(client, key[0], key[1]), todo))
    for key, (page, body) in zip(todo, fetched, strict=True):
        results[key] = page
        if page.error is None:
            cache.put(key[0], key[1], page.status or 0, body)
    return results


def _user_agent() -> str:
    from .. import __version__

    return f"aibom/{__version__}"


def _fetch(client: Any, index: str, name: str) -> tuple[IndexPage, Any]:
    import httpx

    url = f"{index}{normalize_name(name)}/"
    page = IndexPage(index=index, name=name)
    try:
        response = client.get(url)
    except httpx.TimeoutException:
        page.error = "timed out"
        return page, None
    except httpx.HTTPError as exc:
        page.error = f"{type(exc).__name__}: {exc}"
        return page, None
    if response.status_code == 404:
        page.status = 404
        return page, None
    if response.status_code != 200:
        page.error = f"HTTP {response.status_code}"
        return page, None
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
    if not content_type.startswith("application/vnd.pypi.simple.v1+json"):
        page.error = (
            f"answered {content_type or 'no content type'}, not the JSON simple API (PEP 691)"
        )
        return page, None
    if len(response.content) > MAX_PAGE_BYTES:
        page.error = f"page larger than {MAX_PAGE_BYTES} bytes"
        return page, None
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        page.error = f"invalid JSON ({exc})"
        return page, None
    problem = parse_page(body, page)
    if problem:
        page.error = problem
        return page, None
    page.status = 200
    return page, body


def parse_page(body: Any, page: IndexPage) -> str | None:
    """Fill `page` from a PEP 691 project document; the problem when it is malformed."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    if not isinstance(body, dict) or not isinstance(body.get("files"), list):
        return "not a PEP 691 project page (no files list)"
    meta = body["meta"] if isinstance(body.get("meta"), dict) else {}
    api = str(meta.get("api-version", "1.0"))
    if not api.startswith("1."):
        return f"unsupported simple API version {api}"
    status = body.get("project-status")
    if isinstance(status, dict) and isinstance(status.get("status"), str):
        page.project_status = status["status"]
    versions = body.get("versions")
    if isinstance(versions, list):
        page.all_versions = [str(v) for v in versions]
    uploads: list[str] = []
    for raw in body["files"]:
        if not isinstance(raw, dict) or not isinstance(raw.get("filename"), str):
            continue
        filename = raw["filename"]
        try:
            if filename.endswith(".whl"):
                version = str(parse_wheel_filename(filename)[1])
            else:
                version = str(parse_sdist_filename(filename)[1])
        except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
            continue  # .egg, .exe and other legacy files: not installable by pip today
        hashes = raw["hashes"] if isinstance(raw.get("hashes"), dict) else {}
        uploaded = raw.get("upload-time") if isinstance(raw.get("upload-time"), str) else None
        yanked = raw.get("yanked", False)
        requires_python = raw.get("requires-python")
        entry = {
            "filename": filename,
            "hashes": {str(k).lower(): str(v).lower() for k, v in hashes.items()},
            "yanked": yanked if isinstance(yanked, (bool, str)) else bool(yanked),
            "upload_time": uploaded,
            "requires_python": requires_python if isinstance(requires_python, str) else None,
        }
        page.versions.setdefault(version, []).append(entry)
        if uploaded:
            uploads.append(uploaded)
    page.first_upload = min(uploads) if uploads else None
    return None


# --------------------------------------------------------------------------- the cache


class _Cache:
    """One JSON file per (index, project): {"fetched": epoch, "status": int, "body": ...}."""

    def __init__(self, folder: Path, ttl: int) -> None:
        self.folder = folder
        self.ttl = ttl

    def _path(self, index: str, name: str) -> Path:
        tag = hashlib.sha256(index.encode("utf-8")).hexdigest()[:16]
        return self.folder / tag / f"{normalize_name(name)}.json"

    def get(self, index: str, name: str) -> IndexPage | None:
        if self.ttl <= 0:
            return None
        path = self._path(index, name)
        try:
            data = json.loads(path.read_bytes())
            if time.time() - float(data["fetched"]) > self.ttl:
                return None
            page = IndexPage(index=index, name=name)
            if data["status"] == 404:
                page.status = 404
                return page
            if parse_page(data["body"], page) is not None:
                return None
            page.status = 200
            return page
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no entry, or a damaged one: fetch again

    def put(self, index: str, name: str, status: int, body: Any) -> None:
        if self.ttl <= 0:
            return
        path = self._path(index, name)
        data = {"fetched": time.time(), "index": index, "status": status, "body": body}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs a request next time
