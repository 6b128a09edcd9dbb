"""Check CycloneDX documents against the official schemas (the library under `aibom validate`).

JSON or XML is told from the content, the spec version from the document itself
(`specVersion`, or the XML namespace). The schemas are the ones cyclonedx-python-lib bundles.

Speed: the library's own JSON validator uses jsonschema's default format checker, whose
`iri-reference` check goes through `rfc3987-syntax` (a lark Earley parser): importing it costs
about 2 s and each URL about 70 ms. Here the validator is built from the same schema files with
a format checker of our own: cheap, exact checks for `date-time`, `email`, and a syntactic
check for IRIs/URIs (no whitespace or forbidden characters, a valid scheme when absolute),
and `rfc3987-syntax` is never imported.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError

MAX_BYTES = 512 * 1024 * 1024
MAX_ERRORS = 100
_SCHEMA_PACKAGE = "cyclonedx.schema._res"
_SCHEMA_PREFIX = "http://cyclonedx.org/schema/"
JSON_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
XML_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7")
_XML_NS = re.compile(r"^\{http://cyclonedx\.org/schema/bom/(\d+\.\d+)\}bom$")


@dataclass
class Validation:
    kind: str  # "JSON" or "XML"
    spec_version: str
    errors: list[str]

    @property
    def valid(self) -> bool:
        return not self.errors


def schema_text(name: str) -> str:
    """A schema file bundled with cyclonedx-python-lib."""
    return resources.files(_SCHEMA_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def read_document(path: Path) -> str:
    """The text of a CycloneDX file (`-` for stdin), bounded and decoded."""
    if str(path) == "-":  # `aibom scan . -o - | aibom validate -`
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise InputError(f"input too large (over {MAX_BYTES // 1024**2} MB)", "<stdin>")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text (byte {exc.start})", "<stdin>") from None
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"file too large (over {MAX_BYTES // 1024**2} MB)", str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", str(path)) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a CycloneDX file", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", str(path)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", str(path)) from None


def validate_text(text: str) -> list[str]:
    """The schema errors of a CycloneDX document (empty when valid). A document that is not
    CycloneDX at all raises `InputError`."""
    return validate_document(text).errors


def validate_document(text: str, origin: str = "<text>") -> Validation:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return _validate_json(stripped, origin)
    if stripped.startswith("<"):
        return _validate_xml(stripped, origin)
    raise InputError(
        "not a CycloneDX document (neither JSON nor XML)",
        origin,
        hint="aibom validate reads CycloneDX JSON or XML files",
    )


# ---------------------------------------------------------------- JSON


def _validate_json(text: str, origin: str) -> Validation:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", origin
        ) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", origin) from None
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise InputError('not a CycloneDX document: no "bomFormat": "CycloneDX"', origin)
    version = doc.get("specVersion")
    if not isinstance(version, str) or version not in JSON_VERSIONS:
        raise InputError(
            f"unsupported or missing specVersion {version!r}",
            origin,
            hint=f"JSON schemas are known for CycloneDX {', '.join(JSON_VERSIONS)}",
        )
    validator = json_validator(version)
    errors = []
    try:
        found = sorted(
            validator.iter_errors(doc), key=lambda e: (list(map(str, e.path)), e.message)
        )
    except RecursionError:
        raise InputError("JSON nested too deeply to validate", origin) from None
    for error in found[:MAX_ERRORS]:
        errors.append(_describe(error, doc))
    if len(found) > MAX_ERRORS:
        errors.append(f"... and {len(found) - MAX_ERRORS} more errors")
    return Validation("JSON", version, errors)


def _describe(error: Any, doc: Any) -> str:
    """`$.json.path (in bom-ref X): message`, with the most specific cause of a oneOf/anyOf."""
    from jsonschema.exceptions import best_match

    detail = error
    if error.context:
        detail = best_match(error.context)
    message = detail.message
    if len(message) > 300:
        message = message[:297] + "..."
    owner = _owner_ref(doc, list(detail.absolute_path))
    where = f"{detail.json_path} (in {owner})" if owner else detail.json_path
    return f"{where}: {message}"


def _owner_ref(doc: Any, path: list[Any]) -> str | None:
    """The bom-ref of the innermost object on the path that has one (to find it by name)."""
    found = None
    node = doc
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("bom-ref"), str):
            found = node["bom-ref"]
    return found


@lru_cache(maxsize=8)
def json_validator(version: str) -> Any:
    """A Draft-7 validator for one CycloneDX version, with the cheap format checker."""
    jsonschema, referencing = _import_jsonschema()
    from referencing.jsonschema import DRAFT7

    suffix = "-strict" if version in ("1.2", "1.3") else ""
    schema = json.loads(schema_text(f"bom-{version}{suffix}.SNAPSHOT.schema.json"))
    resources_ = [
        (
            f"{_SCHEMA_PREFIX}{name}",
            DRAFT7.create_resource(json.loads(schema_text(name))),
        )
        for name in (
            "spdx.SNAPSHOT.schema.json",
            "jsf-0.82.SNAPSHOT.schema.json",
            "cryptography-defs.SNAPSHOT.schema.json",
        )
    ]
    registry = referencing.Registry().with_resources(resources_)
    # jsonschema's uniqueItems compares every pair of items (quadratic: 36 s for 2,000
    # components); compare canonical JSON texts in a set instead (same equality rules).
    cls = jsonschema.validators.extend(jsonschema.Draft7Validator, {"uniqueItems": _unique_items})
    return cls(schema, registry=registry, format_checker=format_checker())


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
    from jsonschema.exceptions import ValidationError

    if not unique or not validator.is_type(instance, "array"):
        return
    seen: dict[str, int] = {}
    for index, item in enumerate(instance):
        key = json.dumps(_canonical(item), sort_keys=True)
        if key in seen:
            yield ValidationError(f"has non-unique elements: item {index} repeats item {seen[key]}")
            return
        seen[key] = index


def _import_jsonschema() -> tuple[Any, Any]:
    """Import jsonschema without letting it load `rfc3987-syntax` (2 s to import, ~70 ms per
    URL): its formats are checked by `format_checker()` instead."""
    blocked = "rfc3987_syntax" not in sys.modules and "jsonschema" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import jsonschema
        import referencing
    finally:
        if blocked and sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]
    return jsonschema, referencing


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_IRI_FORBIDDEN = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")
_PCT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$"
)


def _iri_reference(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if _IRI_FORBIDDEN.search(value) or _PCT.search(value):
        return False
    head = value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    # a colon before the first "/" must end a valid scheme
    return ":" not in head or bool(_SCHEME.match(head))


def _iri(value: object) -> bool:
    return _iri_reference(value) and (not isinstance(value, str) or bool(_SCHEME.match(value)))


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def _email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.match(value))


def format_checker() -> Any:
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name in ("iri-reference", "uri-reference"):
        checker.checks(name)(_iri_reference)
    for name in ("iri", "uri"):
        checker.checks(name)(_iri)
    checker.checks("date-time")(_date_time)
    for name in ("email", "idn-email"):
        checker.checks(name)(_email)
    return checker


# ---------------------------------------------------------------- XML


def _validate_xml(text: str, origin: str) -> Validation:
    from lxml import etree

    head = text[:4096].upper()
    if "<!DOCTYPE" in head or "<!ENTITY" in text.upper():
        raise InputError("XML with a DOCTYPE or entities is refused", origin)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"invalid XML: {exc}", origin) from None
    match = _XML_NS.match(root.tag)
    if not match:
        raise InputError(
            "not a CycloneDX document: the root element is not a CycloneDX <bom>", origin
        )
    version = match.group(1)
    if version not in XML_VERSIONS:
        raise InputError(f"unsupported CycloneDX version {version}", origin)
    schema = xml_schema(version)
    schema.validate(root)
    ns = "{http://cyclonedx.org/schema/bom/" + version + "}"
    errors = [
        f"line {e.line}: {_xml_where(root, e.path)}: {e.message.replace(ns, '')}"
        for e in schema.error_log
    ]
    if len(errors) > MAX_ERRORS:
        errors = [*errors[:MAX_ERRORS], f"... and {len(errors) - MAX_ERRORS} more errors"]
    return Validation("XML", version, errors)


@lru_cache(maxsize=8)
def xml_schema(version: str) -> Any:
    from lxml import etree

    with resources.as_file(resources.files(_SCHEMA_PACKAGE)) as folder:
        xsd = etree.parse(str(Path(folder) / f"bom-{version}.SNAPSHOT.xsd"))
        return etree.XMLSchema(xsd)


def _xml_where(root: Any, xpath: str) -> str:
    """lxml's `/*/*[2]/*` as `/bom/components/component[2]/version (in bom-ref X)`."""
    try:
        found = root.xpath(xpath)
    except Exception:  # lxml raises several XPath error types; fall back to its own path
        return xpath
    if not found:
        return xpath
    node = found[0]
    steps = []
    owner = None
    while node is not None:
        name = node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else "?"
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        if owner is None and node.get("bom-ref"):
            owner = node.get("bom-ref")
        steps.append(name)
        node = parent
    where = "/" + "/".join(reversed(steps))
    return f"{where} (in {owner})" if owner else where
