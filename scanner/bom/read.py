"""Read a CycloneDX document (JSON or XML, spec 1.4-1.7, any producer) as plain data.

Never through cyclonedx-python-lib's model: it drops `modelCard` and other fields aibom
writes. Missing optional fields are tolerated; a document that is not CycloneDX is a clear
`InputError`. XML is parsed without DTDs or entities (a DOCTYPE is refused).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError

MAX_BOM_BYTES = 512 * 1024 * 1024


@dataclass
class BomComponent:
    bom_ref: str
    type: str
    name: str
    group: str | None = None
    version: str | None = None
    purl: str | None = None
    scope: str | None = None
    hashes: dict[str, str] = field(default_factory=dict)  # alg (lower, e.g. sha-256) -> hex
    dist_hashes: frozenset[tuple[str, str]] = frozenset()  # from distribution ext refs
    licenses: tuple[str, ...] = ()
    supplier: str | None = None
    properties: list[tuple[str, str]] = field(default_factory=list)
    external_refs: list[tuple[str, str]] = field(default_factory=list)  # (type, url)
    model_card: dict[str, Any] | None = None
    parent_ref: str | None = None  # enclosing component when nested

    def prop(self, name: str) -> str | None:
        for key, value in self.properties:
            if key == name:
                return value
        return None

    def props(self, name: str) -> list[str]:
        return [value for key, value in self.properties if key == name]


@dataclass
class BomFinding:
    """A scan finding (aibom records them in `vulnerabilities[]` with source "aibom") or a
    real vulnerability (any other source)."""

    id: str
    source: str
    severity: str
    description: str
    affects: tuple[str, ...]
    fingerprint: str | None
    location: str | None = None

    @property
    def is_aibom_finding(self) -> bool:
        return self.source == "aibom"


@dataclass
class LoadedBom:
    origin: str  # file name or "git:REV"
    spec_version: str
    serial: str | None
    root_ref: str | None
    components: list[BomComponent]
    edges: dict[str, set[str]]
    findings: list[BomFinding]
    producer: str | None = None


def load_bom(path: Path) -> LoadedBom:
    try:
        size = path.stat().st_size
        if size > MAX_BOM_BYTES:
            raise InputError(f"AIBOM too large ({size} bytes)", str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", str(path)) from None
    except IsADirectoryError:
        raise InputError(
            "is a folder, not an AIBOM file", str(path), hint="use --repo to diff git revisions"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    return parse_bom(data, str(path))


def parse_bom(data: bytes, origin: str) -> LoadedBom:
    text = _decode(data, origin)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _from_json(text, origin)
    if stripped.startswith("<"):
        return _from_xml(text, origin)
    raise InputError(
        "not a CycloneDX document (neither JSON nor XML)",
        origin,
        hint="aibom diff reads CycloneDX JSON or XML files",
    )


def _decode(data: bytes, origin: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", origin) from None


# ---------------------------------------------------------------- JSON


def _from_json(text: str, origin: str) -> LoadedBom:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno}: {exc.msg}", origin) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", origin) from None
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise InputError(
            'not a CycloneDX document: no "bomFormat": "CycloneDX"',
            origin,
            hint="is this an SPDX document or a findings report? diff needs CycloneDX",
        )
    spec = str(doc.get("specVersion") or "")
    metadata = _dict(doc.get("metadata"))
    components: list[BomComponent] = []
    root_ref = None
    root = metadata.get("component")
    if isinstance(root, dict):
        root_component = _json_component(root, None, len(components))
        root_ref = root_component.bom_ref
        components.append(root_component)
        _json_nested(root, root_component.bom_ref, components)
    for raw in _list(doc.get("components")):
        if isinstance(raw, dict):
            comp = _json_component(raw, None, len(components))
            components.append(comp)
            _json_nested(raw, comp.bom_ref, components)
    edges: dict[str, set[str]] = {}
    for dep in _list(doc.get("dependencies")):
        if isinstance(dep, dict) and isinstance(dep.get("ref"), str):
            children = {c for c in _list(dep.get("dependsOn")) if isinstance(c, str)}
            edges.setdefault(dep["ref"], set()).update(children)
    findings = [_json_finding(v) for v in _list(doc.get("vulnerabilities")) if isinstance(v, dict)]
    return LoadedBom(
        origin=origin,
        spec_version=spec,
        serial=doc.get("serialNumber") if isinstance(doc.get("serialNumber"), str) else None,
        root_ref=root_ref,
        components=components,
        edges=edges,
        findings=findings,
        producer=_json_producer(metadata),
    )


def _json_nested(raw: dict[str, Any], parent: str, out: list[BomComponent]) -> None:
    for child in _list(raw.get("components")):
        if isinstance(child, dict):
            comp = _json_component(child, parent, len(out))
            out.append(comp)
            _json_nested(child, comp.bom_ref, out)


def _json_component(raw: dict[str, Any], parent: str | None, index: int) -> BomComponent:
    hashes = {}
    for h in _list(raw.get("hashes")):
        if isinstance(h, dict) and isinstance(h.get("alg"), str):
            hashes[_alg(h["alg"])] = str(h.get("content", "")).lower()
    dist: set[tuple[str, str]] = set()
    refs: list[tuple[str, str]] = []
    for ref in _list(raw.get("externalReferences")):
        if not isinstance(ref, dict):
            continue
        refs.append((str(ref.get("type", "")), str(ref.get("url", ""))))
        if ref.get("type") == "distribution":
            for h in _list(ref.get("hashes")):
                if isinstance(h, dict) and isinstance(h.get("alg"), str):
                    dist.add((_alg(h["alg"]), str(h.get("content", "")).lower()))
    props = [
        (str(p.get("name")), str(p.get("value", "")))
        for p in _list(raw.get("properties"))
        if isinstance(p, dict) and p.get("name") is not None
    ]
    supplier = _dict(raw.get("supplier")).get("name")
    name = str(raw.get("name") or "")
    ref = raw.get("bom-ref")
    return BomComponent(
        bom_ref=str(ref) if isinstance(ref, str) and ref else f"#component-{index}:{name}",
        type=str(raw.get("type") or "library"),
        name=name,
        group=raw.get("group") if isinstance(raw.get("group"), str) else None,
        version=str(raw["version"]) if raw.get("version") not in (None, "") else None,
        purl=raw.get("purl") if isinstance(raw.get("purl"), str) else None,
        scope=raw.get("scope") if isinstance(raw.get("scope"), str) else None,
        hashes=hashes,
        dist_hashes=frozenset(dist),
        licenses=_json_licenses(raw.get("licenses")),
        supplier=str(supplier) if supplier else _author(raw),
        properties=props,
        external_refs=refs,
        model_card=raw.get("modelCard") if isinstance(raw.get("modelCard"), dict) else None,
        parent_ref=parent,
    )


def _author(raw: dict[str, Any]) -> str | None:
    for key in ("publisher", "author"):
        if isinstance(raw.get(key), str) and raw[key]:
            return str(raw[key])
    return None


def _json_licenses(raw: Any) -> tuple[str, ...]:
    out = []
    for entry in _list(raw):
        if not isinstance(entry, dict):
            continue
        if isinstance(entry.get("expression"), str):
            out.append(entry["expression"])
        lic = _dict(entry.get("license"))
        value = lic.get("id") or lic.get("name")
        if isinstance(value, str):
            out.append(value)
    return tuple(sorted(set(out)))


def _json_finding(raw: dict[str, Any]) -> BomFinding:
    source = _dict(raw.get("source")).get("name") or ""
    severity = ""
    for rating in _list(raw.get("ratings")):
        if isinstance(rating, dict) and isinstance(rating.get("severity"), str):
            severity = rating["severity"]
            break
    props = {
        str(p.get("name")): str(p.get("value", ""))
        for p in _list(raw.get("properties"))
        if isinstance(p, dict)
    }
    affects = tuple(
        sorted(str(a.get("ref")) for a in _list(raw.get("affects")) if isinstance(a, dict))
    )
    return BomFinding(
        id=str(raw.get("id") or raw.get("bom-ref") or ""),
        source=str(source),
        severity=severity.lower() or "unknown",
        description=str(raw.get("description") or raw.get("detail") or ""),
        affects=affects,
        fingerprint=props.get("aibom:fingerprint"),
        location=props.get("aibom:location"),
    )


def _json_producer(metadata: dict[str, Any]) -> str | None:
    tools = metadata.get("tools")
    entries: list[Any] = []
    if isinstance(tools, list):
        entries = tools
    elif isinstance(tools, dict):
        entries = _list(tools.get("components")) + _list(tools.get("services"))
    for tool in entries:
        if isinstance(tool, dict) and tool.get("name"):
            version = tool.get("version")
            return f"{tool['name']} {version}" if version else str(tool["name"])
    return None


def _alg(alg: str) -> str:
    return alg.strip().lower()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# ---------------------------------------------------------------- XML

_NS = re.compile(r"^\{(http://cyclonedx\.org/schema/bom/(\d+\.\d+))\}bom$")


def _from_xml(text: str, origin: str) -> LoadedBom:
    if "<!DOCTYPE" in text[:4096].upper() or "<!ENTITY" in text.upper():
        raise InputError("XML with a DOCTYPE or entities is refused", origin)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(f"invalid XML: {exc}", origin) from None
    match = _NS.match(root.tag)
    if not match:
        raise InputError(
            "not a CycloneDX document: the root element is not a CycloneDX <bom>", origin
        )
    ns = {"c": match.group(1)}
    spec = match.group(2)
    components: list[BomComponent] = []
    root_ref = None
    meta_comp = root.find("c:metadata/c:component", ns)
    if meta_comp is not None:
        comp = _xml_component(meta_comp, ns, None, 0)
        root_ref = comp.bom_ref
        components.append(comp)
        _xml_nested(meta_comp, ns, comp.bom_ref, components)
    for element in root.findall("c:components/c:component", ns):
        comp = _xml_component(element, ns, None, len(components))
        components.append(comp)
        _xml_nested(element, ns, comp.bom_ref, components)
    edges: dict[str, set[str]] = {}
    for dep in root.iter(f"{{{ns['c']}}}dependency"):
        ref = dep.get("ref")
        if ref is None:
            continue
        children = {child.get("ref") or "" for child in dep.findall("c:dependency", ns)}
        edges.setdefault(ref, set()).update(c for c in children if c)
    findings = [_xml_finding(v, ns) for v in root.findall("c:vulnerabilities/c:vulnerability", ns)]
    tool = root.find("c:metadata/c:tools/c:components/c:component/c:name", ns)
    if tool is None:
        tool = root.find("c:metadata/c:tools/c:tool/c:name", ns)
    return LoadedBom(
        origin=origin,
        spec_version=spec,
        serial=root.get("serialNumber"),
        root_ref=root_ref,
        components=components,
        edges=edges,
        findings=findings,
        producer=tool.text if tool is not None else None,
    )


def _xml_nested(
    element: ET.Element, ns: dict[str, str], parent: str, out: list[BomComponent]
) -> None:
    for child in element.findall("c:components/c:component", ns):
        comp = _xml_component(child, ns, parent, len(out))
        out.append(comp)
        _xml_nested(child, ns, comp.bom_ref, out)


def _text(element: ET.Element, path: str, ns: dict[str, str]) -> str | None:
    found = element.find(path, ns)
    return found.text.strip() if found is not None and found.text else None


def _xml_component(
    element: ET.Element, ns: dict[str, str], parent: str | None, index: int
) -> BomComponent:
    hashes = {
        _alg(h.get("alg", "")): (h.text or "").strip().lower()
        for h in element.findall("c:hashes/c:hash", ns)
    }
    dist: set[tuple[str, str]] = set()
    refs: list[tuple[str, str]] = []
    for ref in element.findall("c:externalReferences/c:reference", ns):
        kind = ref.get("type", "")
        refs.append((kind, _text(ref, "c:url", ns) or ""))
        if kind == "distribution":
            for h in ref.findall("c:hashes/c:hash", ns):
                dist.add((_alg(h.get("alg", "")), (h.text or "").strip().lower()))
    licenses = []
    for lic in element.findall("c:licenses/c:license", ns):
        value = _text(lic, "c:id", ns) or _text(lic, "c:name", ns)
        if value:
            licenses.append(value)
    for expr in element.findall("c:licenses/c:expression", ns):
        if expr.text:
            licenses.append(expr.text.strip())
    props = [
        (p.get("name", ""), (p.text or "").strip())
        for p in element.findall("c:properties/c:property", ns)
    ]
    name = _text(element, "c:name", ns) or ""
    return BomComponent(
        bom_ref=element.get("bom-ref") or f"#component-{index}:{name}",
        type=element.get("type", "library"),
        name=name,
        group=_text(element, "c:group", ns),
        version=_text(element, "c:version", ns),
        purl=_text(element, "c:purl", ns),
        scope=_text(element, "c:scope", ns),
        hashes=hashes,
        dist_hashes=frozenset(dist),
        licenses=tuple(sorted(set(licenses))),
        supplier=_text(element, "c:supplier/c:name", ns) or _text(element, "c:publisher", ns),
        properties=props,
        external_refs=refs,
        model_card=None,
        parent_ref=parent,
    )


def _xml_finding(element: ET.Element, ns: dict[str, str]) -> BomFinding:
    props = {
        p.get("name", ""): (p.text or "").strip()
        for p in element.findall("c:properties/c:property", ns)
    }
    return BomFinding(
        id=_text(element, "c:id", ns) or element.get("bom-ref") or "",
        source=_text(element, "c:source/c:name", ns) or "",
        severity=(_text(element, "c:ratings/c:rating/c:severity", ns) or "unknown").lower(),
        description=_text(element, "c:description", ns) or "",
        affects=tuple(
            sorted((_text(t, "c:ref", ns) or "") for t in element.findall("c:affects/c:target", ns))
        ),
        fingerprint=props.get("aibom:fingerprint"),
        location=props.get("aibom:location"),
    )
