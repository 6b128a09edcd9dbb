"""Installed environments (`aibom scan --env PATH`): the distributions a virtualenv or a
site-packages folder holds, read from their metadata files, never by importing anything.

`PATH` may be a virtual environment or Python prefix (its `lib/python*/site-packages`,
`lib64/...`, `Lib/site-packages` are used), a site-packages folder, or any folder holding
`*.dist-info` / `*.egg-info` entries.

Per distribution, one `Dependency(source=SourceKind.ENVIRONMENT, direct=False)`:

- name and version from `METADATA` (`PKG-INFO` for egg-info), parsed as RFC 822 headers
  with `email.parser.HeaderParser` (compat32); non-UTF-8 metadata is decoded as latin-1;
- licences: the PEP 639 `License-Expression`; else the `License ::` classifiers that map to
  one SPDX id; else a short one-line `License` field; else the classifier names as written
  (for example "BSD License", which names no single SPDX licence);
- `requires`: the names in `Requires-Dist` (egg-info: `requires.txt`) that are not tied to
  an extra (`extra == "..."` markers belong to the extras, not to the package);
- `file_hashes`: the sha256 of the `RECORD` file itself, and the property
  `aibom:record:files` with the number of files it lists (the per-file digests stay in
  RECORD: verifying them is a separate job); a distribution without RECORD (egg-info,
  some system packages) has the property `aibom:record=missing` instead;
- PEP 610 `direct_url.json`: the URL it was installed from (`url`, `url_kind`, `vcs_ref`,
  `editable`, and `hashes` for an archive), credentials redacted;
- `INSTALLER` as the property `aibom:installer`;
- location: `<env as given>/<path to METADATA inside it>`.

Broken input (unreadable or oversized files, metadata without Name or Version, a RECORD
that is not CSV, an unparsable Requires-Dist) is a `ScanError` on that file; the other
distributions are still read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
from dataclasses import replace
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ..config import Config
from ..model import Collected, Dependency, Hash, Location, ScanError, SourceKind, normalize_name
from ..redact import redact_url

MAX_METADATA_BYTES = 16 * 1024 * 1024
MAX_RECORD_BYTES = 64 * 1024 * 1024
MAX_SMALL_FILE_BYTES = 1024 * 1024
MAX_DISTRIBUTIONS = 200_000

# `License ::` classifier (last segment) -> SPDX id, only where the classifier names
# exactly one licence. "BSD License", "GNU General Public License (GPL)", "Artistic
# License", "Academic Free License (AFL)" name a family, not one licence: kept as text.
CLASSIFIER_SPDX: dict[str, str] = {
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "Apache Software License": "Apache-2.0",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 1.0 (MPL)": "MPL-1.0",
    "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
    "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "European Union Public Licence 1.1 (EUPL 1.1)": "EUPL-1.1",
    "European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "The Unlicense (Unlicense)": "Unlicense",
    "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "zlib/libpng License": "Zlib",
    "Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "Universal Permissive License (UPL)": "UPL-1.0",
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
    "Zope Public License": "ZPL-2.1",
    "Apple Public Source License": "APSL-2.0",
    "Blue Oak Model License (BlueOak-1.0.0)": "BlueOak-1.0.0",
}

_EXTRA_MARKER = re.compile(r"\bextra\b")
_SITE_GLOBS = (
    "lib/python*/site-packages",
    "lib64/python*/site-packages",
    "lib/pypy*/site-packages",
    "Lib/site-packages",
    "lib/site-packages",
)


class _FileProblem(Exception):
    pass


def collect_environment(path: Path, config: Config) -> Collected:
    """Every installed distribution under `path` (see the module docstring)."""
    shown = path.as_posix().rstrip("/") or "/"
    result = _collect_environment(path, shown, config)
    result.dependencies = [replace(d, graph=d.graph or shown) for d in result.dependencies]
    return result


def _collect_environment(path: Path, shown: str, config: Config) -> Collected:
    result = Collected()
    if not path.exists():
        result.errors.append(ScanError(Location(shown), "environment not found"))
        return result
    if not path.is_dir():
        result.errors.append(
            ScanError(Location(shown), "not a folder (expected a virtualenv or site-packages)")
        )
        return result
    site_dirs = find_site_packages(path)
    if not site_dirs:
        result.errors.append(
            ScanError(
                Location(shown),
                "no site-packages and no *.dist-info / *.egg-info found: not an installed "
                "environment",
            )
        )
        return result
    count = 0
    for site in site_dirs:
        rel_site = site.relative_to(path).as_posix()
        prefix = shown if rel_site == "." else f"{shown}/{rel_site}"
        try:
            names = sorted(os.listdir(site))
        except OSError as exc:
            result.errors.append(ScanError(Location(prefix), f"cannot list: {exc.strerror or exc}"))
            continue
        for name in names:
            if not (name.endswith(".dist-info") or name.endswith(".egg-info")):
                continue
            count += 1
            if count > MAX_DISTRIBUTIONS:
                result.errors.append(
                    ScanError(
                        Location(prefix),
                        f"more than {MAX_DISTRIBUTIONS} distributions: the rest were not read",
                    )
                )
                return result
            _read_distribution(site / name, f"{prefix}/{name}", result)
    return result


def find_site_packages(path: Path) -> list[Path]:
    """The folders of `path` that hold installed distributions."""
    if _holds_distributions(path):
        return [path]
    found: list[Path] = []
    seen: set[Path] = set()
    for pattern in _SITE_GLOBS:
        for candidate in sorted(path.glob(pattern)):
            try:
                real = candidate.resolve()
            except OSError:
                continue
            if candidate.is_dir() and real not in seen:
                seen.add(real)
                found.append(candidate)
    return found


def _holds_distributions(path: Path) -> bool:
    try:
        return any(
            name.endswith(".dist-info") or name.endswith(".egg-info") for name in os.listdir(path)
        )
    except OSError:
        return False


def _read_limited(path: Path, limit: int) -> bytes:
    try:
        st = path.stat()
    except OSError as exc:
        raise _FileProblem(f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise _FileProblem("not a regular file")
    if st.st_size > limit:
        raise _FileProblem(f"too large to read ({st.st_size} bytes, limit {limit})")
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise _FileProblem(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise _FileProblem(f"too large to read (over {limit} bytes)")
    return data


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _read_distribution(folder: Path, shown: str, result: Collected) -> None:
    egg = shown.endswith(".egg-info")
    if egg and folder.is_file():  # a single-file egg-info is the PKG-INFO itself
        metadata_path, metadata_shown = folder, shown
    else:
        name = "PKG-INFO" if egg else "METADATA"
        metadata_path, metadata_shown = folder / name, f"{shown}/{name}"
    location = Location(metadata_shown)
    try:
        text = _decode(_read_limited(metadata_path, MAX_METADATA_BYTES))
    except _FileProblem as exc:
        result.errors.append(ScanError(location, f"installed distribution metadata: {exc}"))
        return
    headers = HeaderParser(policy=compat32).parsestr(text)
    name = (headers.get("Name") or "").strip()
    version = (headers.get("Version") or "").strip()
    if not name or not version:
        missing = " and ".join(f for f, v in (("Name", name), ("Version", version)) if not v)
        result.errors.append(
            ScanError(location, f"installed distribution metadata has no {missing}")
        )
        return
    props: list[tuple[str, str]] = []
    file_hashes: tuple[Hash, ...] = ()
    requires, bad = _requires(headers)
    for text_req in bad:
        result.errors.append(
            ScanError(location, f"malformed Requires-Dist {text_req!r}: edge not recorded")
        )
    if egg:
        props.append(("aibom:metadata", "egg-info"))
        if folder.is_dir():
            requires |= _egg_requires(folder / "requires.txt", f"{shown}/requires.txt", result)
        props.append(("aibom:record", "missing"))
    else:
        record = _record(folder / "RECORD", f"{shown}/RECORD", result)
        if record is None:
            props.append(("aibom:record", "missing"))
        else:
            digest, rows = record
            file_hashes = (Hash("sha256", digest),)
            props.append(("aibom:record:files", str(rows)))
        installer = _small_text(folder / "INSTALLER")
        if installer:
            props.append(("aibom:installer", installer.splitlines()[0].strip()))
    url_facts = _direct_url(folder / "direct_url.json", f"{shown}/direct_url.json", result)
    url, url_kind, vcs_ref, editable, hashes, url_props = url_facts
    props.extend(url_props)
    result.dependencies.append(
        Dependency(
            name=name,
            location=location,
            source=SourceKind.ENVIRONMENT,
            specifier=f"=={version}",
            version=version,
            url=url,
            url_kind=url_kind,
            vcs_ref=vcs_ref,
            editable=editable,
            hashes=hashes,
            file_hashes=file_hashes,
            requires=tuple(sorted(requires - {normalize_name(name)})),
            licenses=licenses_of(headers),
            direct=False,
            properties=tuple(props),
        )
    )


def licenses_of(headers: Message) -> tuple[str, ...]:
    """PEP 639 License-Expression, else SPDX-mapped classifiers, else a short License
    field, else the classifier names."""
    expression = (headers.get("License-Expression") or "").strip()
    if expression:
        return (expression,)
    mapped: list[str] = []
    unmapped: list[str] = []
    for classifier in headers.get_all("Classifier") or []:
        parts = [p.strip() for p in str(classifier).split("::")]
        if len(parts) < 2 or parts[0] != "License":
            continue
        leaf = parts[-1]
        if leaf in CLASSIFIER_SPDX:
            mapped.append(CLASSIFIER_SPDX[leaf])
        elif leaf != "OSI Approved":
            unmapped.append(leaf)
    if mapped:
        return tuple(dict.fromkeys(mapped))
    field = (headers.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= 100 and field.upper() != "UNKNOWN":
        return (field,)
    return tuple(dict.fromkeys(unmapped))


def _requires(headers: Message) -> tuple[set[str], list[str]]:
    names: set[str] = set()
    bad: list[str] = []
    for raw in headers.get_all("Requires-Dist") or []:
        text = str(raw).strip()
        try:
            req = Requirement(text)
        except InvalidRequirement:
            bad.append(text)
            continue
        if req.marker is not None and _EXTRA_MARKER.search(str(req.marker)):
            continue
        names.add(normalize_name(req.name))
    return names, bad


def _egg_requires(path: Path, shown: str, result: Collected) -> set[str]:
    """setuptools' requires.txt: requirements before any `[section]` or in a `[:marker]`
    section are required; `[extra]` / `[extra:marker]` sections belong to extras."""
    if not path.exists():
        return set()
    try:
        text = _decode(_read_limited(path, MAX_SMALL_FILE_BYTES))
    except _FileProblem as exc:
        result.errors.append(ScanError(Location(shown), f"requires.txt: {exc}"))
        return set()
    names: set[str] = set()
    in_extra = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]").strip()
            in_extra = not section.startswith(":")
            continue
        if in_extra:
            continue
        try:
            names.add(normalize_name(Requirement(line).name))
        except InvalidRequirement:
            result.errors.append(
                ScanError(Location(shown, number), f"malformed requirement {line!r}")
            )
    return names


def _record(path: Path, shown: str, result: Collected) -> tuple[str, int] | None:
    """(sha256 hex of RECORD's bytes, number of files it lists), None when missing."""
    if not path.exists() and not path.is_symlink():
        return None
    try:
        data = _read_limited(path, MAX_RECORD_BYTES)
    except _FileProblem as exc:
        result.errors.append(ScanError(Location(shown), f"RECORD: {exc}"))
        return None
    digest = hashlib.sha256(data).hexdigest()
    rows = 0
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        for row in reader:
            if not row:
                continue
            if len(row) != 3:
                result.errors.append(
                    ScanError(
                        Location(shown, reader.line_num),
                        f"RECORD row has {len(row)} fields, expected 3 (path, hash, size)",
                    )
                )
                continue
            rows += 1
    except csv.Error as exc:
        result.errors.append(
            ScanError(Location(shown, reader.line_num), f"RECORD is not valid CSV: {exc}")
        )
    return digest, rows


def _small_text(path: Path) -> str | None:
    try:
        return _decode(_read_limited(path, MAX_SMALL_FILE_BYTES)).strip() or None
    except _FileProblem:
        return None


def _direct_url(
    path: Path, shown: str, result: Collected
) -> tuple[str | None, str | None, str | None, bool, tuple[Hash, ...], list[tuple[str, str]]]:
    """PEP 610 direct_url.json -> (url, url_kind, vcs_ref, editable, hashes, properties)."""
    empty: tuple[
        str | None, str | None, str | None, bool, tuple[Hash, ...], list[tuple[str, str]]
    ] = (None, None, None, False, (), [])
    if not path.exists():
        return empty
    try:
        data = json.loads(_decode(_read_limited(path, MAX_SMALL_FILE_BYTES)))
    except _FileProblem as exc:
        result.errors.append(ScanError(Location(shown), f"direct_url.json: {exc}"))
        return empty
    except (json.JSONDecodeError, RecursionError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        result.errors.append(ScanError(Location(shown, line), f"not valid JSON: {exc}"))
        return empty
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        result.errors.append(ScanError(Location(shown), "direct_url.json has no 'url'"))
        return empty
    props: list[tuple[str, str]] = []
    url, had = redact_url(data["url"])
    if had:
        props.append(("credentials", "redacted"))
    vcs_info, archive_info, dir_info = (
        data.get("vcs_info"),
        data.get("archive_info"),
        data.get("dir_info"),
    )
    hashes: list[Hash] = []
    if isinstance(vcs_info, dict):
        vcs = str(vcs_info.get("vcs") or "git")
        ref = vcs_info.get("commit_id") or vcs_info.get("requested_revision")
        return (
            f"{vcs}+{url}",
            "vcs",
            ref if isinstance(ref, str) else None,
            False,
            (),
            props,
        )
    if isinstance(archive_info, dict):
        table = archive_info.get("hashes")
        if isinstance(table, dict):
            for alg, value in table.items():
                if isinstance(value, str):
                    hashes.append(Hash(str(alg).lower(), value.lower()))
        legacy = archive_info.get("hash")
        if not hashes and isinstance(legacy, str) and "=" in legacy:
            alg, _, value = legacy.partition("=")
            hashes.append(Hash(alg.lower(), value.lower()))
    local = url.startswith("file:")
    editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
    return url, ("path" if local else "url"), None, editable, tuple(hashes), props
