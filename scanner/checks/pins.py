"""Judge declared dependencies: pins, hashes, URLs, index options, consistency
(AIB101-AIB152), and the file-integrity facts `aibom verify` records (AIB161-AIB164).

Offline and always on. Reads `Inventory.dependencies` / `index_options` recorded by the
collectors in `aibom.sources`; never re-reads a file (the one exception is the lock-freshness
question, answered by the lock collector's own helper, see `stale_lock_findings`).

Which files are "installed together" (one `pip install` run) matters for hash mode and for
conflicting pins. Every requirements file is one group; a file joins the group of the file
that includes it when the collector records the include (an `IndexOption` with option
`--requirement` / `--constraint` whose value is the included file's path), and constraints
files (`constraints*.txt`) join the requirements files in their folder.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from ..bom.properties import LOCK_CONTENT_HASH_MATCHES, LOCK_MANIFEST
from ..config import Config
from ..model import Dependency, Finding, Hash, IndexOption, Inventory, Location, SourceKind
from .check import Check
from .context import graded, is_dev_file, project_kind, requirements_context

STRONG_HASHES = {"sha256": 64, "sha384": 96, "sha512": 128}
KNOWN_WEAK = {"md5", "sha1", "sha224", "blake2b", "blake2s", "sha3_256", "sha3-256"}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_GIT_COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}
_PIP_SOURCES = (SourceKind.REQUIREMENTS, SourceKind.CONSTRAINTS)
# index options whose value is a URL: pip's, and the ones the pyproject collector records for
# `[[tool.uv.index]]` and `[[tool.poetry.source]]` (uv's first-index strategy and Poetry's
# explicit sources do not merge indexes: only --extra-index-url gets AIB144)
_URL_OPTIONS = frozenset(
    {
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--index",
        "--default-index",
        "uv-explicit-index",
        "poetry-explicit-source",
    }
)
LOCK_MANIFESTS = {
    "poetry.lock": "pyproject.toml",
    "pdm.lock": "pyproject.toml",
    "uv.lock": "pyproject.toml",
    "Pipfile.lock": "Pipfile",
}


# --------------------------------------------------------------------------- helpers


def is_pip_input_file(path: str) -> bool:
    """A pip-compile input (`requirements.in`): ranges there are normal."""
    return path.lower().endswith(".in")


def _dir(path: str) -> str:
    return posixpath.dirname(path)


def _has_fragment_hash_only(dep: Dependency) -> bool:
    """True when every hash of `dep` comes from its URL fragment (`#sha256=`), which
    satisfies pip's hash mode but does not switch it on."""
    if not dep.hashes or not dep.url or "#" not in dep.url:
        return False
    fragment = dep.url.split("#", 1)[1]
    return all(f"{h.alg}={h.value}" in fragment for h in dep.hashes)


def _spec_text(dep: Dependency) -> str:
    return dep.specifier or "no version specifier"


def _is_pip_requirement(dep: Dependency) -> bool:
    return dep.source is SourceKind.REQUIREMENTS and dep.ecosystem == "pypi"


def pip_groups(inventory: Inventory) -> list[set[str]]:
    """Sets of pip-requirements file paths that one `pip install -r FILE` reads together."""
    files = sorted({d.location.path for d in inventory.dependencies if d.source in _PIP_SOURCES})
    files += sorted(
        {o.location.path for o in inventory.index_options if o.location.path not in files}
    )
    known = set(files)
    includes: dict[str, set[str]] = defaultdict(set)
    for option in inventory.index_options:
        if option.option in ("--requirement", "--constraint"):
            target = option.value  # as written (relative to the including file) or resolved
            joined = posixpath.normpath(posixpath.join(_dir(option.location.path), target))
            if target.startswith("/") or (target in known and joined not in known):
                includes[option.location.path].add(target)
            else:
                includes[option.location.path].add(joined)
    groups: list[set[str]] = []
    for path in files:
        seen = {path}
        todo = [path]
        while todo:
            for nxt in includes.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        groups.append(seen)
    return groups


def _constraint_pins(inventory: Inventory) -> dict[tuple[str, str], set[str]]:
    """(folder, normalised name) -> versions pinned exactly by constraints files there."""
    pins: dict[tuple[str, str], set[str]] = defaultdict(set)
    for dep in inventory.dependencies:
        if dep.source is SourceKind.CONSTRAINTS and dep.version and not dep.url:
            pins[(_dir(dep.location.path), dep.key)].add(dep.version)
    return pins


# --------------------------------------------------------------------------- pins


def pin_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    constrained = _constraint_pins(inventory)
    groups = pip_groups(inventory)
    group_of: dict[str, set[str]] = {}
    for group in groups:
        for path in group:
            group_of.setdefault(path, set()).update(group)
    for dep in inventory.dependencies:
        if not _is_pip_requirement(dep) or dep.url or dep.editable:
            continue
        path = dep.location.path
        if is_pip_input_file(path) or dep.version is not None:
            continue
        if _pinned_by_constraints(dep, constrained, group_of.get(path, {path})):
            continue
        if any(s.strip().startswith("==") and "*" in s for s in dep.specifier.split(",")):
            yield Finding.make("AIB102", dep.location, name=dep.name, spec=dep.specifier)
        else:
            yield Finding.make(
                "AIB101", dep.location, name=dep.name, spec=_spec_text(dep), hint="<version>"
            )
    yield from _application_manifest_findings(inventory, config)


def _pinned_by_constraints(
    dep: Dependency, constrained: dict[tuple[str, str], set[str]], group: set[str]
) -> bool:
    folders = {_dir(dep.location.path)} | {_dir(p) for p in group}
    return any(constrained.get((folder, dep.key)) for folder in folders)


def _application_manifest_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    if config.project_kind != "application":
        return
    lock_dirs = {_dir(d.location.path) for d in inventory.dependencies if d.source.is_lock}
    for dep in inventory.dependencies:
        if dep.source is not SourceKind.PYPROJECT or not dep.direct:
            continue
        if dep.group == "build-system":
            continue  # build requirements: resolved by the build frontend, not deployed
        if dep.version is not None or dep.url or dep.editable:
            continue
        if _dir(dep.location.path) in lock_dirs:
            continue
        yield Finding.make("AIB103", dep.location, name=dep.name, spec=_spec_text(dep))


# --------------------------------------------------------------------------- hashes


def hash_value_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    """AIB113 / AIB114 on every hash written in a requirements or lock file."""
    for dep in inventory.dependencies:
        if dep.source not in _PIP_SOURCES and not dep.source.is_lock:
            continue
        for digest in dep.hashes:
            yield from _judge_hash(dep, digest)


def _judge_hash(dep: Dependency, digest: Hash) -> Iterator[Finding]:
    alg = digest.alg.lower()
    shown = f"{digest.alg}:{digest.value}" if digest.alg else digest.value
    if not alg:
        yield Finding.make(
            "AIB114", dep.location, name=dep.name, hash=shown, problem="no algorithm (alg:hex)"
        )
        return
    if alg not in STRONG_HASHES:
        if _HEX.match(digest.value) or alg in KNOWN_WEAK:
            yield Finding.make("AIB113", dep.location, name=dep.name, alg=digest.alg)
        else:
            yield Finding.make(
                "AIB114",
                dep.location,
                name=dep.name,
                hash=shown,
                problem=f"unknown algorithm {digest.alg!r}",
            )
        return
    want = STRONG_HASHES[alg]
    if not _HEX.match(digest.value):
        problem = "the digest is not hexadecimal"
    elif len(digest.value) != want:
        problem = f"{len(digest.value)} hex digits, {alg} has {want}"
    else:
        return
    yield Finding.make("AIB114", dep.location, name=dep.name, hash=shown, problem=problem)


def hash_mode_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    """AIB111 / AIB112 / AIB116: hash-checking mode per pip install (file + its includes)."""
    by_file: dict[str, list[Dependency]] = defaultdict(list)
    for dep in inventory.dependencies:
        if dep.source in _PIP_SOURCES and dep.ecosystem == "pypi":
            by_file[dep.location.path].append(dep)
    require_opt: set[str] = {
        o.location.path for o in inventory.index_options if o.option == "--require-hashes"
    }
    for group in pip_groups(inventory):
        deps = _unique([d for path in sorted(group) for d in by_file.get(path, ())])
        if not deps:
            continue
        # pip 23.2.1, measured: a --hash in a -c constraints file switches hash mode on too,
        # but does not satisfy the requirement; constraint lines themselves need no hash.
        switched_on = [d for d in deps if d.hashes and not _has_fragment_hash_only(d)]
        demanded = bool(group & require_opt)
        for dep in deps:
            if dep.source is not SourceKind.REQUIREMENTS:
                continue
            unhashable = _unhashable_kind(dep)
            in_mode = bool(switched_on) or demanded
            if unhashable and in_mode:
                yield Finding.make("AIB116", dep.location, name=dep.name, what=unhashable)
                continue
            if dep.hashes or unhashable:
                continue
            if switched_on:
                hashed = len([d for d in switched_on if d.key != dep.key])
                yield Finding.make("AIB111", dep.location, name=dep.name, hashed=hashed)
            elif (demanded or config.require_hashes) and dep.version is not None:
                why = "the file's --require-hashes" if demanded else "require-hashes = true"
                yield Finding.make(
                    "AIB112", dep.location, name=dep.name, version=dep.version, why=why
                )


def _unique(deps: Iterable[Dependency]) -> list[Dependency]:
    seen: set[tuple[Location, str]] = set()
    out: list[Dependency] = []
    for dep in deps:
        ident = (dep.location, dep.key)
        if ident not in seen:
            seen.add(ident)
            out.append(dep)
    return out


def _unhashable_kind(dep: Dependency) -> str | None:
    if dep.url_kind == "vcs":
        return "VCS"
    if dep.editable:
        return "editable"
    if dep.url_kind == "path" and dep.url and not _is_archive(dep.url):
        return "local directory"
    return None


def _is_archive(url: str) -> bool:
    from ..sources.pep508 import ARCHIVE_EXTENSIONS

    return url.split("#", 1)[0].split("?", 1)[0].lower().endswith(ARCHIVE_EXTENSIONS)


def lock_hash_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for dep in inventory.dependencies:
        if not dep.source.is_lock or dep.hashes or dep.editable:
            continue
        if dep.url_kind in ("vcs", "path"):
            continue
        if dict(dep.properties).get("aibom:lock:source") in ("virtual", "editable", "directory"):
            continue
        yield Finding.make(
            "AIB115", dep.location, name=dep.name, version=dep.version or "(no version)"
        )


# --------------------------------------------------------------------------- URLs, VCS, -e


def url_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for dep in inventory.dependencies:
        if dep.source not in _PIP_SOURCES and dep.source is not SourceKind.PYPROJECT:
            continue
        if dep.url is None:
            continue
        if dep.url_kind == "vcs":
            ref = dep.vcs_ref
            if not _immutable_ref(dep.url, ref):
                ref_text = f"ref {ref!r}" if ref else "no ref (the default branch)"
                yield Finding.make(
                    "AIB132", dep.location, name=dep.name, url=dep.url, ref_text=ref_text
                )
        elif (
            not dep.editable
            and not dep.hashes
            and (dep.url_kind == "url" or (dep.url_kind == "path" and _is_archive(dep.url)))
        ):
            yield Finding.make("AIB131", dep.location, name=dep.name, url=dep.url)
        if (
            dep.editable
            and dep.source is SourceKind.REQUIREMENTS
            and not is_dev_file(dep.location.path)
        ):
            yield Finding.make("AIB133", dep.location, name=dep.name, url=dep.url)


def _immutable_ref(url: str, ref: str | None) -> bool:
    if not ref:
        return False
    scheme = url.split(":", 1)[0].lower()
    if scheme.startswith("svn"):
        return ref.isdigit()
    if scheme.startswith("bzr"):
        return ref.startswith("revid:")
    return _GIT_COMMIT.match(ref.lower()) is not None


# --------------------------------------------------------------------------- index options


def index_option_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for option in inventory.index_options:
        yield from _judge_option(option)
    insecure_locks: set[tuple[str, str]] = set()
    for dep in inventory.dependencies:
        index = dict(dep.properties).get("aibom:index", "")
        if (
            dep.source.is_lock
            and index.lower().startswith("http://")
            and _host(index) not in _LOOPBACK
            and (dep.location.path, index) not in insecure_locks
        ):
            insecure_locks.add((dep.location.path, index))
            yield Finding.make("AIB141", dep.location, option="the lock's index", url=index)
        if ("credentials", "redacted") in dep.properties:
            what = f"the URL of {dep.name}"
            yield Finding.make("AIB143", dep.location, what=what, url=dep.url or dep.raw)


def _judge_option(option: IndexOption) -> Iterator[Finding]:
    name, value, loc = option.option, option.value, option.location
    if name in _URL_OPTIONS:
        if value.lower().startswith("http://") and _host(value) not in _LOOPBACK:
            yield Finding.make("AIB141", loc, option=name, url=value)
        if option.had_credentials:
            yield Finding.make("AIB143", loc, what=name, url=value)
        if name == "--extra-index-url":
            yield Finding.make("AIB144", loc, url=value)
    elif name == "--trusted-host":
        yield Finding.make("AIB142", loc, host=value)


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    if rest.startswith("["):
        return rest.split("]", 1)[0] + "]"
    return rest.split(":", 1)[0].lower()


# --------------------------------------------------------------------------- consistency


def conflicting_pin_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    groups: list[set[str]] = []
    # a requirements file with the constraints files beside it and the files it includes
    constraint_files = {
        d.location.path for d in inventory.dependencies if d.source is SourceKind.CONSTRAINTS
    }
    for group in pip_groups(inventory):
        folders = {_dir(p) for p in group}
        groups.append(group | {c for c in constraint_files if _dir(c) in folders})
    # lock files in one folder
    locks: dict[str, set[str]] = defaultdict(set)
    for dep in inventory.dependencies:
        if dep.source.is_lock:
            locks[_dir(dep.location.path)].add(dep.location.path)
    groups.extend(g for g in locks.values() if len(g) > 1)
    by_file: dict[str, list[Dependency]] = defaultdict(list)
    for dep in inventory.dependencies:
        if dep.version and not dep.url and (dep.source in _PIP_SOURCES or dep.source.is_lock):
            by_file[dep.location.path].append(dep)
    seen: set[Finding] = set()
    for group in groups:
        if len(group) < 2:
            continue
        pins: dict[tuple[str, str], list[Dependency]] = defaultdict(list)
        for path in sorted(group):
            for dep in by_file.get(path, ()):
                pins[(dep.key, dep.marker or "")].append(dep)
        for entries in pins.values():
            versions = {d.version for d in entries}
            if len(versions) < 2:
                continue
            for dep in entries:
                for other in entries:
                    if other.version == dep.version or other.location.path == dep.location.path:
                        continue
                    finding = Finding.make(
                        "AIB151",
                        dep.location,
                        name=dep.name,
                        version=dep.version,
                        other_version=other.version,
                        other=str(other.location),
                    )
                    if finding not in seen:
                        seen.add(finding)
                        yield finding


def stale_lock_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    """AIB152 for locks whose recorded manifest hash no longer matches the manifest beside
    them: the lock collector compared them when it read the lock (`aibom:lock:manifest`,
    `aibom:lock:content-hash-matches`); "cannot tell" records nothing and is silent."""
    reported: set[str] = set()
    for dep in inventory.dependencies:
        lock = dep.location.path
        if not dep.source.is_lock or lock in reported:
            continue
        props = dict(dep.properties)
        if props.get(LOCK_CONTENT_HASH_MATCHES) != "false":
            continue
        reported.add(lock)
        manifest = props.get(LOCK_MANIFEST, "")
        yield Finding.make("AIB152", Location(lock), lock=lock, manifest=manifest)


def _pin_context(inventory: Inventory, config: Config) -> Callable[[str], str | None]:
    kind = project_kind(inventory, config)
    return lambda path: requirements_context(path, kind, is_dev_file(path))


CHECKS: tuple[Check, ...] = (
    Check(frozenset({"AIB101", "AIB102", "AIB103"}), graded(pin_findings, _pin_context), "pins"),
    Check(frozenset({"AIB113", "AIB114"}), hash_value_findings, "hash values"),
    Check(frozenset({"AIB111", "AIB112", "AIB116"}), hash_mode_findings, "hash mode"),
    Check(frozenset({"AIB115"}), lock_hash_findings, "lock hashes"),
    Check(
        frozenset({"AIB131", "AIB132", "AIB133"}),
        graded(url_findings, _pin_context),
        "URLs, VCS, editables",
    ),
    Check(frozenset({"AIB141", "AIB142", "AIB143", "AIB144"}), index_option_findings, "index"),
    Check(frozenset({"AIB151"}), conflicting_pin_findings, "conflicting pins"),
    Check(frozenset({"AIB152"}), stale_lock_findings, "stale locks"),
)
