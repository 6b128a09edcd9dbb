"""AIBOM x AIBOM -> Changes: `compare` classifies every change, `render` prints them."""

from __future__ import annotations

from .compare import CHANGE_KINDS, Change, Changes, diff, valid_fail_on_kinds
from .render import render

__all__ = ["CHANGE_KINDS", "Change", "Changes", "diff", "render", "valid_fail_on_kinds"]
