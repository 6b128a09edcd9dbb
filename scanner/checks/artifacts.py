"""Checks for this concern (filled in by its issue)."""

from __future__ import annotations

from . import Check

CHECKS: tuple[Check, ...] = ()
