"""CycloneDX XML from the same document dict the JSON writer uses: element order and
repetition are taken from the XSD that cyclonedx-python-lib bundles for each spec version."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .escape import escape_unencodable

_XS = "{http://www.w3.org/2001/XMLSchema}"
_ROOT_SKIP = {"$schema", "bomFormat", "specVersion"}


class _XsdModel:
    """The content model of one XSD element: attributes, ordered child elements, text."""

    def __init__(self) -> None:
        self.attrs: set[str] = set()
        self.children: dict[str, tuple[Any, bool]] = {}  # name -> (xs:element, repeats)
        self.text = False


class _Xsd:
    """Element order and attribute/element placement, read from the official XSD."""

    def __init__(self, spec_version: str) -> None:
        import xml.etree.ElementTree as ET

        from .validate import schema_text

        tree = ET.fromstring(schema_text(f"bom-{spec_version}.SNAPSHOT.xsd"))
        self.types = {
            node.get("name"): node
            for node in tree
            if node.tag in (f"{_XS}complexType", f"{_XS}simpleType")
        }
        self.root = next(n for n in tree if n.tag == f"{_XS}element" and n.get("name") == "bom")
        self.cache: dict[int, _XsdModel] = {}

    def model(self, element: Any) -> _XsdModel:
        key = id(element)
        if key in self.cache:
            return self.cache[key]
        model = _XsdModel()
        self.cache[key] = model  # before recursing: types refer to themselves
        type_name = (element.get("type") or "").split(":")[-1]
        if type_name:
            node = self.types.get(type_name)
            if node is not None and node.tag == f"{_XS}complexType":
                self._walk(node, model)
            else:
                model.text = True
            return model
        inline = element.find(f"{_XS}complexType")
        if inline is not None:
            self._walk(inline, model)
        else:
            model.text = True
        return model

    def _walk(self, node: Any, model: _XsdModel) -> None:
        for child in node:
            tag = child.tag
            if tag == f"{_XS}element" and child.get("name"):
                repeats = child.get("maxOccurs", "1") not in ("0", "1")
                repeats = repeats or _in_repeating_group(node)
                model.children.setdefault(child.get("name"), (child, repeats))
            elif tag == f"{_XS}attribute" and child.get("name"):
                model.attrs.add(child.get("name"))
            elif tag in (f"{_XS}sequence", f"{_XS}choice", f"{_XS}all"):
                self._walk(child, model)
            elif tag == f"{_XS}simpleContent":
                model.text = True
                self._walk(child, model)
            elif tag in (f"{_XS}extension", f"{_XS}restriction", f"{_XS}complexContent"):
                base = (child.get("base") or "").split(":")[-1]
                base_node = self.types.get(base)
                if base_node is not None and base_node.tag == f"{_XS}complexType":
                    self._walk(base_node, model)
                self._walk(child, model)


def _in_repeating_group(node: Any) -> bool:
    return node.tag in (f"{_XS}sequence", f"{_XS}choice") and node.get("maxOccurs", "1") not in (
        "0",
        "1",
    )


@lru_cache(maxsize=4)
def _xsd(spec_version: str) -> _Xsd:
    return _Xsd(spec_version)


def to_xml(doc: dict[str, Any], spec_version: str) -> str:
    """The same document as CycloneDX XML, element order taken from the XSD."""
    import xml.etree.ElementTree as ET

    xsd = _xsd(spec_version)
    ns = f"http://cyclonedx.org/schema/bom/{spec_version}"
    data = {k: v for k, v in doc.items() if k not in _ROOT_SKIP}
    if "dependencies" in data:
        data["dependencies"] = _xml_dependencies(data["dependencies"])
    if "formulation" in data:
        data["formulation"] = [_xml_formula(f) for f in data["formulation"]]
    root = ET.Element("bom", {"xmlns": ns})
    _fill(root, data, xsd.model(xsd.root), xsd, ns, "bom")
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return escape_unencodable('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n", False)


def _xml_dependencies(deps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"ref": d["ref"], "dependency": [{"ref": c} for c in d.get("dependsOn", [])]} for d in deps
    ]


def _xml_formula(formula: dict[str, Any]) -> dict[str, Any]:
    """Workflows' task dependencies are dependency graphs too."""
    out = dict(formula)
    workflows = []
    for workflow in formula.get("workflows", []):
        workflow = dict(workflow)
        if "taskDependencies" in workflow:
            workflow["taskDependencies"] = _xml_dependencies(workflow["taskDependencies"])
        workflows.append(workflow)
    if workflows:
        out["workflows"] = workflows
    return out


def _xml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(el: Any, value: Any, model: _XsdModel, xsd: _Xsd, ns: str, where: str) -> None:
    if not isinstance(value, dict):
        el.text = _xml_scalar(value)
        return
    rest = []
    for key, item in value.items():
        if key in model.attrs and not isinstance(item, (dict, list)):
            el.set(key, _xml_scalar(item))
        else:
            rest.append(key)
    if model.text:
        if len(rest) > 1:
            raise ValueError(f"XML: {where} holds text, cannot place {rest}")
        if rest:
            el.text = _xml_scalar(value[rest[0]])
        return
    unknown = [k for k in rest if k not in model.children]
    if unknown:
        raise ValueError(f"XML: no place for {unknown} in <{where}>")
    for name, (decl, repeats) in model.children.items():
        if name in value and name in rest:
            _emit(el, name, value[name], decl, repeats, xsd, ns)


def _emit(parent: Any, name: str, value: Any, decl: Any, repeats: bool, xsd: _Xsd, ns: str) -> None:
    import xml.etree.ElementTree as ET

    model = xsd.model(decl)
    if isinstance(value, list) and repeats:
        for item in value:
            _fill(ET.SubElement(parent, name), item, model, xsd, ns, name)
        return
    el = ET.SubElement(parent, name)
    if not isinstance(value, list):
        _fill(el, value, model, xsd, ns, name)
        return
    if (
        len(value) == 1
        and isinstance(value[0], dict)
        and set(value[0]) <= set(model.children) | model.attrs
    ):
        # a JSON array of one where the XML element holds one item (1.5 component data)
        _fill(el, value[0], model, xsd, ns, name)
        return
    # a JSON array is an XML wrapper around repeated children
    options = model.children
    default = name[:-1] if name.endswith("s") and name[:-1] in options else None
    if default is None and len(options) == 1:
        default = next(iter(options))
    for item in value:
        if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in options:
            child = next(iter(item))
            if child not in xsd.model(options[child][0]).children:
                cdecl = options[child][0]
                _fill(ET.SubElement(el, child), item[child], xsd.model(cdecl), xsd, ns, child)
                continue
        if default is None:
            raise ValueError(f"XML: cannot tell the element for an item of <{name}>")
        cdecl = options[default][0]
        _fill(ET.SubElement(el, default), item, xsd.model(cdecl), xsd, ns, default)
