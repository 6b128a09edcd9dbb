"""The AIBOM: Inventory -> CycloneDX (JSON or XML) and back.

- `graph`: the component graph built from an Inventory (identities, purls, edges);
- `cyclonedx`: the CycloneDX document and its JSON text; `xml`: the same document as XML;
- `read`: any CycloneDX file (ours or another producer's) loaded for `diff` and `verify`;
- `validate`: schema validation (`aibom validate`);
- `properties`: every `aibom:*` / `cdx:*` property name the AIBOM carries.

This face is what commands use. It imports its modules only when called, so the CLI can
read `SPEC_VERSIONS` without loading the writer (the pre-commit hook must start fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..scan import ScanResult
    from .read import LoadedBom

from .versions import DEFAULT_SPEC, SPEC_VERSIONS


def render_bom(result: ScanResult, fmt: str = "json", spec_version: str = DEFAULT_SPEC) -> str:
    """The AIBOM as text: fmt "json" or "xml"."""
    from . import cyclonedx

    return cyclonedx.render_bom(result, fmt, spec_version)


def write_bom(result: ScanResult, output: Path, spec_version: str = DEFAULT_SPEC) -> None:
    """Write the AIBOM to `output` (format from the extension); '-' writes JSON to stdout."""
    from . import cyclonedx

    cyclonedx.write_bom(result, output, spec_version)


def load_bom(path: Path) -> LoadedBom:
    """Any CycloneDX file (JSON or XML, 1.2-1.7), read as plain data."""
    from . import read

    return read.load_bom(path)


def parse_bom(data: bytes, origin: str) -> LoadedBom:
    from . import read

    return read.parse_bom(data, origin)


__all__ = ["DEFAULT_SPEC", "SPEC_VERSIONS", "load_bom", "parse_bom", "render_bom", "write_bom"]
