"""What `aibom scan` does, as a function the CLI calls (testable without the CLI)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ..config import ScanRequest, build_config
from ..errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, InputError, UsageError
from ..formats.text import escape_controls
from ..model import Artifact, ArtifactFormat, FileRef
from ..outputs import write_text_atomic
from ..policy import fails, severity_of
from ..scan import ScanResult, scan

STDOUT = "-"


def check_outputs(request: ScanRequest) -> None:
    """Before anything is scanned: at most one output on stdout, an AIBOM name that gives its
    format, and the parent folders of every output file (created here)."""
    stdout = [
        name
        for name, value in (
            ("-o", request.output),
            ("--report", request.report),
            ("--write-baseline", request.write_baseline),
        )
        if value is not None and str(value) == STDOUT
    ]
    if request.report is None and request.report_format not in (None, "text") and stdout:
        stdout.append(f"--format {request.report_format} (the report, without --report)")
    if len(stdout) > 1:
        raise UsageError(
            f"{' and '.join(stdout)} cannot all write to stdout",
            hint="send all but one to files, e.g. `-o - --report aibom.sarif`",
        )
    if request.output is not None and str(request.output) != STDOUT:
        from ..bom.cyclonedx import bom_format_for

        bom_format_for(request.output)
    for path in (request.output, request.report, request.write_baseline):
        if path is None or str(path) == STDOUT:
            continue
        folder = Path(path).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create the output folder: {exc.strerror or exc}",
                str(folder),
                hint="give an output path in a folder you can write to",
            ) from None


def run(request: ScanRequest) -> int:
    """`aibom scan`: scan, write the AIBOM and the report, return the exit code."""
    check_outputs(request)
    config = build_config(request)
    if request.write_baseline is not None:
        config = config.replace(baseline=None)  # record every current finding
    quiet = request.quiet
    progress = Progress(sys.stderr) if not quiet and _is_tty(sys.stderr) else None
    result = scan(config, progress=progress.update if progress else None)
    if progress is not None:
        progress.close()
    output = request.output
    to_stdout = output is not None and str(output) == STDOUT
    if output is not None:
        from ..bom import write_bom

        write_bom(result, output, request.spec_version)
    from ..formats import render_report

    fmt = request.report_format or "text"
    report_file = request.report
    if report_file is not None and str(report_file) == STDOUT:
        sys.stdout.write(render_report(result, fmt))
    elif report_file is not None:
        text = render_report(result, fmt)
        _write_text(Path(report_file), text)
    elif not to_stdout and str(request.write_baseline) != STDOUT:
        sys.stdout.write(render_report(result, fmt, color=fmt == "text" and _use_color()))
    if not quiet:
        sys.stderr.write(summary(result))
    if request.write_baseline is not None:
        from ..policy import write_baseline

        write_baseline([*result.findings, *result.suppressed], request.write_baseline)
        if not quiet:
            sys.stderr.write(f"aibom: baseline written to {request.write_baseline}\n")
        return EXIT_OK
    return exit_code(result)


def _write_text(path: Path, text: str) -> None:
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise InputError(f"cannot write report: {exc.strerror or exc}", str(path)) from None


def _is_tty(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def _use_color() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_tty(sys.stdout) and os.environ.get("TERM") != "dumb"


class Progress:
    """A one-line progress display on stderr (files analysed, bytes), shown only on a
    terminal, only once the scan has taken more than half a second, at most 10 times a second."""

    def __init__(self, stream: Any, delay: float = 0.5) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.delay = delay
        self.last = 0.0
        self.files = 0
        self.bytes = 0
        self.shown = False
        self.lock = threading.Lock()

    def update(self, file: FileRef) -> None:
        with self.lock:
            self.files += 1
            self.bytes += file.size
            now = time.monotonic()
            if now - self.start < self.delay or now - self.last < 0.1:
                return
            self.last = now
            self.shown = True
            mb = self.bytes / 1e6
            self.stream.write(f"\r\x1b[Kscanning: {self.files} files, {mb:,.1f} MB read")
            self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def exit_code(result: ScanResult) -> int:
    if not result.complete:
        return EXIT_INCOMPLETE
    if not result.config.exit_zero and fails(result.findings, result.config):
        return EXIT_FINDINGS
    return EXIT_OK


def summary(result: ScanResult) -> str:
    inv = result.inventory
    by_source = Counter(d.source.value for d in inv.dependencies)
    lines = [
        f"aibom: scanned {_plural(inv.files_scanned, 'file')} under "
        f"{escape_controls(inv.shown_roots)}"
    ]
    if by_source:
        parts = ", ".join(f"{n} from {s}" for s, n in sorted(by_source.items()))
        lines.append(f"  dependencies: {_plural(len(inv.dependencies), 'declaration')} ({parts})")
    if inv.artifacts:
        lines.append(f"  models and data: {artifact_summary(inv.artifacts)}")
    if inv.code_refs:
        lines.append(f"  code references: {len(inv.code_refs)}")
    if result.findings:
        sev = Counter(severity_of(f, result.config) for f in result.findings)
        parts = ", ".join(f"{sev[s]} {s.label}" for s in sorted(sev, reverse=True))
        lines.append(f"  findings: {len(result.findings)} ({parts})")
    else:
        lines.append("  findings: none")
    if inv.gaps:
        lines.append(f"  partially inventoried: {_plural(len(inv.gaps), 'part')} (AIB904)")
    unreadable = inv.errors
    if unreadable:
        lines.append(f"  could not read {_plural(len(unreadable), 'file')}:")
        lines.extend(
            f"    {escape_controls(str(e.location))}: {escape_controls(e.reason)}"
            for e in unreadable[:20]
        )
        if len(unreadable) > 20:
            lines.append(f"    ... and {len(unreadable) - 20} more (see the report)")
    if not result.complete:
        lines.append("  scan INCOMPLETE: some files could not be read or fully analysed")
    return "\n".join(lines) + "\n"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# Artifacts that stand for a folder (its files are side files: configs, tokenizers, cards)
_FOLDERS = frozenset(
    {
        ArtifactFormat.HUGGINGFACE,
        ArtifactFormat.MODEL_FOLDER,
        ArtifactFormat.DATA_FOLDER,
        ArtifactFormat.HF_DATASET,
    }
)
_DATA = frozenset(
    {
        ArtifactFormat.CSV,
        ArtifactFormat.TSV,
        ArtifactFormat.JSONL,
        ArtifactFormat.PARQUET,
        ArtifactFormat.ARROW,
        ArtifactFormat.ARROW_STREAM,
        ArtifactFormat.FEATHER_V1,
        ArtifactFormat.TFRECORD,
        ArtifactFormat.DVC_TRACKED,
        ArtifactFormat.PIPELINE_FILE,
    }
)


def artifact_summary(artifacts: list[Artifact]) -> str:
    """ "2 model files, 1 model folder (+2 side files), 3 data files": a folder's own files
    (README, config.json, tokenizer) are counted as its side files, not as models."""
    folders = [a for a in artifacts if a.format in _FOLDERS]
    models = data = side = 0
    for artifact in artifacts:
        if artifact.format in _FOLDERS:
            continue
        if artifact.parent is not None and artifact.format not in _WEIGHTS:
            side += 1
        elif artifact.format in _DATA:
            data += 1
        else:
            models += 1
    parts = []
    if models:
        parts.append(_plural(models, "model file"))
    if folders:
        text = _plural(len(folders), "model folder")
        parts.append(text + (f" (+{_plural(side, 'side file')})" if side else ""))
    elif side:
        parts.append(_plural(side, "side file"))
    if data:
        parts.append(_plural(data, "data file"))
    return ", ".join(parts) or "none"


_WEIGHTS = frozenset(f for f in ArtifactFormat if f not in _FOLDERS and f not in _DATA) - {
    ArtifactFormat.MODEL_SIGNATURE,
    ArtifactFormat.UNKNOWN,
    ArtifactFormat.PIPELINE_FILE,
}
