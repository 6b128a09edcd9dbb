"""ScanResult -> CycloneDX AIBOM (JSON or XML, spec 1.5 / 1.6 / 1.7).

The document is built as plain CycloneDX JSON data straight from the `BomGraph`
(`bom.graph.build_graph`) and written with `json.dumps`; XML is produced from the same data
by `bom.xml`, with element order and attribute/element placement read from the official XSD
that cyclonedx-python-lib bundles. Why not the library's object model: it has no
`modelCard`, and building plus serialising 2,000 components through it takes over 3 seconds
(sorted-set comparisons, `Bom.validate()` re-registering every dependency); plain data does it
in a few tens of milliseconds. The library still supplies the schemas (tests validate every
output against them) and the SPDX licence table.

Determinism: bom-refs come from content (purls, paths); every list is sorted. With
`config.reproducible` the serial number is omitted (CycloneDX maintainers' advice: do not fake
one), the timestamp comes from SOURCE_DATE_EPOCH (omitted when unset), and the metadata carries
`cdx:reproducible=true`. Secrets: every URL and free text passes through `redact` here, even
though collectors redact already.
"""

from __future__ import annotations

import gc
import json
import os
import re
import sys
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..errors import InputError
from ..model import Component, Finding, Hash, Location, Vulnerability
from ..outputs import write_text_atomic
from ..redact import redact_text, redact_url
from ..scan import ScanResult
from .escape import escape_unencodable
from .formulation import build_formulation
from .graph import BomGraph, build_graph
from .license_names import spdx_for_text
from .versions import DEFAULT_SPEC, SPEC_VERSIONS

DOCS_URL = "https://github.com/aibom/aibom/blob/main/docs/rules.md"

# hashlib spelling -> CycloneDX algorithm name, and the hex length the schema requires
_HASH_ALGS: dict[str, tuple[str, int]] = {
    "md5": ("MD5", 32),
    "sha1": ("SHA-1", 40),
    "sha256": ("SHA-256", 64),
    "sha384": ("SHA-384", 96),
    "sha512": ("SHA-512", 128),
    "sha3_256": ("SHA3-256", 64),
    "sha3_384": ("SHA3-384", 96),
    "sha3_512": ("SHA3-512", 128),
    "blake2b_256": ("BLAKE2b-256", 64),
    "blake2b_384": ("BLAKE2b-384", 96),
    "blake2b_512": ("BLAKE2b-512", 128),
    "blake3": ("BLAKE3", 64),
}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_MIME = re.compile(r"^[-+a-z0-9.]+/[-+a-z0-9.]+$")
_SCOPES = {"required", "optional", "excluded"}


def render_bom(result: ScanResult, fmt: str = "json", spec_version: str = DEFAULT_SPEC) -> str:
    """The AIBOM as text: fmt "json" or "xml"."""
    if spec_version not in SPEC_VERSIONS:
        raise InputError(
            f"unsupported CycloneDX spec version {spec_version!r}",
            hint=f"use one of {', '.join(SPEC_VERSIONS)}",
        )
    if fmt not in ("json", "xml"):
        raise InputError(f"unknown AIBOM format {fmt!r}", hint="use json or xml")
    # Building the document allocates ~100k small objects and none form cycles: the cyclic
    # garbage collector's passes over them would cost a third of the time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        doc = build_document(result, spec_version)
        if fmt == "json":
            return dump_json(doc)
        from .xml import to_xml

        return to_xml(doc, spec_version)
    finally:
        if was_enabled:
            gc.enable()


_LINE_PER_ITEM = ("components", "dependencies", "vulnerabilities")


def dump_json(doc: dict[str, Any]) -> str:
    """Sorted-key JSON: small parts indented, and one line per component, dependency and
    vulnerability, so the file diffs line by line and is written by the C encoder (the
    pure-Python indenting encoder is six times slower on 2,000 components)."""
    parts = []
    for key in sorted(doc):
        value = doc[key]
        name = json.dumps(key)
        if key in _LINE_PER_ITEM and isinstance(value, list):
            items = ",\n".join(
                "    " + json.dumps(item, sort_keys=True, ensure_ascii=False) for item in value
            )
            parts.append(f"  {name}: [\n{items}\n  ]" if value else f"  {name}: []")
        else:
            text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
            parts.append(f"  {name}: " + text.replace("\n", "\n  "))
    return escape_unencodable("{\n" + ",\n".join(parts) + "\n}\n", json_text=True)


# Lone surrogates (file names that were not UTF-8, decoded with surrogateescape) cannot be
# written as UTF-8; XML 1.0 also forbids most control characters. Both become visible
# `\xNN` / `\uNNNN` text instead of a crash or an invalid document.
def write_bom(result: ScanResult, output: Path, spec_version: str = DEFAULT_SPEC) -> None:
    """Write the AIBOM to `output` (format from the extension); '-' writes JSON to stdout."""
    if str(output) == "-":
        sys.stdout.write(render_bom(result, "json", spec_version))
        return
    fmt = bom_format_for(output)
    text = render_bom(result, fmt, spec_version)
    try:
        write_text_atomic(output, text)
    except OSError as exc:
        raise InputError(f"cannot write the AIBOM: {exc.strerror or exc}", str(output)) from None


def bom_format_for(output: Path) -> str:
    name = output.name.lower()
    if name.endswith(".json"):
        return "json"
    if name.endswith(".xml"):
        return "xml"
    raise InputError(
        "cannot tell the AIBOM format from the file name",
        str(output),
        hint="name it *.json, *.cdx.json or *.xml (or '-' for JSON on stdout)",
    )


# ---------------------------------------------------------------- document


def build_document(result: ScanResult, spec_version: str = DEFAULT_SPEC) -> dict[str, Any]:
    inventory = result.inventory
    graph = build_graph(inventory)
    writer = _Writer(spec_version, graph)
    reproducible = result.config.reproducible
    doc: dict[str, Any] = {
        "$schema": f"http://cyclonedx.org/schema/bom-{spec_version}.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": spec_version,
        "version": 1,
        "metadata": _metadata(result, graph, writer, reproducible),
    }
    if not reproducible:
        doc["serialNumber"] = f"urn:uuid:{uuid.uuid4()}"
    # nested components: folder artifacts hold the files they are made of
    children: dict[str, list[Component]] = {}
    for comp in graph.components:
        parent = graph.parents.get(comp.bom_ref)
        if parent is not None:
            children.setdefault(parent, []).append(comp)
    top = [c for c in graph.components if c.bom_ref not in graph.parents]
    if top:
        doc["components"] = [writer.component(c, children) for c in top]
    doc["dependencies"] = [
        {"ref": _redact(ref), "dependsOn": [_redact(d) for d in deps]}
        if deps
        else {"ref": _redact(ref)}
        for ref, deps in graph.edges.items()
    ]
    vulns = _vulnerabilities(result, graph, writer)
    if vulns:
        doc["vulnerabilities"] = vulns
    formulation = build_formulation(inventory.pipelines, graph)
    if formulation:
        doc["formulation"] = formulation
    return doc


def _metadata(
    result: ScanResult, graph: BomGraph, writer: _Writer, reproducible: bool
) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    stamp = _timestamp(reproducible)
    if stamp is not None:
        meta["timestamp"] = stamp
    meta["tools"] = {
        "components": [
            {
                "type": "application",
                "name": "aibom",
                "version": __version__,
                "bom-ref": f"tool:aibom@{__version__}",
            }
        ]
    }
    meta["component"] = writer.component(graph.root, {})
    props: list[tuple[str, str]] = []
    if reproducible:
        props.append(("cdx:reproducible", "true"))
    inv = result.inventory
    props.append(("aibom:scan:complete", "true" if inv.complete else "false"))
    indexes = {f"{o.option} {_redact(o.value)}" for o in inv.index_options if o.option in _SOURCES}
    props.extend(("aibom:package-index", text) for text in sorted(indexes))
    for error in sorted(inv.errors, key=lambda e: (e.location.path, e.location.line or 0)):
        props.append(("aibom:scan:error", _redact(f"{error.location}: {error.reason}")))
    meta["properties"] = [{"name": k, "value": v} for k, v in props]
    return meta


# options that name where packages come from (pip, uv, conda)
_SOURCES = frozenset({"--index-url", "--extra-index-url", "--find-links", "--channel"})


def _timestamp(reproducible: bool) -> str | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            moment = datetime.fromtimestamp(int(epoch.strip()), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise InputError(
                f"SOURCE_DATE_EPOCH is not a Unix timestamp: {epoch!r}",
                hint="set it to whole seconds since 1970-01-01, e.g. $(git log -1 --format=%ct)",
            ) from None
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if reproducible:
        return None
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=65536)
def _redact(text: str) -> str:
    return redact_text(text)[0]


class _Writer:
    """Turns `Component`s into CycloneDX JSON objects for one spec version."""

    def __init__(self, spec_version: str, graph: BomGraph | None = None) -> None:
        self.spec = spec_version
        self.graph = graph
        self.has_line = spec_version != "1.5"

    def component(self, comp: Component, children: dict[str, list[Component]]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": comp.kind.value,
            "bom-ref": _redact(comp.bom_ref),
            "name": _redact(comp.name),
        }
        props: list[tuple[str, str]] = []
        if comp.mime_type and _MIME.match(comp.mime_type):
            out["mime-type"] = comp.mime_type
        if comp.supplier:
            out["supplier"] = {"name": _redact(comp.supplier)}
        if comp.version:
            out["version"] = comp.version
        if comp.description:
            out["description"] = _redact(comp.description)
        if comp.kind.value == "library" and comp.scope in _SCOPES:
            out["scope"] = comp.scope
        hashes = self.hashes(comp.hashes, props)
        if hashes:
            out["hashes"] = hashes
        licenses = _licenses(comp.licenses)
        if licenses:
            out["licenses"] = licenses
        if comp.purl:
            out["purl"] = _redact(comp.purl)
        refs = self.external_refs(comp, props)
        if refs:
            out["externalReferences"] = refs
        for spec in comp.specifiers:
            props.append(("aibom:specifier", spec))
        props.extend((k, _redact(str(v))) for k, v in comp.properties.items())
        props.extend((k, _redact(str(v))) for k, v in comp.multi_properties)
        if props:
            out["properties"] = [{"name": k, "value": v} for k, v in sorted(set(props))]
        nested = children.get(comp.bom_ref)
        if nested:
            out["components"] = [self.component(c, children) for c in nested]
        if comp.occurrences:
            out["evidence"] = {"occurrences": [self.occurrence(loc) for loc in comp.occurrences]}
        if comp.model_card and comp.kind.value == "machine-learning-model":
            out["modelCard"] = self.model_card(comp.model_card, comp.bom_ref)
        if comp.data_card and comp.kind.value == "data":
            data = _redact_tree(comp.data_card)
            data["bom-ref"] = f"data:{comp.bom_ref}"
            out["data"] = [data]
        if comp.ancestors and self.graph is not None:
            ancestors = [self.ancestor(ref) for ref in comp.ancestors]
            out["pedigree"] = {"ancestors": [a for a in ancestors if a]}
        return out

    def ancestor(self, ref: str) -> dict[str, Any] | None:
        """A pedigree ancestor: a copy of the base component's identity (bom-refs must be
        unique, so the ancestor has none; the dependency edge names the component itself)."""
        base = self.graph.component(ref) if self.graph is not None else None
        if base is None:
            return None
        entry: dict[str, Any] = {"type": base.kind.value, "name": _redact(base.name)}
        if base.version:
            entry["version"] = base.version
        if base.purl:
            entry["purl"] = _redact(base.purl)
        if base.hashes:
            hashes = self.hashes(base.hashes, [])
            if hashes:
                entry["hashes"] = hashes
        return entry

    def model_card(self, card: dict[str, Any], owner: str) -> dict[str, Any]:
        out = _model_card(card, owner)
        considerations = out.get("considerations")
        if self.spec == "1.5" and isinstance(considerations, dict):
            # environmentalConsiderations is new in 1.6: its facts stay in properties
            considerations = {
                k: v for k, v in considerations.items() if k != "environmentalConsiderations"
            }
            if considerations:
                out["considerations"] = considerations
            else:
                out.pop("considerations")
        return out

    def occurrence(self, loc: Location) -> dict[str, Any]:
        path = loc.path if not loc.member else f"{loc.path}!/{loc.member}"
        if loc.line is None:
            return {"location": path}
        if self.has_line:
            return {"location": path, "line": loc.line}
        return {"location": f"{path}#L{loc.line}"}

    def hashes(self, hashes: list[Hash], props: list[tuple[str, str]]) -> list[dict[str, str]]:
        out = []
        for h in hashes:
            alg = h.alg.lower().replace("-", "_")
            known = _HASH_ALGS.get(alg)
            if known is None or len(h.value) != known[1] or not _HEX.match(h.value):
                # kept, but where the schema does not constrain it (never silently dropped)
                props.append(("aibom:hash:unrecognised", f"{h.alg}:{h.value}"))
                continue
            out.append({"alg": known[0], "content": h.value.lower()})
        return out

    def external_refs(self, comp: Component, props: list[tuple[str, str]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        url_kind = comp.properties.get("aibom:url-kind")
        for url in comp.urls:
            clean = redact_url(url)[0]
            kind = "vcs" if url_kind == "vcs" else "distribution"
            if comp.kind.value in ("machine-learning-model", "data") and not url_kind:
                kind = "website"
            if not _iri_ok(clean):
                props.append(("aibom:url", clean))
                continue
            out.append({"type": kind, "url": clean})
        if comp.dist_hashes:
            hashes = self.hashes(comp.dist_hashes, props)
            if hashes:
                dist = next((r for r in out if r["type"] == "distribution"), None)
                if dist is None:
                    dist = {"type": "distribution", "url": _index_url(comp)}
                    out.append(dist)
                dist["hashes"] = hashes
        out.sort(key=lambda r: (r["type"], r["url"]))
        return out


def _index_url(comp: Component) -> str:
    """Where the hashed distribution files come from, when no direct URL says so."""
    name = comp.name.strip().lower()
    if comp.ecosystem == "conda":
        return f"https://anaconda.org/anaconda/{_safe_path(name)}"
    project = _safe_path(re.sub(r"[-_.]+", "-", name))
    # the index a lock file names for this package (one only), else PyPI
    indexes = {v for k, v in comp.multi_properties if k == "aibom:index" and "://" in v}
    if len(indexes) == 1:
        index = redact_url(next(iter(indexes)))[0].rstrip("/")
        candidate = f"{index}/{project}/"
        if _iri_ok(candidate):
            return candidate
    return f"https://pypi.org/simple/{project}/"


def _safe_path(text: str) -> str:
    return quote(text, safe="-._~")


_IRI_BAD = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f]")


def _iri_ok(url: str) -> bool:
    return bool(url) and not _IRI_BAD.search(url)


# ---------------------------------------------------------------- licences


def _licenses(values: list[str]) -> list[dict[str, Any]]:
    """SPDX ids as `license.id`, SPDX expressions as `expression`, anything else as
    `license.name`. The schema allows one expression or a list of licences, not a mix: several
    values that include an expression become one `A AND (B OR C)` expression when all are SPDX,
    else every value is listed (expressions as names)."""
    entries = [_license(v) for v in values if v.strip()]
    if not any("expression" in e for e in entries):
        return entries
    if len(entries) == 1:
        return entries
    if all("expression" in e or "id" in e["license"] for e in entries):
        parts = [
            f"({e['expression']})" if "expression" in e else e["license"]["id"] for e in entries
        ]
        return [{"expression": " AND ".join(parts)}]
    return [{"license": {"name": e["expression"]}} if "expression" in e else e for e in entries]


@lru_cache(maxsize=4096)
def _license_cached(value: str) -> tuple[str, str]:
    text = value.strip()
    ids = _spdx_ids()
    if text.lower() in ids:
        return ("id", ids[text.lower()])
    if re.search(r"\s(AND|OR|WITH)\s", text) and _valid_expression(text):
        return ("expression", text)
    mapped = spdx_for_text(text)
    if mapped is not None:  # "Apache 2.0 License" -> Apache-2.0
        return ("id", mapped)
    return ("name", text[:500])


def _license(value: str) -> dict[str, Any]:
    kind, text = _license_cached(value)
    if kind == "expression":
        return {"expression": text}
    return {"license": {kind: text}}


@lru_cache(maxsize=1)
def _spdx_ids() -> dict[str, str]:
    from .validate import schema_text

    data = json.loads(schema_text("spdx.SNAPSHOT.schema.json"))
    return {str(v).lower(): str(v) for v in data.get("enum", [])}


def _valid_expression(text: str) -> bool:
    try:
        from license_expression import get_spdx_licensing

        get_spdx_licensing().parse(text, validate=True, strict=True)
        return True
    except Exception:  # any parse failure: not a valid SPDX expression
        return False


# ---------------------------------------------------------------- modelCard


def _model_card(card: dict[str, Any], owner: str) -> dict[str, Any]:
    """The analyzer's modelCard (already CycloneDX-shaped), redacted, with a stable bom-ref."""
    out = _redact_tree(card)
    if isinstance(out, dict):
        out = dict(out)
        out["bom-ref"] = f"modelcard:{owner}"
        return out
    return {"bom-ref": f"modelcard:{owner}"}


def _redact_tree(value: Any) -> Any:
    if isinstance(value, str):
        return _redact(value)
    if isinstance(value, list):
        return [_redact_tree(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _redact_tree(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- vulnerabilities


_SEVERITIES = {"critical", "high", "medium", "low", "info", "none", "unknown"}


def _vulnerabilities(result: ScanResult, graph: BomGraph, writer: _Writer) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for finding in result.findings:
        entry = _finding_entry(finding, result, graph)
        out.setdefault(entry["bom-ref"], entry)
    for vuln in result.inventory.vulnerabilities:
        entry = _vulnerability_entry(vuln, graph)
        if entry["bom-ref"] in out:
            affects = out[entry["bom-ref"]]["affects"]
            for target in entry["affects"]:
                if target not in affects:
                    affects.append(target)
            affects.sort(key=lambda a: a["ref"])
            continue
        out[entry["bom-ref"]] = entry
    return [out[k] for k in sorted(out)]


def _finding_entry(finding: Finding, result: ScanResult, graph: BomGraph) -> dict[str, Any]:
    from ..rules import get_rule

    fingerprint = finding.fingerprint
    entry: dict[str, Any] = {
        "bom-ref": f"finding:{fingerprint}",
        "id": finding.rule_id,
        "source": {"name": "aibom", "url": DOCS_URL},
    }
    try:
        rule = get_rule(finding.rule_id)
    except KeyError:
        rule = None
    props = [
        ("aibom:location", _redact(str(finding.location))),
        ("aibom:fingerprint", fingerprint),
    ]
    if rule is not None:
        severity = result.config.severity_for(rule.id, rule.severity_for(finding)).label
        entry["ratings"] = [{"source": {"name": "aibom"}, "severity": severity, "method": "other"}]
        if rule.cwe:
            entry["cwes"] = list(rule.cwe)
        entry["description"] = _redact(rule.render(finding))
        entry["recommendation"] = _redact(rule.remediation.strip())
        props.append(("aibom:rule-slug", rule.slug))
    else:
        entry["description"] = _redact(f"{finding.rule_id} at {finding.location}")
    entry["affects"] = [{"ref": _redact(graph.ref_for_location(finding.location))}]
    entry["properties"] = [{"name": k, "value": v} for k, v in props]
    return entry


def _vulnerability_entry(vuln: Vulnerability, graph: BomGraph) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "bom-ref": f"vuln:{vuln.id}:{vuln.package}@{vuln.version}",
        "id": vuln.id,
    }
    database = vuln.source.split(":", 1)[0] if vuln.source else "unknown"
    source: dict[str, str] = {"name": _VULN_SOURCES.get(database, database)}
    if vuln.url and _iri_ok(redact_url(vuln.url)[0]):
        source["url"] = redact_url(vuln.url)[0]
    entry["source"] = source
    if vuln.aliases:
        entry["references"] = [
            {"id": alias, "source": {"name": _alias_source(alias)}}
            for alias in sorted(set(vuln.aliases))
        ]
    severity = (vuln.severity or "").lower()
    if severity in _SEVERITIES:
        rating: dict[str, Any] = {"severity": severity, "source": source}
        if vuln.cvss:
            method = _cvss_method(vuln.cvss)
            if method:
                rating["method"] = method
                rating["vector"] = vuln.cvss
        entry["ratings"] = [rating]
    if vuln.description:
        entry["description"] = _redact(vuln.description)
    props = [
        ("aibom:package", f"{vuln.package}@{vuln.version}"),
        ("aibom:vuln-database", database),
    ]
    if vuln.fixed_versions:
        fixed = sorted(set(vuln.fixed_versions), key=_version_key)
        entry["recommendation"] = f"Upgrade {vuln.package} to {' or '.join(fixed)} or later."
        props.extend(("aibom:fixed-version", f) for f in fixed)
    refs = graph.refs_for_package(vuln.package, vuln.version) or [graph.root.bom_ref]
    entry["affects"] = [{"ref": _redact(r)} for r in sorted(refs)]
    entry["properties"] = [{"name": k, "value": v} for k, v in props]
    return entry


# Inventory.vulnerabilities[].source -> CycloneDX source name ("local:<path>" is an offline
# copy of an OSV-format database; its path is not recorded: it is machine-specific)
_VULN_SOURCES = {"osv": "OSV", "pypi": "PyPI", "local": "OSV"}


def _version_key(text: str) -> tuple[int, Any]:
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(text))
    except InvalidVersion:
        return (1, text)


def _alias_source(alias: str) -> str:
    if alias.startswith("CVE-"):
        return "NVD"
    if alias.startswith("GHSA-"):
        return "GitHub"
    if alias.startswith("PYSEC-"):
        return "PyPA"
    return "OSV"


def _cvss_method(vector: str) -> str | None:
    if vector.startswith("CVSS:4"):
        return "CVSSv4"
    if vector.startswith("CVSS:3.1"):
        return "CVSSv31"
    if vector.startswith("CVSS:3"):
        return "CVSSv3"
    if vector.startswith("AV:"):
        return "CVSSv2"
    return None


__all__ = [
    "SPEC_VERSIONS",
    "bom_format_for",
    "build_document",
    "render_bom",
    "write_bom",
]
