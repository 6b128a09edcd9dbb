"""The AIBOM: Inventory -> CycloneDX (JSON or XML) and back.

- `graph`: the component graph built from an Inventory (identities, purls, edges);
- `cyclonedx`: the CycloneDX document and its JSON text; `xml`: the same document as XML;
- `read`: any CycloneDX file (ours or another producer's) loaded for `diff` and `verify`;
- `validate`: schema validation (`aibom validate`);
- `properties`: every `aibom:*` / `cdx:*` property name the AIBOM carries.
"""

from __future__ import annotations

from .cyclonedx import DEFAULT_SPEC, SPEC_VERSIONS, render_bom, write_bom
from .read import LoadedBom, load_bom, parse_bom

__all__ = [
    "DEFAULT_SPEC",
    "SPEC_VERSIONS",
    "LoadedBom",
    "load_bom",
    "parse_bom",
    "render_bom",
    "write_bom",
]
