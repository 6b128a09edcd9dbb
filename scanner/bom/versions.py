"""The CycloneDX specification versions aibom writes."""

SPEC_VERSIONS = ("1.5", "1.6", "1.7")
DEFAULT_SPEC = "1.6"
