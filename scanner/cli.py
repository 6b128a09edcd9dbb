"""The command line: parse options, load config, call one function, render, exit.

Heavy libraries (CycloneDX, httpx, pip-audit) are imported inside the commands that need
them, so `aibom check` (the pre-commit path) starts fast.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .bom import DEFAULT_SPEC, SPEC_VERSIONS
from .errors import EXIT_INTERNAL, EXIT_USAGE, AibomError, error_lines
from .formats import ReportFormat
from .model import Severity

SEVERITIES = tuple(s.label for s in Severity)


def _run(action: Callable[[], int], debug: bool) -> NoReturn:
    """The one place errors become messages and exit codes."""
    try:
        code = action()
    except AibomError as exc:
        click.echo(error_lines(exc.what, exc.where, exc.hint), err=True, nl=False)
        if debug:
            traceback.print_exc()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except Exception as exc:  # last resort: a bug
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        if debug:
            traceback.print_exc()
        else:
            click.echo("hint: run again with --debug and report the traceback", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code)


def _trust_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--trust-key / --trust-identity: model-signature trust anchors for this run."""
    command = click.option(
        "--trust-identity",
        "trust_identities",
        multiple=True,
        metavar="IDENTITY@ISSUER",
        help="Sigstore identity allowed to sign models (repeatable), e.g. "
        "release@acme.org@https://accounts.google.com.",
    )(command)
    return click.option(
        "--trust-key",
        "trust_keys",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="PEM",
        help="Public key allowed to sign models (repeatable).",
    )(command)


class AibomGroup(click.Group):
    """click's usage errors in aibom's one error format (`error: ...` / `hint: ...`, exit 2)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `aibom`: the help
                exc.show()
                sys.exit(exc.exit_code)
            command = exc.ctx.command_path if exc.ctx is not None else "aibom"
            hint = f"run `{command} --help` for the options and examples"
            click.echo(error_lines(exc.format_message(), hint=hint), err=True, nl=False)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            click.echo(error_lines(exc.format_message()), err=True, nl=False)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("interrupted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(
    cls=AibomGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="aibom")
def main() -> None:
    """aibom: an AI bill of materials (CycloneDX) for your repository and models, with
    supply-chain checks (pins, hashes, unsafe pickles, typosquats, vulnerabilities)."""


@main.command(short_help="Inventory a repository or model folder; write an AIBOM.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write the AIBOM here; .json or .xml picks the format ('-' for stdout JSON).",
)
@click.option(
    "--spec-version",
    type=click.Choice(SPEC_VERSIONS),
    default=DEFAULT_SPEC,
    show_default=True,
    help="CycloneDX specification version of the AIBOM.",
)
@click.option(
    "--env",
    "envs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Also inventory an installed environment (virtualenv or site-packages).",
)
@click.option(
    "-r",
    "--requirements",
    "extra_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A requirements file to read whatever its name (repeatable).",
)
@click.option("--exclude", multiple=True, help="Glob of paths to leave out (repeatable).")
@click.option(
    "--tracked-only",
    is_flag=True,
    help="Only files git tracks or has staged (git ls-files): untracked and ignored files "
    "are left out.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Config file (default: .aibom.toml or [tool.aibom] in pyproject.toml).",
)
@click.option(
    "--reproducible",
    is_flag=True,
    default=None,
    help="Byte-identical AIBOM for identical input (also when SOURCE_DATE_EPOCH is set).",
)
@click.option(
    "--format",
    "report_format",
    type=click.Choice([f.value for f in ReportFormat]),
    default=None,
    help="Findings report format on stdout (default: text).",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    help="Write the findings report to this file instead of stdout.",
)
@click.option(
    "--sarif-info",
    is_flag=True,
    help="SARIF: also report info findings (left out by default, as they flood alerts).",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Lowest severity that fails the run (default: high).",
)
@click.option(
    "--strict",
    is_flag=True,
    default=None,
    help="Unknown pickle imports and incomplete analysis fail too.",
)
@click.option(
    "--min-severity",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Lowest severity the text report lists (default: low; info findings are counted).",
)
@click.option(
    "--show",
    type=click.Choice(["info"]),
    default=None,
    help="`--show info` lists info findings too (same as --min-severity info).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the policy.")
@click.option(
    "--online/--offline",
    default=None,
    help="Look packages up on the index (hashes, yanked, existence, age).",
)
@click.option(
    "--audit",
    is_flag=True,
    default=None,
    help="Look pinned packages up in a vulnerability service (network).",
)
@click.option(
    "--vuln-db",
    type=click.Path(path_type=Path),
    default=None,
    help="Audit offline against a local OSV advisory database folder.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="Findings recorded in this baseline file do not fail the run.",
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path),
    help="Record the current findings as the baseline file and exit 0.",
)
@_trust_options
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Analysis processes (default: the cores available).",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Digest cache folder (default: AIBOM_CACHE_DIR, else the per-user cache folder).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write the digest cache: re-hash and re-analyse every file.",
)
@click.option(
    "--dask",
    metavar="ADDRESS",
    default=None,
    help="Analyse files on the Dask cluster at this scheduler address (aibom[dask]).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def scan(paths: tuple[Path, ...], debug: bool, **options: Any) -> None:
    """Inventory PATHS (default: .) and write an AIBOM; report findings.

    '-' means stdout for -o, --report and --write-baseline; only one of them may use it.
    Parent folders of output files are created.

    \b
    Examples:
      aibom scan .                                  findings on the terminal
      aibom scan . -o aibom.cdx.json                AIBOM file + findings
      aibom scan . --format sarif --report aibom.sarif
      aibom scan services/api -o - | jq '.components | length'
      aibom scan . --tracked-only --fail-on critical

    \b
    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
    2 usage error or incomplete scan; 3 internal error.
    """
    from .commands import scan as scan_command
    from .config import ScanRequest

    show, min_severity = options.pop("show"), options.pop("min_severity")
    request = ScanRequest(
        paths=paths or (Path("."),),
        spec_version=options.pop("spec_version") or DEFAULT_SPEC,
        envs=tuple(options.pop("envs")),
        extra_files=tuple(options.pop("extra_files")),
        exclude=tuple(options.pop("exclude")),
        trust_keys=tuple(options.pop("trust_keys")),
        trust_identities=tuple(options.pop("trust_identities")),
        use_cache=not options.pop("no_cache"),
        min_severity=show or min_severity,
        **options,
    )
    _run(lambda: scan_command.run(request), debug)


@main.command(short_help="Fast checks on the given files (the pre-commit hooks).")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Config file (default: .aibom.toml or [tool.aibom] in ./pyproject.toml).",
)
@click.option(
    "--models",
    is_flag=True,
    help="Check only the model files among FILES, found by content (the model hook).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def check(files: tuple[Path, ...], config_file: Path | None, models: bool, debug: bool) -> None:
    """Fast checks on the given files only (the pre-commit hook): `file:line: RULE message`."""
    from .commands import check as check_command

    _run(lambda: check_command.run(files, config_file, models=models), debug)


@main.command(short_help="Re-hash the files an AIBOM records before loading them.")
@click.argument("bom_file", type=click.Path(path_type=Path))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "report_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format on stdout.",
)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="The folder that was scanned, which the AIBOM's paths are relative to (default: .).",
)
@click.option(
    "--fail-on-flagged",
    type=click.Choice([*SEVERITIES, "none"], case_sensitive=False),
    default="critical",
    show_default=True,
    help="Refuse files the AIBOM records a finding on at or above this severity ('none': off).",
)
@click.option(
    "--bom-signature",
    type=click.Path(path_type=Path),
    metavar="FILE.sig",
    help="Check this model-signing signature of BOM_FILE before trusting its contents.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Config file with [tool.aibom.signatures] trust anchors.",
)
@click.option(
    "--online/--offline",
    default=None,
    help="Refresh the Sigstore trust root over the network (keyless signatures).",
)
@_trust_options
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def verify(
    bom_file: Path,
    path: Path | None,
    report_format: str,
    root: Path | None,
    debug: bool,
    **options: Any,
) -> None:
    """Re-hash every file BOM_FILE records (paths relative to --root, default .) and check
    the model signatures there; exit 0 only if all match. PATH, when given, limits the check
    to what lies below it. Files the AIBOM records a critical finding on are refused too.

    \b
    Examples:
      aibom verify aibom.cdx.json                   every recorded file under .
      aibom verify aibom.cdx.json models/           only what is recorded under models/
      aibom verify dist/aibom.cdx.json --root /srv/app --format json

    \b
    Exit codes: 0 every file matches; 1 changed, missing, unrecorded or
    unverifiable files; 2 the AIBOM cannot be read; 3 internal error.
    """
    from .commands import verify as verify_command

    options["trust_keys"] = tuple(options["trust_keys"])
    options["trust_identities"] = tuple(options["trust_identities"])
    options["fail_on_flagged"] = str(options["fail_on_flagged"]).lower()
    _run(
        lambda: verify_command.run(
            bom_file, root or Path("."), report_format, only=path, **options
        ),
        debug,
    )


@main.command(short_help="Supply-chain changes between two AIBOMs or git revisions.")
@click.argument("old")
@click.argument("new")
@click.option(
    "--format",
    "diff_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Output format on stdout (markdown for pull requests and release notes).",
)
@click.option(
    "--fail-on",
    default=None,
    metavar="KIND,...",
    help="Comma-separated change kinds that fail (exit 1); default: hash-changed, "
    "unsafe-format, new-dangerous-import, new-critical, new-pickle-file; 'none': never fail.",
)
@click.option(
    "--repo",
    type=click.Path(path_type=Path),
    help="OLD and NEW are git revisions of this repository: scan both and diff.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Config file for safe-globals and signature trust anchors (default: .aibom.toml or [tool.aibom] in ./pyproject.toml).",
)
@click.option(
    "--old-signature",
    type=click.Path(path_type=Path),
    metavar="FILE.sig",
    help="Check this model-signing signature of OLD before diffing.",
)
@click.option(
    "--new-signature",
    type=click.Path(path_type=Path),
    metavar="FILE.sig",
    help="Check this model-signing signature of NEW before diffing.",
)
@_trust_options
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def diff(
    old: str,
    new: str,
    diff_format: str,
    fail_on: str | None,
    repo: Path | None,
    config_file: Path | None,
    debug: bool,
    **options: Any,
) -> None:
    """What changed in the supply chain between two AIBOMs (or two git revisions).

    \b
    Examples:
      aibom diff old.cdx.json new.cdx.json
      aibom diff --repo . v1.0 HEAD --format markdown
      aibom diff old.cdx.json new.cdx.json --fail-on hash-changed,new-critical

    \b
    Exit codes: 0 no change failed the gate; 1 a change matched --fail-on;
    2 an input cannot be read; 3 internal error.
    """
    from .commands import diff as diff_command

    options["trust_keys"] = tuple(options["trust_keys"])
    options["trust_identities"] = tuple(options["trust_identities"])
    _run(
        lambda: diff_command.run(old, new, diff_format, fail_on, repo, config_file, **options),
        debug,
    )


@main.command(short_help="Check CycloneDX files against the official schema.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def validate(files: tuple[Path, ...], debug: bool) -> None:
    """Check CycloneDX files against the official schema of their spec version."""
    from .commands import validate as validate_command

    _run(lambda: validate_command.run(files), debug)


@main.command(short_help="List every rule, or explain one.")
@click.argument("rule_id", required=False)
@click.option(
    "--format",
    "rules_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
def rules(rule_id: str | None, rules_format: str) -> None:
    """List every rule, or explain RULE_ID (an id such as AIB201, any case, or a slug)."""
    from .commands import rules as rules_command

    _run(lambda: rules_command.run(rule_id, rules_format), False)


@main.command(short_help="Hash the pins of fully pinned requirements files (network).")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--index-url", default=None, help="Simple index to read hashes from.")
@click.option("--dry-run", is_flag=True, help="Print the result instead of rewriting files.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
def pin(files: tuple[Path, ...], index_url: str | None, dry_run: bool, debug: bool) -> None:
    """Add --hash lines to requirements FILES that pin every package (network). A file with
    an unpinned requirement is refused: compile the whole set with `pip-compile
    --generate-hashes` or `uv pip compile --generate-hashes`."""
    from .commands import pin as pin_command

    _run(lambda: pin_command.run(files, index_url, dry_run), debug)


__all__ = ["EXIT_USAGE", "main"]
