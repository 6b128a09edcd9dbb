"""aibom: an AI bill of materials (CycloneDX) with supply-chain checks for AI projects."""

__version__ = "0.1.0"
