"""Configuration: `[tool.aibom]` in pyproject.toml or a `.aibom.toml`, then CLI options.

Precedence (last wins): defaults < config file < environment (AIBOM_*) < command line.
Unknown keys are an error that names the key and the file.

Trust: a config file found in the scanned folder belongs to the tree being scanned, which may
be hostile (a pull request). Its settings may tighten the scan freely; every setting that
weakens it is applied but recorded (`Config.tree_settings`, reported as AIB910); settings that
reach the network or name cache/database paths, raise limits, or would hide AIB910 itself are
not applied (recorded as AIB911). A file given with `--config` is the user's own: trusted.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from .errors import ConfigError, InputError
from .model import Severity
from .signatures.trust import SignaturePolicy, cli_rules, policy_from_table


class TreeEffect(StrEnum):
    """What a setting from the scanned tree's own config file did to the scan."""

    WEAKENS = "weakens"  # applied, and reported (AIB910)
    IGNORED = "ignored"  # not applied: only the command line or the user's config may (AIB911)


@dataclass(frozen=True)
class TreeSetting:
    key: str  # the file key as written (`safe-globals`, `severity.AIB201`)
    value: str  # shown value: bounded and redacted
    effect: TreeEffect


@dataclass(frozen=True)
class Config:
    # what to scan
    roots: tuple[Path, ...] = (Path("."),)
    envs: tuple[Path, ...] = ()  # installed environments (--env)
    extra_files: tuple[Path, ...] = ()  # requirements files named on the command line
    exclude: tuple[str, ...] = ()  # glob patterns, relative to the root
    follow_symlinks: bool = True  # inside the root only; never out of it
    tracked_only: bool = False  # only files git tracks or has staged (--tracked-only)
    # policy
    fail_on: Severity = Severity.HIGH
    exit_zero: bool = False  # --exit-zero: findings never fail the run (incomplete still does)
    strict: bool = False
    disabled_rules: frozenset[str] = frozenset()
    baseline: Path | None = None  # findings recorded here do not fail the run
    severity_overrides: tuple[tuple[str, Severity], ...] = ()
    # pins and hashes
    project_kind: str = "auto"  # "application", "library" or "auto"
    require_hashes: bool = False
    # models
    safe_globals: frozenset[str] = frozenset()  # extra known-safe pickle globals, "module.name"
    max_archive_depth: int = 3
    max_archive_members: int = 10_000
    max_decompressed_bytes: int = (
        1024**3
    )  # per file; decompressed beyond a 32 MiB window spills to disk
    # model signatures: trust anchors (CLI / --config only) and required signatures
    signatures: SignaturePolicy = field(default_factory=SignaturePolicy)
    # typosquats
    allowed_packages: frozenset[str] = frozenset()
    # network
    online: bool = False
    index_url: str = "https://pypi.org/simple"
    new_package_days: int = 30
    cache_dir: Path | None = None
    cache_ttl_seconds: int = 24 * 3600
    timeout_seconds: float = 15.0
    # vulnerabilities
    audit: bool = False
    vuln_service: str = "osv"
    vuln_db: Path | None = None
    # output
    reproducible: bool = False
    sarif_info: bool = False  # SARIF: include info findings (--sarif-info)
    min_severity: Severity | None = None  # lowest severity the text report lists (None: low)
    workers: int = 0  # analysis jobs (--jobs); 0: one per core available to the process
    # speed: set from the command line or the environment only, never from a config file
    scan_cache: Path | None = None  # folder of the digest cache; None: no cache
    dask_scheduler: str | None = None  # analyse files on this Dask cluster
    config_file: Path | None = None  # where the file settings came from
    tree_settings: tuple[TreeSetting, ...] = ()  # weakening/ignored settings from the tree

    def severity_for(self, rule_id: str, default: Severity) -> Severity:
        for rid, sev in self.severity_overrides:
            if rid == rule_id:
                return sev
        return default

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)


# File keys (kebab-case as users write TOML) -> Config field and converter.
def _sev(value: Any, key: str, where: str) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError as exc:
        raise ConfigError(f"{key}: {exc}", where) from None


def _strs(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list):
        raise ConfigError(f"{key} must be a list of strings", where)
    if not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings", where)
    return tuple(value)


def _bool(value: Any, key: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false", where)
    return value


def _int(value: Any, key: str, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{key} must be a non-negative whole number", where)
    return value


def _str(value: Any, key: str, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be a string", where)
    return value


def _choice(*choices: str) -> Any:
    def convert(value: Any, key: str, where: str) -> str:
        if value not in choices:
            raise ConfigError(f"{key} must be one of {', '.join(choices)}", where)
        return str(value)

    return convert


def _overrides(value: Any, key: str, where: str) -> tuple[tuple[str, Severity], ...]:
    if not isinstance(value, dict):
        raise ConfigError(f"{key} must be a table of RULE-ID = severity", where)
    return tuple(sorted((str(k), _sev(v, f"{key}.{k}", where)) for k, v in value.items()))


def _path(value: Any, key: str, where: str) -> Path:
    return Path(_str(value, key, where))


FILE_KEYS: dict[str, tuple[str, Any]] = {
    "fail-on": ("fail_on", _sev),
    "strict": ("strict", _bool),
    "exclude": ("exclude", _strs),
    "disable": ("disabled_rules", lambda v, k, w: frozenset(_strs(v, k, w))),
    "severity": ("severity_overrides", _overrides),
    "project-kind": ("project_kind", _choice("application", "library", "auto")),
    "require-hashes": ("require_hashes", _bool),
    "safe-globals": ("safe_globals", lambda v, k, w: frozenset(_strs(v, k, w))),
    "allowed-packages": ("allowed_packages", lambda v, k, w: frozenset(_strs(v, k, w))),
    "online": ("online", _bool),
    "index-url": ("index_url", _str),
    "new-package-days": ("new_package_days", _int),
    "cache-dir": ("cache_dir", _path),
    "cache-ttl": ("cache_ttl_seconds", _int),
    "timeout": ("timeout_seconds", lambda v, k, w: float(_int(v, k, w))),
    "audit": ("audit", _bool),
    "vuln-service": ("vuln_service", _choice("osv", "pypi")),
    "vuln-db": ("vuln_db", _path),
    "max-archive-depth": ("max_archive_depth", _int),
    "max-archive-members": ("max_archive_members", _int),
    "max-decompressed-bytes": ("max_decompressed_bytes", _int),
}


def find_config_file(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """`.aibom.toml` wins over `[tool.aibom]` in pyproject.toml; both looked up in `root`."""
    dedicated = root / ".aibom.toml"
    if dedicated.is_file():
        return dedicated, _table_of(dedicated, _read_toml(dedicated))
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = _read_toml(pyproject)
        except ConfigError:
            return None  # a broken pyproject.toml is reported by the scan as a scan error
        table = _table_of(pyproject, data)
        if table is not None:
            return pyproject, table
    return None


def _table_of(path: Path, data: dict[str, Any]) -> Any:
    """The aibom table: `[tool.aibom]` where present, else the whole `.aibom.toml`."""
    tool = data.get("tool")
    if isinstance(tool, dict) and "aibom" in tool:
        return tool["aibom"]
    return None if path.name == "pyproject.toml" else data


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read configuration: {exc}", str(path)) from None


def settings_from_file(path: Path, table: Any) -> dict[str, Any]:
    """Convert a config table into Config field values; unknown keys are errors."""
    where = str(path)
    if not isinstance(table, dict):
        raise ConfigError("[tool.aibom] must be a table", where)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "signatures":
            continue  # read by load_config, which knows whether the file is trusted
        if key not in FILE_KEYS:
            known = ", ".join(sorted([*FILE_KEYS, "signatures"]))
            raise ConfigError(
                f"unknown configuration key {key!r}", where, hint=f"known keys: {known}"
            )
        attr, convert = FILE_KEYS[key]
        values[attr] = convert(value, key, where)
    return values


# Settings the scanned tree may never make: network access, paths aibom writes or trusts.
UNTRUSTED_KEYS = frozenset(
    {"online", "index-url", "cache-dir", "cache-ttl", "timeout", "audit", "vuln-service", "vuln-db"}
)
# Limits a tree may lower (tighten) but not raise.
LIMIT_KEYS = frozenset({"max-archive-depth", "max-archive-members", "max-decompressed-bytes"})
# The rules that report the tree's own settings: the tree cannot disable or soften them.
PROTECTED_RULES = frozenset(
    {"AIB910", "AIB911", "scanned-config-weakens-scan", "scanned-config-ignored"}
)
_SHOWN = 200  # characters of a setting's value quoted in a finding


def _shown(value: Any) -> str:
    from .redact import redact_text

    if isinstance(value, (list, tuple, frozenset, set)):
        text = ", ".join(sorted(str(v) for v in value))
    else:
        text = str(value)
    text = redact_text(text)[0]
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def judge_tree_settings(
    table: dict[str, Any], values: dict[str, Any]
) -> tuple[dict[str, Any], tuple[TreeSetting, ...]]:
    """Split settings read from the scanned tree into those applied and the record of what
    weakened the scan or was refused (see the module docstring)."""
    from .rules import get_rule

    defaults = Config()
    applied: dict[str, Any] = {}
    notes: list[TreeSetting] = []
    for key in table:
        if key not in FILE_KEYS:
            continue  # `signatures`: judged by its own reader (trust anchors never from the tree)
        attr = FILE_KEYS[key][0]
        value = values[attr]
        default = getattr(defaults, attr)
        if key in UNTRUSTED_KEYS:
            if value != default:
                notes.append(TreeSetting(key, _shown(table[key]), TreeEffect.IGNORED))
            continue
        if key in LIMIT_KEYS:
            if value > default:
                notes.append(TreeSetting(key, _shown(table[key]), TreeEffect.IGNORED))
                continue
        elif key == "disable":
            kept = frozenset(v for v in value if v not in PROTECTED_RULES)
            if kept != value:
                notes.append(TreeSetting(key, _shown(value - kept), TreeEffect.IGNORED))
            if kept:
                notes.append(TreeSetting(key, _shown(kept), TreeEffect.WEAKENS))
            value = kept
        elif key == "severity":
            kept_overrides = []
            for rule_id, sev in value:
                if rule_id in PROTECTED_RULES:
                    notes.append(TreeSetting(f"severity.{rule_id}", sev.label, TreeEffect.IGNORED))
                    continue
                try:
                    lowered = sev < get_rule(rule_id).severity
                except KeyError:
                    lowered = False
                if lowered:
                    notes.append(TreeSetting(f"severity.{rule_id}", sev.label, TreeEffect.WEAKENS))
                kept_overrides.append((rule_id, sev))
            value = tuple(kept_overrides)
        elif key == "fail-on":
            if value > default:
                notes.append(TreeSetting(key, value.label, TreeEffect.WEAKENS))
        elif key == "new-package-days":
            if value < default:
                notes.append(TreeSetting(key, _shown(value), TreeEffect.WEAKENS))
        elif key in ("exclude", "safe-globals", "allowed-packages") and value:
            notes.append(TreeSetting(key, _shown(value), TreeEffect.WEAKENS))
        applied[attr] = value
    return applied, tuple(notes)


def load_config(root: Path, config_file: Path | None = None, **cli: Any) -> Config:
    """Build the Config for a scan of `root`. `cli` holds only options the user gave.

    A `config_file` given by the user is trusted; one found in `root` is the scanned tree's
    and goes through `judge_tree_settings`."""
    values: dict[str, Any] = {}
    found: tuple[Path, Any] | None
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError("configuration file not found", str(config_file))
        found = (config_file, _table_of(config_file, _read_toml(config_file)) or {})
    else:
        found = find_config_file(root if root.is_dir() else root.parent)
    trust_keys: tuple[Path, ...] = cli.pop("trust_keys", None) or ()
    trust_identities: tuple[str, ...] = cli.pop("trust_identities", None) or ()
    policy = SignaturePolicy()
    if found is not None:
        settings = settings_from_file(*found)
        if config_file is None:
            settings, notes = judge_tree_settings(found[1], settings)
            values["tree_settings"] = notes
        values.update(settings)
        values["config_file"] = found[0]
        table = found[1].get("signatures") if isinstance(found[1], dict) else None
        if table is not None:
            # Trust anchors decide what "verified" means: never from the scanned tree.
            trusted = config_file is not None
            require, rules, trust_root, ignored = policy_from_table(
                table, found[0], trusted_source=trusted
            )
            policy = SignaturePolicy(
                rules=rules,
                require=require,
                sigstore_trust_root=trust_root,
                ignored_from=None if trusted else str(found[0]),
                ignored=ignored,
            )
            values["tree_settings"] = tuple(values.get("tree_settings", ())) + tuple(
                TreeSetting(
                    "signatures.trust-root"
                    if item.startswith("sigstore-trust-root")
                    else "signatures.trust",
                    item,
                    TreeEffect.IGNORED,
                )
                for item in ignored
            )
    rules = cli_rules(tuple(trust_keys), tuple(trust_identities))
    values.update(_from_environment())
    values.update({k: v for k, v in cli.items() if v is not None})
    online = bool(values.get("online", False))
    values["signatures"] = dataclasses.replace(policy, rules=policy.rules + rules, online=online)
    return Config(**values)


@dataclass(frozen=True)
class ScanRequest:
    """What the user asked `aibom scan` for: built by the CLI (or a library caller)."""

    paths: tuple[Path, ...] = (Path("."),)
    output: Path | None = None
    spec_version: str = "1.6"
    envs: tuple[Path, ...] = ()
    extra_files: tuple[Path, ...] = ()
    exclude: tuple[str, ...] = ()
    config_file: Path | None = None
    reproducible: bool | None = None
    report_format: str | None = None
    report: Path | None = None
    fail_on: str | None = None
    strict: bool | None = None
    exit_zero: bool = False
    online: bool | None = None
    audit: bool | None = None
    vuln_db: Path | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None
    quiet: bool = False
    trust_keys: tuple[Path, ...] = ()  # --trust-key PEM (repeatable)
    trust_identities: tuple[str, ...] = ()  # --trust-identity IDENTITY@ISSUER
    tracked_only: bool = False
    min_severity: str | None = None  # lowest severity the text report lists (--min-severity)
    jobs: int | None = None  # analysis processes (None: the cores available)
    use_cache: bool = False  # the digest cache (the CLI turns it on unless --no-cache)
    cache_dir: Path | None = None  # where (default: AIBOM_CACHE_DIR, then the platform's)
    dask: str | None = None  # a Dask scheduler address
    sarif_info: bool = False


def build_config(request: ScanRequest) -> Config:
    """The Config for a scan request: the config file, the environment, then the CLI."""
    for path in request.paths:
        if not path.exists() and not path.is_symlink():
            raise InputError("path does not exist", str(path), hint="check the path you gave")
    for env in request.envs:
        if not Path(env).exists():
            raise InputError(
                "environment not found", str(env), hint="give a virtualenv or site-packages folder"
            )
    cli: dict[str, Any] = {
        "roots": tuple(request.paths),
        "envs": tuple(request.envs) or None,
        "extra_files": tuple(request.extra_files) or None,
        "online": request.online,
        "strict": request.strict,
        "audit": request.audit,
        "vuln_db": request.vuln_db,
        "reproducible": request.reproducible,
        "baseline": request.baseline,
        "trust_keys": tuple(request.trust_keys),
        "trust_identities": tuple(request.trust_identities),
    }
    if request.fail_on:
        cli["fail_on"] = Severity.parse(request.fail_on)
    if request.min_severity:
        cli["min_severity"] = Severity.parse(request.min_severity)
    config = load_config(request.paths[0], request.config_file, **cli)
    if request.exclude:
        config = config.replace(exclude=config.exclude + tuple(request.exclude))
    if request.tracked_only:
        config = config.replace(tracked_only=True)
    if request.sarif_info:
        config = config.replace(sarif_info=True)
    if os.environ.get("SOURCE_DATE_EPOCH") and not config.reproducible:
        config = config.replace(reproducible=True)
    return config.replace(
        exit_zero=request.exit_zero,
        workers=request.jobs if request.jobs is not None else config.workers,
        scan_cache=scan_cache_dir(request) if request.use_cache else None,
        dask_scheduler=request.dask,
    )


def scan_cache_dir(request: ScanRequest) -> Path:
    """The digest cache folder: --cache-dir, else AIBOM_CACHE_DIR, else the platform's per-user
    cache folder. Never from a configuration file (the scanned tree must not choose it)."""
    from .execution.digest_cache import platform_cache_dir

    if request.cache_dir is not None:
        return request.cache_dir
    env = os.environ.get("AIBOM_CACHE_DIR")
    return Path(env) if env else platform_cache_dir()


def _from_environment() -> dict[str, Any]:
    values: dict[str, Any] = {}
    if os.environ.get("AIBOM_ONLINE") in {"1", "true", "yes"}:
        values["online"] = True
    if os.environ.get("AIBOM_CACHE_DIR"):
        values["cache_dir"] = Path(os.environ["AIBOM_CACHE_DIR"])
    if os.environ.get("AIBOM_INDEX_URL"):
        values["index_url"] = os.environ["AIBOM_INDEX_URL"]
    return values


def default_cache_dir(config: Config) -> Path:
    if config.cache_dir is not None:
        return config.cache_dir
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "aibom"
