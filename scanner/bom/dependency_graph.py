"""Dependency records -> library components and their edges, one graph per lock.

Every lock file (and every installed environment) is its own graph: its packages become
components of that graph and its edges stay inside it, so a component never depends on a
package of another lock, and never on two versions of one package unless its lock says so
(uv names the version of an edge whenever a fork holds several).

A declaration (a requirements line, a pyproject or setup.py dependency) belongs to the
nearest lock up the tree from its file (for a workspace member that is the workspace's
lock). When that lock holds the package, the declaration joins the locked component(s)
that satisfy it: its location is kept as evidence and no versionless "ghost" remains.
Otherwise only an installed environment may resolve it (one version of that name); a pin
in an unrelated file never does. What stays unresolved is a component of the free graph,
keyed by its purl, shared by every file that declares it.

The same package at the same version in two graphs is two components with the same purl
(components shared by identity); their bom-refs get the graph as a suffix
(`pkg:pypi/idna@3.10#lock:libs/a/uv.lock`) only when more than one graph holds that purl.

First-party projects are components too: the project a lock resolves (uv's root package,
each workspace member, the project beside a poetry / pdm / pipenv lock, any nested
`pyproject.toml` / `setup.py` project), with edges to what its lock or its own manifest
says it depends on; the scanned root depends on the projects (the workspace's root
project on its members). The root of the scan is the project at the top, when there is one.

Scopes: a component that a lock or an environment records takes its scope from those
records only (a dev-only package stays optional whatever a loose requirements file says);
otherwise from its declarations.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..model import (
    Component,
    ComponentKind,
    Dependency,
    Inventory,
    Location,
    LockedEdge,
    LockProject,
    ProjectInfo,
    SourceKind,
    normalize_name,
)
from ..redact import redact_text, redact_url

_EXACT = re.compile(r"^\s*===?\s*([^\s,;*<>=!~]+)\s*$")
# when one folder holds several locks, a declaration there belongs to the first that has it
_LOCK_ORDER = {
    SourceKind.UV_LOCK: 0,
    SourceKind.POETRY_LOCK: 1,
    SourceKind.PDM_LOCK: 2,
    SourceKind.PIPFILE_LOCK: 3,
    SourceKind.PYLOCK: 4,
}

Key = tuple[str | None, str]  # (graph: lock path / environment / None for free, base ref)
LocIndex = tuple[str, int | None, str | None]


def exact_version(dep: Dependency) -> str | None:
    if dep.version:
        return dep.version
    match = _EXACT.match(dep.specifier or "")
    return match.group(1) if match else None


def folder_of(path: str) -> str:
    return posixpath.dirname(path) or "."


def _local_path(dep: Dependency) -> str | None:
    """A local-path dependency's folder relative to the scan root (relative paths are
    relative to the declaring file's folder), None when it is not a local path."""
    if dep.url_kind != "path" or not dep.url:
        return None
    url = dep.url
    if url.startswith("file:"):
        return url
    if url.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", url):
        return url
    base = dep.graph if dep.graph and dep.source.is_lock else dep.location.path
    joined = posixpath.normpath(posixpath.join(folder_of(base), url.replace("\\", "/")))
    return joined


@dataclass
class _Graphs:
    """Which lock (or environment) each folder's declarations resolve against."""

    lock_dirs: dict[str, list[str]] = field(default_factory=dict)  # folder -> its locks
    names: dict[str, set[str]] = field(default_factory=dict)  # graph -> names it holds

    @classmethod
    def of(cls, deps: list[Dependency], extra_locks: Iterable[str]) -> _Graphs:
        graphs = cls()
        order: dict[str, int] = {}
        for dep in deps:
            if dep.graph is None:
                continue
            graphs.names.setdefault(dep.graph, set()).add(dep.key)
            if dep.source.is_lock:
                order[dep.graph] = _LOCK_ORDER.get(dep.source, 9)
        for lock in extra_locks:
            graphs.names.setdefault(lock, set())
            order.setdefault(lock, 0)
        for lock in sorted(order, key=lambda p: (order[p], p)):
            graphs.lock_dirs.setdefault(folder_of(lock), []).append(lock)
        return graphs

    def nearest_locks(self, path: str) -> list[str]:
        folder = folder_of(path)
        while True:
            if folder in self.lock_dirs:
                return self.lock_dirs[folder]
            if folder == ".":
                return []
            folder = folder_of(folder)


@dataclass
class DependencyPart:
    """What the dependency part adds to the graph."""

    components: dict[str, Component]
    edges: dict[str, set[str]]
    root_edges: set[str]
    by_location: dict[LocIndex, str]


def _with_graph(dep: Dependency) -> Dependency:
    """Records a lock or an environment made without naming their graph: the lock file /
    one environment."""
    if dep.graph is None and dep.source.is_lock:
        return replace(dep, graph=dep.location.path)
    if dep.graph is None and dep.source is SourceKind.ENVIRONMENT:
        return replace(dep, graph="environment")
    return dep


def build(inventory: Inventory, root: Component) -> DependencyPart:
    deps = [_with_graph(d) for d in inventory.dependencies]
    lock_projects = inventory.lock_projects
    graphs = _Graphs.of(deps, (p.lock for p in lock_projects))
    env_graphs = sorted({d.graph for d in deps if d.graph and not d.source.is_lock})
    comps: dict[Key, Component] = {}
    keys: list[list[Key]] = [[] for _ in deps]
    # graph -> name -> keys of that name in that graph
    index: dict[str | None, dict[str, list[Key]]] = defaultdict(lambda: defaultdict(list))

    order = sorted(range(len(deps)), key=lambda i: _dep_sort_key(deps[i]))
    resolved = [i for i in order if deps[i].graph is not None]
    constraints = [i for i in order if deps[i].source is SourceKind.CONSTRAINTS]
    constraint_set = set(constraints)
    declared = [i for i in order if deps[i].graph is None and i not in constraint_set]

    # 1. what locks and environments record: one component per (graph, package)
    for i in resolved:
        dep = deps[i]
        key = (dep.graph, _base_ref(dep, exact_version(dep)))
        comp = comps.get(key)
        if comp is None:
            comp = comps[key] = _new_component(dep, exact_version(dep), key[1])
            index[dep.graph][dep.key].append(key)
            comp.scope = dep.scope
        _merge(comp, dep)
        keys[i] = [key]

    # 2. first-party projects (a declaration of a workspace member joins the member)
    path_comps = {
        c.properties["aibom:local-path"]: c
        for c in comps.values()
        if "aibom:local-path" in c.properties
    }
    projects = _projects(inventory, root, lock_projects, deps, path_comps)
    project_names: dict[str, dict[str, str]] = defaultdict(dict)  # lock -> name -> ref
    project_by_ref: dict[str, Component] = {}
    for project in projects.values():
        project_by_ref[project.component.bom_ref] = project.component
        if project.lock:
            project_names[project.lock][normalize_name(project.component.name)] = (
                project.component.bom_ref
            )
    joined_project: dict[int, str] = {}

    # 3. declarations: join what their lock (or an environment) resolves, else free
    url_keys: dict[tuple[str, str], set[Key]] = defaultdict(set)
    exact_first = sorted(declared, key=lambda i: exact_version(deps[i]) is None)
    for i in exact_first:
        dep = deps[i]
        member = next(
            (
                project_names[lock][dep.key]
                for lock in graphs.nearest_locks(dep.location.path)
                if dep.key in project_names.get(lock, {}) and not index[lock].get(dep.key)
            ),
            None,
        )
        if member is not None:
            member_comp = project_by_ref[member]
            member_comp.occurrences.append(dep.location)
            member_comp.multi_properties.append(("aibom:source", dep.source.value))
            joined_project[i] = member
            continue
        joined = _resolve(dep, graphs, env_graphs, index, comps)
        if not joined and exact_version(dep) is None and not dep.url:
            # a range joins the one direct reference (URL / VCS / path) of that name
            at_urls = url_keys.get((dep.ecosystem, dep.key), set())
            if len(at_urls) == 1:
                joined = sorted(at_urls)
        if joined:
            for key in joined:
                _merge(comps[key], dep)
            keys[i] = joined
            continue
        version = exact_version(dep)
        key = (None, _base_ref(dep, version))
        comp = comps.get(key)
        if comp is None:
            comp = comps[key] = _new_component(dep, version, key[1])
            comp.scope = "optional"
            index[None][dep.key].append(key)
        _merge(comp, dep)
        if dep.url:
            url_keys[(dep.ecosystem, dep.key)].add(key)
        keys[i] = [key]

    # bom-refs: the base ref, with the graph appended when several graphs hold it
    graphs_of_base: dict[str, set[str | None]] = defaultdict(set)
    for graph, base in comps:
        graphs_of_base[base].add(graph)
    refs: dict[Key, str] = {}
    for key, comp in comps.items():
        graph, base = key
        ref = base
        if graph is not None and len(graphs_of_base[base]) > 1:
            kind = "lock" if graph in graphs.names and graph not in env_graphs else "env"
            ref = f"{base}#{kind}:{graph}"
        comp.bom_ref = ref
        refs[key] = ref
    components = {refs[k]: c for k, c in comps.items()}
    for project in projects.values():
        if project.component is not root and project.attached:
            components.setdefault(project.component.bom_ref, project.component)

    # 4. constraints narrow the components of that name (any graph), install nothing
    by_name: dict[tuple[str, str], list[Component]] = defaultdict(list)
    for comp in comps.values():
        if comp.ecosystem is not None:
            by_name[(comp.ecosystem, normalize_name(comp.name))].append(comp)
    constraint_refs: dict[int, str] = {}
    for i in constraints:
        dep = deps[i]
        targets = sorted(by_name.get((dep.ecosystem, dep.key), []), key=lambda c: c.bom_ref)
        version = exact_version(dep)
        exact = [c for c in targets if version and c.version == version]
        for comp in exact or targets:
            comp.occurrences.append(dep.location)
            spec = (dep.specifier or "").strip()
            if spec and not _EXACT.match(spec):
                comp.specifiers.append(redact_text(spec)[0])
            comp.multi_properties.append(("aibom:source", dep.source.value))
        if exact or targets:
            constraint_refs[i] = (exact or targets)[0].bom_ref

    by_location: dict[LocIndex, str] = {}
    for i in order:
        found = refs[keys[i][0]] if keys[i] else constraint_refs.get(i, joined_project.get(i))
        if found:
            by_location.setdefault(_loc_index(deps[i].location), found)

    # 5. edges inside each graph
    edges: dict[str, set[str]] = defaultdict(set)
    for i in resolved:
        dep = deps[i]
        source_ref = refs[keys[i][0]]
        for target in _targets(dep.graph, dep.requires, dep.pinned_requires, index, refs, comps):
            edges[source_ref].add(target)
        for name in dep.requires:
            member = project_names.get(dep.graph or "", {}).get(name)
            if member and not index[dep.graph].get(name):
                edges[source_ref].add(member)

    # 6. projects: their lock's direct edges, their own declarations; root -> projects
    uv_locks = {lp.lock for lp in lock_projects}
    owners = _Owners(projects)
    for project in projects.values():
        ref = project.component.bom_ref
        if project.requires is not None:
            wanted = [e.name for e in project.requires]
            pinned = tuple(e for e in project.requires if e.version)
            for target in _targets(project.lock, wanted, pinned, index, refs, comps):
                edges[ref].add(target)
            for edge in project.requires:
                member = project_names.get(project.lock or "", {}).get(edge.name)
                if member and member != ref and not index[project.lock].get(edge.name):
                    edges[ref].add(member)
        if ref == root.bom_ref or not project.attached:
            continue
        parent = project.parent or root.bom_ref
        edges[parent].add(ref)
    for i in order:
        dep = deps[i]
        if not dep.direct or not keys[i]:
            continue
        if dep.graph is not None and dep.graph in uv_locks:
            continue  # the lock's own project entries say what is direct (uv)
        owner = owners.owner_of(
            dep.graph if dep.graph and dep.source.is_lock else dep.location.path
        )
        owner_ref = owner.component.bom_ref if owner is not None else root.bom_ref
        for key in keys[i]:
            edges[owner_ref].add(refs[key])
    root_edges = edges.pop(root.bom_ref, set())
    return DependencyPart(components, edges, root_edges, by_location)


def _targets(
    graph: str | None,
    names: Iterable[str],
    pinned: Iterable[LockedEdge],
    index: dict[str | None, dict[str, list[Key]]],
    refs: dict[Key, str],
    comps: dict[Key, Component],
) -> set[str]:
    """The components `names` point at inside `graph`: the versions the lock pins for an
    edge when it names them, else every component of that name in the graph."""
    versions: dict[str, set[str]] = defaultdict(set)
    for edge in pinned:
        if edge.version:
            versions[edge.name].add(edge.version)
    out: set[str] = set()
    in_graph = index.get(graph, {})
    for name in names:
        candidates = in_graph.get(normalize_name(name), [])
        wanted = versions.get(normalize_name(name))
        if wanted:
            exact = [k for k in candidates if comps[k].version in wanted]
            candidates = exact or candidates
        out.update(refs[k] for k in candidates)
    return out


def _resolve(
    dep: Dependency,
    graphs: _Graphs,
    env_graphs: list[str],
    index: dict[str | None, dict[str, list[Key]]],
    comps: dict[Key, Component],
) -> list[Key]:
    """The locked (or installed) components a declaration is satisfied by, if any."""
    for graph in [*graphs.nearest_locks(dep.location.path), *env_graphs]:
        candidates = index.get(graph, {}).get(dep.key, [])
        if not candidates:
            continue
        matching = [k for k in candidates if _satisfies(dep, comps[k])]
        if matching:
            return sorted(matching)
        if graph in graphs.lock_dirs.get(folder_of(graph), []):
            # the nearest lock holds the package but at no version the declaration allows
            # (a stale lock): the declaration stays its own component
            return []
    return []


def _satisfies(dep: Dependency, comp: Component) -> bool:
    local = _local_path(dep)
    if local is not None:
        return comp.properties.get("aibom:local-path") == local
    if dep.url:
        return redact_url(dep.url)[0] in comp.urls
    version = exact_version(dep)
    if version is not None:
        return comp.version == version
    spec = (dep.specifier or "").strip()
    if not spec or comp.version is None:
        return True
    try:
        return SpecifierSet(spec).contains(Version(comp.version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return True


# ---------------------------------------------------------------- projects


@dataclass
class _Project:
    component: Component
    folder: str
    lock: str | None = None
    requires: tuple[LockedEdge, ...] | None = None  # None: not known from a lock
    parent: str | None = None  # the ref of the workspace root project for a member
    attached: bool = True  # whether the root (or its workspace root) depends on it


class _Owners:
    """The project that owns a file: the nearest project folder up the tree."""

    def __init__(self, projects: dict[str, _Project]) -> None:
        self.by_folder = projects

    def owner_of(self, path: str) -> _Project | None:
        folder = folder_of(path)
        while True:
            project = self.by_folder.get(folder)
            if project is not None:
                return project
            if folder == ".":
                return None
            folder = folder_of(folder)


def _projects(
    inventory: Inventory,
    root: Component,
    lock_projects: Iterable[LockProject],
    deps: list[Dependency],
    path_comps: dict[str, Component],
) -> dict[str, _Project]:
    """folder -> first-party project component (the root for the root's folder)."""
    out: dict[str, _Project] = {}
    root_folder = (
        folder_of(inventory.project.location.path) if inventory.project is not None else "."
    )
    info_by_folder: dict[str, ProjectInfo] = {}
    for info in sorted(inventory.projects, key=lambda p: p.location):
        info_by_folder.setdefault(folder_of(info.location.path), info)

    def component(folder: str, name: str, version: str | None, member: bool) -> Component:
        if folder == root_folder:
            return root
        kind = ComponentKind.LIBRARY if member else ComponentKind.APPLICATION
        comp = Component(
            kind=kind,
            name=name,
            version=version,
            purl=None,
            bom_ref=f"project:{folder}",
        )
        comp.properties["aibom:local-path"] = folder
        info = info_by_folder.get(folder)
        if info is not None:
            comp.occurrences.append(info.location)
            comp.licenses.extend(info.licenses)
            if info.description:
                comp.description = info.description
        return comp

    workspace_roots: dict[str, str] = {}
    for lp in sorted(lock_projects, key=lambda p: (p.lock, p.member, p.folder)):
        if lp.folder in out:
            continue
        comp = component(lp.folder, lp.name, lp.version, lp.member)
        comp.occurrences.append(lp.location)
        project = _Project(comp, lp.folder, lp.lock, lp.requires)
        if lp.member:
            project.parent = workspace_roots.get(lp.lock)
        else:
            workspace_roots[lp.lock] = comp.bom_ref
        out[lp.folder] = project
    # the project beside a poetry / pdm / pipenv / pylock lock, and nested projects
    for dep in deps:
        if dep.graph and dep.source.is_lock:
            folder = folder_of(dep.graph)
            if folder not in out:
                near = info_by_folder.get(folder)
                name = near.name if near is not None else folder.rsplit("/", 1)[-1]
                out[folder] = _Project(
                    component(folder, name, near.version if near else None, False),
                    folder,
                    dep.graph,
                )
    for folder, info in info_by_folder.items():
        if folder in out:
            continue
        if folder in path_comps:
            # a local-path dependency of a lock: that component is the project (reached
            # through what depends on it, not from the root)
            out[folder] = _Project(path_comps[folder], folder, attached=False)
            continue
        out[folder] = _Project(component(folder, info.name, info.version, False), folder)
    return out


# ---------------------------------------------------------------- components


def _base_ref(dep: Dependency, version: str | None) -> str:
    local = _local_path(dep)
    if local is not None:
        return f"path:{local}"
    url = redact_url(dep.url)[0] if dep.url else None
    return package_purl(dep, version, url)


def _new_component(dep: Dependency, version: str | None, ref: str) -> Component:
    local = _local_path(dep)
    url = redact_url(dep.url)[0] if dep.url else None
    comp = Component(
        kind=ComponentKind.LIBRARY,
        name=dep.name if dep.ecosystem != "pypi" else dep.name.strip(),
        version=version,
        purl=None if local is not None else ref,
        bom_ref=ref,
        ecosystem=dep.ecosystem,
        scope="optional",
    )
    if local is not None:
        comp.properties["aibom:local-path"] = local
    elif url:
        comp.urls.append(url)
        comp.properties["aibom:url-kind"] = dep.url_kind or "url"
    return comp


def _dep_sort_key(dep: Dependency) -> tuple[Any, ...]:
    loc = dep.location
    return (loc.path, loc.line or 0, loc.member or "", dep.key, dep.version or "", dep.url or "")


def package_purl(dep: Dependency, version: str | None, url: str | None) -> str:
    """The canonical purl (as packageurl-python writes it: percent-encoding, sorted
    qualifiers) of a package: `pkg:pypi/<PEP 503 name>[@version]`, a direct reference's
    `vcs_url` (with the commit the lock resolved, never pip's `#egg=` / `&subdirectory=`
    fragment) or `download_url`; conda's build, channel and subdir qualifiers."""
    from packageurl import PackageURL

    qualifiers: dict[str, str] = {}
    if dep.ecosystem == "conda":
        props = dict(dep.properties)
        for key, value in (
            ("build", props.get("conda-build") if version else None),
            ("channel", props.get("conda-channel")),
            ("subdir", props.get("conda-subdir")),
        ):
            if value and "*" not in value:  # a build pattern is not a build
                qualifiers[key] = value
    elif url:
        if dep.url_kind == "vcs":
            qualifiers["vcs_url"] = vcs_url(url, dep.vcs_ref)
        else:
            qualifiers["download_url"] = url.split("#", 1)[0]
    return str(
        PackageURL(
            type=dep.ecosystem or "pypi",
            name=dep.key,
            version=version or None,
            qualifiers=qualifiers or None,
        ).to_string()
    )


_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$")


def vcs_url(url: str, ref: str | None) -> str:
    """A VCS URL as the purl spec wants it: `<vcs>+<url>@<revision>`, without pip's
    fragment; the revision is the commit when the lock (or the URL) names one."""
    base = url.split("#", 1)[0]
    scheme, sep, rest = base.partition("://")
    path_start = rest.find("/")
    if sep and path_start >= 0:
        path = rest[path_start:]
        at = path.rfind("@")
        current = path[at + 1 :] if at >= 0 else None
        if ref and _COMMIT.match(ref) and current != ref:
            path = (path[:at] if at >= 0 else path) + "@" + ref.lower()
        base = f"{scheme}://{rest[:path_start]}{path}"
    return base


def purl_part(text: str, safe: str = "") -> str:
    return quote(text, safe=safe + "-._~")


def _merge(comp: Component, dep: Dependency) -> None:
    """Add a record's facts to its component. A declaration does not change the scope of
    a component a lock or an environment records."""
    if dep.scope == "required" and (dep.graph is not None or not _is_locked(comp)):
        comp.scope = "required"
    comp.occurrences.append(dep.location)
    comp.dist_hashes.extend(dep.hashes)
    comp.hashes.extend(dep.file_hashes)
    comp.licenses.extend(dep.licenses)
    spec = (dep.specifier or "").strip()
    if spec and not _EXACT.match(spec):
        comp.specifiers.append(redact_text(spec)[0])
    multi = comp.multi_properties
    multi.append(("aibom:source", dep.source.value))
    for extra in dep.extras:
        multi.append(("cdx:python:package:required-extra", extra))
    if dep.marker:
        multi.append(("aibom:marker", dep.marker))
    if dep.group:
        multi.append(("aibom:group", dep.group))
    if dep.editable:
        multi.append(("cdx:python:package:source:local:editable", "true"))
    if dep.vcs_ref:
        multi.append(("aibom:vcs-ref", dep.vcs_ref))
    for key, value in dep.properties:
        multi.append((key, redact_text(value)[0]))
    if dep.graph is not None:
        comp.properties["aibom:graph"] = dep.graph


def _is_locked(comp: Component) -> bool:
    return "aibom:graph" in comp.properties


def _loc_index(loc: Location) -> LocIndex:
    return (loc.path, loc.line, loc.member)
