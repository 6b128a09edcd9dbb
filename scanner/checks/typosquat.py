"""Typosquatted, known-malicious and placeholder package names (AIB301-AIB303).

Every PyPI dependency in the inventory is checked by name (requirements, pyproject, lock files,
installed environments, conda's pip section); conda packages are not (their names differ:
`pytorch` is the real package on the pytorch channel). Direct references (URL, VCS, local
path) are not installed by name from an index and are skipped. Names in `allowed-packages`
(compared after PEP 503 normalisation) are never reported. One finding per name and location.

With `--online`, the index look-up (`aibom.index`) records whether each name exists on the
public index; a look-alike name that does not exist is reported with that fact in its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..config import Config
from ..model import Dependency, Finding, Inventory
from .check import Check
from .typosquat_index import Match, default_index, normalise

_NOT_ON_INDEX = (
    "; the name does not exist on the index (a typo that would fail to install, "
    "or a malicious package since removed)"
)


def _missing_on_index(inventory: Inventory) -> set[str]:
    """Normalised names the public index answered 404 for (empty when not online)."""
    from ..enrich.index import page_key

    if inventory.index is None:
        return set()
    prefix = page_key(inventory.index.public, "")
    return {
        key[len(prefix) :]
        for key, page in inventory.index.pages.items()
        if key.startswith(prefix) and page.status == 404
    }


def _checked(dep: Dependency) -> bool:
    return dep.ecosystem == "pypi" and dep.url is None and not dep.editable


def _finding(dep: Dependency, match: Match, missing: set[str]) -> Finding:
    if match.kind == "malicious":
        imitates = f', imitating "{match.target}"' if match.target else ""
        return Finding.make(
            "AIB302",
            dep.location,
            name=dep.name,
            imitates=imitates,
            reference=match.reference or "",
        )
    if match.kind == "placeholder":
        return Finding.make(
            "AIB303",
            dep.location,
            name=dep.name,
            real=match.target or "",
            reference=match.reference or "",
        )
    reason = match.reason
    if match.means:
        reason += f'; "{match.target}" is itself a placeholder for "{match.means}"'
    if match.name in missing:
        reason += _NOT_ON_INDEX
    return Finding.make(
        "AIB301",
        dep.location,
        name=dep.name,
        target=match.target or "",
        rank=match.target_rank if match.target_rank is not None else "?",
        reason=reason,
        kind=match.kind,
    )


def check_typosquats(inventory: Inventory, config: Config) -> Iterator[Finding]:
    allowed = {normalise(name) for name in config.allowed_packages}
    deps = [d for d in inventory.dependencies if _checked(d)]
    if not deps:
        return
    index = default_index()
    missing = _missing_on_index(inventory) if config.online else set()
    results: dict[str, Match | None] = {}
    done: set[tuple[str, str, int | None, str | None]] = set()
    for dep in deps:
        key = normalise(dep.name)
        if key in allowed:
            continue
        if key not in results:
            results[key] = index.check(key)
        match = results[key]
        if match is None:
            continue
        where = (key, dep.location.path, dep.location.line, dep.location.member)
        if where in done:
            continue
        done.add(where)
        yield _finding(dep, match, missing)


def _run(inventory: Inventory, config: Config) -> Iterable[Finding]:
    return check_typosquats(inventory, config)


CHECKS: tuple[Check, ...] = (Check(frozenset({"AIB301", "AIB302", "AIB303"}), _run, "typosquat"),)
