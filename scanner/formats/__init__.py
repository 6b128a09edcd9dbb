"""Renderers of findings: text (terminals), json (machines), sarif (code-scanning UIs).

Each renderer is `render(result: ScanResult, *, color: bool = False) -> str`. `FORMATS` maps
each `ReportFormat` to a loader that imports its module on first use; the CLI's `--format`
choices are its keys.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..scan import ScanResult


class ReportFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"


class Renderer(Protocol):
    def __call__(self, result: ScanResult, *, color: bool = False) -> str: ...


def _text() -> Renderer:
    from . import text

    return text.render


def _json() -> Renderer:
    from . import json_report

    return json_report.render


def _sarif() -> Renderer:
    from . import sarif

    return sarif.render


FORMATS: dict[ReportFormat, Callable[[], Renderer]] = {
    ReportFormat.TEXT: _text,
    ReportFormat.JSON: _json,
    ReportFormat.SARIF: _sarif,
}


def render_report(result: ScanResult, fmt: str, *, color: bool = False) -> str:
    """The report as text. File names that were not UTF-8 (lone surrogates from
    surrogateescape) are written as visible escapes (`\\xff`), so every format can be
    written as UTF-8; the text report escapes control characters too."""
    kind = ReportFormat(fmt)
    text = FORMATS[kind]()(result, color=color)
    if kind is ReportFormat.TEXT:
        return text  # (the text renderer escapes every value itself)
    from ..bom.escape import escape_unencodable

    return escape_unencodable(text, json_text=True)
