"""Inventory -> BomGraph: the components of the AIBOM, merged, identified and linked.

- Every `Dependency` record becomes part of one `Component` per (ecosystem, normalised name,
  version, direct URL), with every place it was declared as an occurrence.
- A declaration without an exact version (a range) joins the component of the same name
  when the inventory knows exactly one concrete version of it (a lock or an environment
  resolves it); otherwise it is a versionless component.
- Artifacts (model files, model folders, data) become components of their kind; files
  inside a model folder are nested under the folder's component.
- Hub models and datasets named in code become one component per (repository, revision).

bom-refs are derived from content only (purls, paths), never random, so the same inventory
always gives the same graph whatever the order of its records.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import (
    Artifact,
    CodeReference,
    Component,
    ComponentKind,
    Hash,
    Inventory,
    Lineage,
    Location,
    normalize_name,
)
from ..redact import redact_text, redact_url
from . import dependency_graph
from .dependency_graph import purl_part

UNNAMED_ROOT = "unnamed-project"
COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
_EXACT = re.compile(r"^\s*===?\s*([^\s,;*<>=!~]+)\s*$")


@dataclass
class BomGraph:
    root: Component
    components: list[Component]  # every component except the root, sorted by bom-ref
    edges: dict[str, list[str]]  # bom-ref -> sorted bom-refs it depends on (every component)
    parents: dict[str, str] = field(default_factory=dict)  # nested child ref -> parent ref
    by_location: dict[tuple[str, int | None, str | None], str] = field(default_factory=dict)
    by_path: dict[str, str] = field(default_factory=dict)  # artifact path -> ref
    by_package: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (eco, name)

    def component(self, ref: str) -> Component | None:
        if ref == self.root.bom_ref:
            return self.root
        return self._index().get(ref)

    def _index(self) -> dict[str, Component]:
        cached: dict[str, Component] | None = getattr(self, "_cache", None)
        if cached is None or len(cached) != len(self.components):
            cached = {c.bom_ref: c for c in self.components}
            object.__setattr__(self, "_cache", cached)
        return cached

    def ref_for_location(self, location: Location) -> str:
        """The component a finding at `location` is about: a dependency or code-reference
        occurrence at that path and line, else an artifact at that path, else the root."""
        if location.line is not None:
            ref = self.by_location.get((location.path, location.line, location.member))
            if ref is not None:
                return ref
        ref = self.by_path.get(location.path)
        if ref is not None:
            return ref
        ref = self.by_location.get((location.path, None, location.member))
        return ref if ref is not None else self.root.bom_ref

    def component_for(self, location: Location) -> Component:
        found = self.component(self.ref_for_location(location))
        return found if found is not None else self.root

    def refs_for_package(
        self, name: str, version: str | None, ecosystem: str = "pypi"
    ) -> list[str]:
        """Components of a package: those at `version` when any, else every one of that name."""
        refs = self.by_package.get((ecosystem, normalize_name(name)), [])
        if version is None:
            return list(refs)
        exact = [r for r in refs if (c := self.component(r)) is not None and c.version == version]
        return exact or list(refs)


def build_graph(inventory: Inventory) -> BomGraph:
    root = _root(inventory)
    components: dict[str, Component] = {}
    edges: dict[str, set[str]] = defaultdict(set)
    by_location: dict[tuple[str, int | None, str | None], str] = {}
    by_package: dict[tuple[str, str], list[str]] = defaultdict(list)

    part = dependency_graph.build(inventory, root)
    components.update(part.components)
    by_location.update(part.by_location)
    for ref, targets in part.edges.items():
        edges[ref].update(targets)
    for comp in components.values():
        if comp.ecosystem is not None:
            by_package[(comp.ecosystem, normalize_name(comp.name))].append(comp.bom_ref)
    for refs in by_package.values():
        refs.sort()
    direct = part.root_edges

    parents: dict[str, str] = {}
    by_path: dict[str, str] = {}
    top_artifacts = _artifacts(inventory.artifacts, components, parents, by_path, edges)
    hub_refs = _code_refs(inventory.code_refs, components, by_location)
    _lineage(inventory.artifacts, components, by_path, edges)
    _dataset_refs(components, edges)

    edges[root.bom_ref].update(direct | top_artifacts | hub_refs)
    for ref in components:
        edges.setdefault(ref, set())
    ordered = sorted(components.values(), key=lambda c: c.bom_ref)
    for comp in ordered:
        _finish(comp)
    _finish(root)
    return BomGraph(
        root=root,
        components=ordered,
        edges={ref: sorted(children - {ref}) for ref, children in sorted(edges.items())},
        parents=parents,
        by_location=by_location,
        by_path=by_path,
        by_package=dict(by_package),
    )


# ---------------------------------------------------------------- root


def _root(inventory: Inventory) -> Component:
    project = inventory.project
    if project is not None:
        name = project.name
        comp = Component(
            kind=ComponentKind.APPLICATION,
            name=name,
            version=project.version,
            purl=None,
            bom_ref=f"root:{normalize_name(name)}",
            licenses=sorted(set(project.licenses)),
            occurrences=[project.location],
            description=project.description,
        )
        return comp
    # no project at the top: a fixed name, so the AIBOM does not change with the name of
    # the folder the repository was checked out into
    name = UNNAMED_ROOT
    return Component(
        kind=ComponentKind.APPLICATION,
        name=name,
        version=None,
        purl=None,
        bom_ref=f"root:{name}",
    )


# ---------------------------------------------------------------- artifacts


def _artifacts(
    artifacts: list[Artifact],
    components: dict[str, Component],
    parents: dict[str, str],
    by_path: dict[str, str],
    edges: dict[str, set[str]],
) -> set[str]:
    """Components for artifacts; returns the refs of those not nested in a folder."""
    for art in artifacts:
        ref = f"file:{art.path}"
        comp = _artifact_component(art, ref)
        if ref in components:  # the same path reported twice: keep facts from both
            _merge_artifact(components[ref], comp)
        else:
            components[ref] = comp
        by_path[art.path] = ref
    top: set[str] = set()
    for art in artifacts:
        ref = f"file:{art.path}"
        parent_ref = f"file:{art.parent}" if art.parent else None
        if (
            parent_ref
            and parent_ref in components
            and parent_ref != ref
            and not _would_cycle(parents, ref, parent_ref)
        ):
            parents[ref] = parent_ref
            edges[parent_ref].add(ref)
            continue
        top.add(ref)
    return top


def _would_cycle(parents: dict[str, str], child: str, parent: str) -> bool:
    seen = {child}
    node: str | None = parent
    while node is not None:
        if node in seen:
            return True
        seen.add(node)
        node = parents.get(node)
    return False


def _artifact_component(art: Artifact, ref: str) -> Component:
    comp = Component(
        kind=ComponentKind(art.kind),
        name=art.name or art.path,
        version=art.version,
        purl=art.purl,
        bom_ref=ref,
        occurrences=[Location(art.path)],
        licenses=list(art.licenses),
        model_card=art.model_card,
    )
    if art.sha256:
        comp.hashes.append(Hash("sha256", art.sha256))
    comp.hashes.extend(art.extra_hashes)
    comp.mime_type = art.mime_type
    comp.supplier = art.supplier
    comp.data_card = art.data_card
    comp.urls.extend(redact_url(u)[0] for u in art.urls)
    props = comp.properties
    props["aibom:path"] = art.path
    props["aibom:format"] = art.format
    if art.framework:
        props["aibom:framework"] = art.framework
    props["aibom:size"] = str(art.size)
    props["aibom:analysis"] = "incomplete" if art.incomplete else "complete"
    for key, value in art.properties.items():
        props[key] = redact_text(str(value))[0]
    multi = comp.multi_properties
    for reason in art.incomplete:
        multi.append(("aibom:incomplete", redact_text(reason)[0]))
    for qualname in sorted({imp.qualname for imp in art.pickle_imports}):
        multi.append(("aibom:pickle:global", qualname))
    for key, value in art.multi_properties:
        multi.append((key, redact_text(str(value))[0]))
    return comp


def _merge_artifact(into: Component, other: Component) -> None:
    into.hashes.extend(other.hashes)
    into.licenses.extend(other.licenses)
    into.multi_properties.extend(other.multi_properties)
    for key, value in other.properties.items():
        if key == "aibom:analysis" and value == "incomplete":
            into.properties[key] = value
        into.properties.setdefault(key, value)
    if into.model_card is None:
        into.model_card = other.model_card


# ---------------------------------------------------------------- code references

_HUB_KINDS = {
    "hub-model": ComponentKind.MODEL,
    "hub-dataset": ComponentKind.DATA,
    "torch-hub": ComponentKind.MODEL,
    "timm-model": ComponentKind.MODEL,
    "remote-data": ComponentKind.DATA,
}
_REF_PREFIX = {
    "hub-model": "hf-model",
    "hub-dataset": "hf-dataset",
    "torch-hub": "torch-hub",
    "timm-model": "timm-model",
    "remote-data": "url-data",
}


def _code_refs(
    refs: Iterable[CodeReference],
    components: dict[str, Component],
    by_location: dict[tuple[str, int | None, str | None], str],
) -> set[str]:
    out: set[str] = set()
    for cref in sorted(refs, key=lambda r: (r.location, r.kind, r.target or "")):
        kind = _HUB_KINDS.get(cref.kind)
        if kind is None or not cref.target:
            continue
        target = redact_text(cref.target)[0]
        revision = cref.revision or None
        ref = f"{_REF_PREFIX[cref.kind]}:{target}" + (f"@{revision}" if revision else "")
        comp = components.get(ref)
        if comp is None:
            comp = Component(
                kind=kind,
                name=target,
                version=revision,
                purl=_hub_purl(cref.kind, target, revision),
                bom_ref=ref,
            )
            url = _hub_url(cref.kind, target)
            if url:
                comp.urls.append(url)
            comp.properties["aibom:origin"] = "code-reference"
            entry = dict(cref.args).get("entrypoint")
            if entry:
                comp.properties["aibom:entrypoint"] = entry
            if revision and not COMMIT.match(revision):
                comp.properties["aibom:revision"] = revision
            components[ref] = comp
        comp.occurrences.append(cref.location)
        comp.multi_properties.append(("aibom:code-call", cref.call))
        by_location.setdefault(_loc_index(cref.location), ref)
        out.add(ref)
    return out


def _hub_purl(kind: str, target: str, revision: str | None) -> str | None:
    """pkg:huggingface for Hub models (version only when a full commit), pkg:github for
    torch.hub repositories; none for datasets (the purl type covers models only) and timm
    names (which hub or URL timm resolves them to depends on the timm version)."""
    if "://" in target or target.startswith((".", "/", "~")):
        return None
    org, _, name = target.rpartition("/")
    if kind == "hub-model":
        purl = "pkg:huggingface/" + (f"{purl_part(org)}/" if org else "") + purl_part(name)
        if revision and COMMIT.match(revision):
            purl += f"@{revision.lower()}"
        return purl
    if kind == "torch-hub" and org and "/" not in org:
        purl = f"pkg:github/{purl_part(org.lower())}/{purl_part(name.lower())}"
        return purl + (f"@{purl_part(revision)}" if revision else "")
    return None


def _hub_url(kind: str, target: str) -> str | None:
    if kind == "remote-data" and target.lower().startswith(("http://", "https://")):
        return target
    if "://" in target or target.startswith((".", "/", "~")):
        return None
    if kind == "hub-model":
        return f"https://huggingface.co/{target}"
    if kind == "hub-dataset":
        return f"https://huggingface.co/datasets/{target}"
    if kind == "torch-hub" and target.count("/") == 1:
        return f"https://github.com/{target}"
    return None


def _lineage(
    artifacts: list[Artifact],
    components: dict[str, Component],
    by_path: dict[str, str],
    edges: dict[str, set[str]],
) -> None:
    """Base models become components the derived model depends on (and names in its
    pedigree); datasets a model was trained or evaluated on become dependency edges."""
    for art in artifacts:
        ref = by_path.get(art.path)
        model = components.get(ref) if ref else None
        if model is None:
            continue
        for base in sorted(set(art.ancestors)):
            base_ref = _base_component(base, components, by_path, art.path)
            if base_ref is None or base_ref == model.bom_ref:
                continue
            edges[model.bom_ref].add(base_ref)
            if base_ref not in model.ancestors:
                model.ancestors.append(base_ref)
        for name in sorted(set(art.trained_on)):
            data_ref = (
                by_path.get(name)
                or _local_dataset(name, components)
                or _hub_dataset(name, components, art.path)
            )
            if data_ref != model.bom_ref:
                edges[model.bom_ref].add(data_ref)


def _base_component(
    base: Lineage, components: dict[str, Component], by_path: dict[str, str], owner: str
) -> str | None:
    name = redact_text(base.name)[0].strip()
    if not name:
        return None
    local = by_path.get(posixpath.normpath(posixpath.join(owner, name))) or by_path.get(name)
    if local is not None:
        return local
    if "://" in name or name.startswith((".", "/", "~")):
        return None
    revision = base.revision or None
    ref = f"hf-model:{name}" + (f"@{revision}" if revision else "")
    comp = components.get(ref)
    if comp is None:
        comp = Component(
            kind=ComponentKind.MODEL,
            name=name,
            version=revision,
            purl=_hub_purl("hub-model", name, revision),
            bom_ref=ref,
        )
        url = _hub_url("hub-model", name)
        if url:
            comp.urls.append(url)
        comp.properties["aibom:origin"] = "lineage"
        if revision and not COMMIT.match(revision):
            comp.properties["aibom:revision"] = revision
        components[ref] = comp
    comp.multi_properties.append(("aibom:base-of", owner))
    comp.multi_properties.append(("aibom:lineage-source", base.source))
    comp.occurrences.append(Location(owner))
    return ref


def _local_dataset(name: str, components: dict[str, Component]) -> str | None:
    """A data component found on disk under this name (a hub-cache snapshot)."""
    for comp in components.values():
        if (
            comp.kind is ComponentKind.DATA
            and comp.name == name
            and comp.bom_ref.startswith("file:")
        ):
            return comp.bom_ref
    return None


def _hub_dataset(name: str, components: dict[str, Component], owner: str) -> str:
    ref = f"hf-dataset:{redact_text(name)[0]}"
    data = components.get(ref)
    if data is None:
        data = Component(kind=ComponentKind.DATA, name=name, version=None, purl=None, bom_ref=ref)
        data.properties["aibom:origin"] = "model-card"
        url = _hub_url("hub-dataset", name)
        if url:
            data.urls.append(url)
        components[ref] = data
    data.occurrences.append(Location(owner))
    return ref


def _dataset_refs(components: dict[str, Component], edges: dict[str, set[str]]) -> None:
    """Datasets a model card names inline become `data` components the card refers to."""
    for comp in list(components.values()):
        card = comp.model_card
        if not isinstance(card, dict):
            continue
        params = card.get("modelParameters")
        if not isinstance(params, dict) or not isinstance(params.get("datasets"), list):
            continue
        card = dict(card)
        params = dict(params)
        new_sets: list[Any] = []
        for entry in params["datasets"]:
            if not isinstance(entry, dict) or "ref" in entry or not entry.get("name"):
                new_sets.append(entry)
                continue
            name = str(entry["name"])
            ref = _local_dataset(name, components) or f"hf-dataset:{name}"
            data = components.get(ref)
            if data is None:
                data = Component(
                    kind=ComponentKind.DATA, name=name, version=None, purl=None, bom_ref=ref
                )
                data.properties["aibom:origin"] = "model-card"
                components[ref] = data
            contents = entry.get("contents")
            url = contents.get("url") if isinstance(contents, dict) else None
            if isinstance(url, str) and url not in data.urls:
                data.urls.append(redact_url(url)[0])
            data.occurrences.extend(comp.occurrences[:1])
            edges[comp.bom_ref].add(ref)
            new_sets.append({"ref": ref})
        params["datasets"] = new_sets
        card["modelParameters"] = params
        comp.model_card = card


# ---------------------------------------------------------------- tidy


def _finish(comp: Component) -> None:
    """Sort and de-duplicate every list so output never depends on input order."""
    comp.occurrences = sorted(set(comp.occurrences), key=_loc_key)
    comp.hashes = sorted(set(comp.hashes))
    comp.dist_hashes = sorted(set(comp.dist_hashes))
    comp.licenses = sorted(set(comp.licenses))
    comp.specifiers = sorted(set(comp.specifiers))
    comp.urls = sorted(set(comp.urls))
    comp.multi_properties = sorted(set(comp.multi_properties))
    comp.ancestors = sorted(set(comp.ancestors))


def _loc_index(loc: Location) -> tuple[str, int | None, str | None]:
    return (loc.path, loc.line, loc.member)


def _loc_key(loc: Location) -> tuple[str, int, str]:
    return (loc.path, loc.line or 0, loc.member or "")
