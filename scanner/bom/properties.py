"""Every property name the AIBOM carries (`aibom:*` for aibom's own facts, `cdx:*` for the
CycloneDX property taxonomies), once. docs/aibom-fields.md documents exactly these names (a
test compares them)."""

from __future__ import annotations

# dependencies read from lock files
LOCK_MANIFEST = "aibom:lock:manifest"  # the manifest a lock's recorded hash was compared with
LOCK_HASH_MATCHES = "aibom:lock:content-hash-matches"  # "true" / "false"
