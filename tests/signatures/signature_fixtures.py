"""Shared paths and markers for the signature tests (fixtures/signatures/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SIGS = Path(__file__).resolve().parent.parent.parent / "fixtures" / "signatures"
TRUST = SIGS / "trust"
KEYLESS_IDENTITY = "https://github.com/acme/models/.github/workflows/release.yml@refs/heads/main"
KEYLESS_ISSUER = "https://token.actions.githubusercontent.com"


def _library() -> bool:
    try:
        import model_signing  # noqa: F401
        from model_signing._signing import sign_certificate  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):  # CI installs the project's dependencies: never skip there
            raise
        return False
    return True


HAVE_LIBRARY = _library()
needs_library = pytest.mark.skipif(
    not HAVE_LIBRARY, reason="model-signing is not installed in this environment"
)
