"""Renderers of findings: text (terminals), json (machines), sarif (code-scanning UIs).

Each renderer is `render(result: ScanResult, *, color: bool = False) -> str`.
"""

from __future__ import annotations

import importlib

from ..scan import ScanResult

# format -> (module under aibom.formats, function name)
REGISTRY: dict[str, tuple[str, str]] = {
    "text": ("text", "render"),
    "json": ("json_report", "render"),
    "sarif": ("sarif", "render"),
}


def render_report(result: ScanResult, fmt: str, *, color: bool = False) -> str:
    module_name, function = REGISTRY[fmt]
    module = importlib.import_module(f"{__name__}.{module_name}")
    text: str = getattr(module, function)(result, color=color)
    return text
