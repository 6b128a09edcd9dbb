"""Per-lock graphs against the lock tools' own views of real lock files.

The locks and the oracles in fixtures/locks-real were made by uv, Poetry 2.x and 1.x, PDM and
pipenv (`fixtures/locks-real/make_locks.py`); these tests compare aibom's AIBOM graph with
them offline.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from aibom.bom.graph import BomGraph, build_graph
from aibom.config import Config
from aibom.model import Component
from aibom.scan import scan

REAL = Path(__file__).resolve().parent.parent / "fixtures" / "locks-real"
ROOT = ("<root>", "")

Pair = tuple[str, str]


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def graph_of(folder: Path) -> BomGraph:
    return build_graph(scan(Config(roots=(folder,), reproducible=True)).inventory)


def oracle(case: Path, name: str) -> object:
    return json.loads((case / "oracle" / name).read_text("utf-8"))


def uv_edges(case: Path) -> tuple[set[tuple[Pair, Pair]], set[Pair]]:
    """uv's own export of the lock: edges between (name, version) pairs, the project and
    uv's synthetic workspace root both mapped to ROOT; and the members."""
    bom = oracle(case, "uv-cyclonedx.json")
    assert isinstance(bom, dict)
    meta = bom["metadata"]["component"]
    pairs: dict[str, Pair] = {meta["bom-ref"]: ROOT}
    members: set[Pair] = set()
    for comp in bom["components"]:
        props = {p["name"]: p["value"] for p in comp.get("properties", [])}
        pair = (norm(comp["name"]), comp.get("version", ""))
        if "uv:package:is_project_root" in props:
            pair = ROOT
        elif "uv:workspace:path" in props:
            members.add(pair)
        pairs[comp["bom-ref"]] = pair
    edges = {
        (pairs[d["ref"]], pairs[t])
        for d in bom["dependencies"]
        for t in d.get("dependsOn", [])
        if pairs[d["ref"]] != pairs[t]
    }
    return edges, members


def aibom_edges(graph: BomGraph, lock: str, project_ref: str) -> set[tuple[Pair, Pair]]:
    """The edges of one lock's graph in aibom's AIBOM: among the components of that lock,
    the lock's project (mapped to ROOT) and the workspace members."""

    def in_lock(comp: Component) -> bool:
        return comp.properties.get("aibom:graph") == lock or comp.bom_ref.startswith("project:")

    def pair(ref: str) -> Pair:
        if ref == project_ref:
            return ROOT
        comp = graph.component(ref)
        assert comp is not None
        return (norm(comp.name), comp.version or "")

    refs = {c.bom_ref for c in graph.components if in_lock(c)} | {project_ref}
    return {
        (pair(a), pair(b))
        for a in refs
        for b in graph.edges.get(a, [])
        if b in refs and not (a == graph.root.bom_ref and a != project_ref)
    }


UV_CASES = [
    ("uv-workspace", "uv.lock", "root:acme-ws"),
    ("uv-fork", "uv.lock", "root:forky"),
    ("monorepo", "services/api/uv.lock", "project:services/api"),
    ("monorepo", "services/worker/uv.lock", "project:services/worker"),
    ("monorepo", "libs/shared/uv.lock", "project:libs/shared"),
]


@pytest.mark.parametrize(("case", "lock", "project"), UV_CASES)
def test_edges_equal_uvs_own_export(case: str, lock: str, project: str) -> None:
    graph = graph_of(REAL / case)
    expected, members = uv_edges((REAL / case / lock).parent)
    got = aibom_edges(graph, lock, project)
    assert got == expected
    # workspace members are components (a path identity, never a pkg:pypi purl)
    for name, version in members:
        comp = next(c for c in graph.components if norm(c.name) == name and c.version == version)
        assert comp.purl is None and comp.bom_ref.startswith("project:")


@pytest.mark.parametrize("case", ["uv-workspace", "uv-fork", "monorepo"])
def test_no_component_depends_on_two_versions_unless_the_lock_says_so(case: str) -> None:
    graph = graph_of(REAL / case)
    lock_says: set[tuple[Pair, str]] = set()
    for lock in (REAL / case).rglob("uv-cyclonedx.json"):
        edges, _ = uv_edges(lock.parent.parent)
        per_source = Counter((a, b[0]) for a, b in edges)
        lock_says.update(key for key, n in per_source.items() if n > 1)
    for comp in [graph.root, *graph.components]:
        names = Counter(
            norm(t.name)
            for ref in graph.edges.get(comp.bom_ref, [])
            if (t := graph.component(ref)) is not None and t.purl
        )
        source: Pair = (
            ROOT
            if comp.bom_ref.startswith(("root:", "project:"))
            else (norm(comp.name), comp.version or "")
        )
        for name, count in names.items():
            if count > 1:
                assert (source, name) in lock_says, (comp.bom_ref, name)


def test_fork_edges_go_to_the_version_the_lock_names() -> None:
    graph = graph_of(REAL / "uv-fork")
    scipy = {c.version: c.bom_ref for c in graph.components if c.name == "scipy"}
    assert graph.edges[scipy["1.13.1"]] == ["pkg:pypi/numpy@1.26.4"]
    assert graph.edges[scipy["1.18.1"]] == ["pkg:pypi/numpy@2.5.5"]
    # the project's ranges join every locked version they allow: no versionless ghost
    assert not [c for c in graph.components if c.name == "numpy" and c.version is None]


def test_monorepo_locks_are_separate_graphs() -> None:
    graph = graph_of(REAL / "monorepo")
    comps = {c.bom_ref: c for c in graph.components}
    # urllib3 1.26.x (api) and 2.x (worker, shared): each lock's requests depends on its own
    api_requests = next(
        c
        for c in graph.components
        if c.name == "requests" and c.properties.get("aibom:graph") == "services/api/uv.lock"
    )
    targets = [comps[r] for r in graph.edges[api_requests.bom_ref]]
    urllib3 = [t for t in targets if t.name == "urllib3"]
    assert [u.version for u in urllib3] == ["1.26.20"]
    assert all(t.properties.get("aibom:graph") == "services/api/uv.lock" for t in targets)
    # a package two locks share at one version is two components with one purl
    idna = [c for c in graph.components if c.name == "idna"]
    assert len({c.purl for c in idna}) == 1 and len(idna) == len({c.bom_ref for c in idna}) > 1


def test_ranges_resolve_only_from_their_own_lock() -> None:
    graph = graph_of(REAL / "monorepo")
    rich = [c for c in graph.components if c.name == "rich"]
    # services/api/requirements-runtime.txt: `rich>=13`; its lock (services/api/uv.lock)
    # does not hold rich, and tools/typing/requirements.txt's pin must not resolve it
    runtime = [
        c for c in rich if any(o.path.endswith("requirements-runtime.txt") for o in c.occurrences)
    ]
    assert [c.version for c in runtime] == [None]
    # services/worker/pyproject.toml: `rich>=13` joins its lock's rich (no ghost)
    worker = [c for c in rich if c.properties.get("aibom:graph") == "services/worker/uv.lock"]
    assert len(worker) == 1
    assert {o.path for o in worker[0].occurrences} == {
        "services/worker/pyproject.toml",
        "services/worker/uv.lock",
    }
    # `requests>=2.30` next to the api lock joins the api lock's requests 2.31.0
    api = [c for c in graph.components if c.name == "requests" and c.version == "2.31.0"]
    assert any(o.path.endswith("requirements-runtime.txt") for o in api[0].occurrences)


def test_monorepo_root_does_not_depend_on_the_checkout_folder_name(tmp_path: Path) -> None:
    first = tmp_path / "checkout-one"
    second = tmp_path / "another-name"
    shutil.copytree(REAL / "monorepo", first)
    shutil.copytree(REAL / "monorepo", second)
    a, b = graph_of(first), graph_of(second)
    assert a.root.bom_ref == b.root.bom_ref and a.root.name == b.root.name
    assert [c.bom_ref for c in a.components] == [c.bom_ref for c in b.components]
    assert a.edges == b.edges


def _scopes(graph: BomGraph, lock: str) -> dict[str, str]:
    return {
        norm(c.name): c.scope for c in graph.components if c.properties.get("aibom:graph") == lock
    }


def _names(case: Path, name: str) -> set[str]:
    data = oracle(case, name)
    assert isinstance(data, list)
    return {norm(n) for n, _ in data}


@pytest.mark.parametrize("case", ["poetry1", "poetry2"])
def test_poetry_scopes_match_poetry_show(case: str) -> None:
    """Poetry 1.x locks record no groups: they come from pyproject.toml, as Poetry computes
    them. Required: what `poetry show --only main` lists, except what the lock marks
    `optional` (installed only with an extra); optional: what only the groups list."""
    import tomllib

    folder = REAL / case
    lock = tomllib.loads((folder / "poetry.lock").read_text("utf-8"))
    extras_only = {norm(p["name"]) for p in lock["package"] if p.get("optional")}
    main = _names(folder, "poetry-show-main.json")
    groups = _names(folder, "poetry-show-dev.json") | _names(folder, "poetry-show-docs.json")
    scopes = _scopes(graph_of(folder), "poetry.lock")
    assert main and groups
    for name in main | groups:
        expected = "required" if name in main - extras_only else "optional"
        assert scopes[name] == expected, name


@pytest.mark.parametrize(("case", "lock"), [("pdm", "pdm.lock"), ("pylock", "pylock.toml")])
def test_pdm_and_pylock_scopes_match_pdm_export(case: str, lock: str) -> None:
    folder = REAL / case
    default = _names(folder, "pdm-export-default.json")
    others = set().union(
        *(_names(folder, f"pdm-export-{g}.json") for g in ("yaml", "test", "docs"))
    )
    scopes = _scopes(graph_of(folder), lock)
    assert default and others
    for name in default | others:
        assert scopes[name] == ("required" if name in default else "optional"), name


def test_pipfile_scopes_match_pipenv_requirements() -> None:
    folder = REAL / "monorepo" / "legacy"
    default = _names(folder, "pipenv-default.json")
    dev = _names(folder, "pipenv-dev-only.json")
    scopes = _scopes(graph_of(REAL / "monorepo"), "legacy/Pipfile.lock")
    for name in default | dev:
        assert scopes[name] == ("required" if name in default else "optional"), name
    # setup.py's `six` (no version) joins the Pipfile.lock pin beside it: no ghost
    graph = graph_of(REAL / "monorepo")
    six = [c for c in graph.components if c.name == "six"]
    assert [c.version for c in six if c.version is None] == []


@pytest.mark.parametrize("case", sorted(p.name for p in REAL.iterdir() if p.is_dir()))
def test_every_purl_is_canonical(case: str) -> None:
    from packageurl import PackageURL

    graph = graph_of(REAL / case)
    purls = [c.purl for c in graph.components if c.purl]
    for purl in purls:
        assert PackageURL.from_string(purl).to_string() == purl
    # local folders (workspace members, path sources) never get a pkg:pypi purl
    for comp in graph.components:
        if "aibom:local-path" in comp.properties:
            assert comp.purl is None, comp.bom_ref
