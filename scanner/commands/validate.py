"""`aibom validate FILE...`: check CycloneDX documents against the official schemas."""

from __future__ import annotations

import sys
from pathlib import Path

from ..bom.validate import read_document, validate_document
from ..errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, InputError, error_lines


def run(files: tuple[Path, ...]) -> int:
    """`aibom validate`: one line per file; the worst outcome is the exit code."""
    worst = EXIT_OK
    for path in files:
        try:
            text = read_document(path)
            result = validate_document(text, str(path))
        except InputError as exc:
            sys.stderr.write(error_lines(exc.what, str(path), exc.hint))
            worst = max(worst, EXIT_USAGE)
            continue
        label = f"CycloneDX {result.spec_version} {result.kind}"
        if result.valid:
            sys.stdout.write(f"{path}: valid ({label})\n")
            continue
        count = len(result.errors)
        sys.stdout.write(f"{path}: INVALID ({label}), {count} error{'s' if count > 1 else ''}:\n")
        for error in result.errors:
            sys.stdout.write(f"  {error}\n")
        worst = max(worst, EXIT_FINDINGS)
    return worst
