"""DVC's own files, read with DVC's rules (never by running DVC).

- `<name>.dvc`: `outs` (path relative to the `.dvc` file, `md5` or `etag`, `size`,
  `nfiles`, `hash: md5` for DVC 3 raw-content MD5s; a directory's md5 ends in `.dir`), and
  for `dvc import` files `deps` with the source repository (`repo.url`, `repo.rev_lock`);
- `dvc.yaml`: `stages` (cmd as a string or a list, deps, outs, params, metrics, plots;
  `foreach`/`matrix` stages are recorded as templated, their expansion is DVC's business);
- `dvc.lock` (schema 2.0): for each stage run, the exact hashes of its deps and outs and the
  parameter values used.

A directory's DVC MD5 is the MD5 of the JSON list of its files' `{"md5", "relpath"}`
entries, sorted by path parts, with `json.dumps(..., sort_keys=True)`: `dir_md5` computes it
from the files' MD5s, so a tracked folder can be checked against its record without DVC.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_DVC_FILE = 4 * 1024 * 1024
MAX_ENTRIES = 10_000
MD5 = re.compile(r"^[0-9a-f]{32}(\.dir)?$")


class DvcError(ValueError):
    """The file is not valid DVC YAML; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class DvcOutput:
    """One tracked path with the identity DVC recorded for it."""

    path: str  # relative to the project root (POSIX)
    md5: str | None = None  # without the ".dir" suffix
    is_dir: bool = False
    etag: str | None = None
    size: int | None = None
    nfiles: int | None = None
    cache: bool = True
    remote_url: str | None = None  # `dvc import-url` source / `dvc import` repo
    remote_rev: str | None = None  # the revision DVC locked for an import
    desc: str | None = None  # the output's `desc`
    remote: str | None = None  # the DVC remote it is pushed to

    @property
    def has_hash(self) -> bool:
        return self.md5 is not None or self.etag is not None


@dataclass
class DvcFile:
    path: str
    outs: list[DvcOutput] = field(default_factory=list)
    deps: list[DvcOutput] = field(default_factory=list)  # imports: where the data came from
    frozen: bool = False


@dataclass
class DvcStage:
    """A `dvc.yaml` stage, with what `dvc.lock` recorded for its last run when known."""

    name: str
    file: str  # the dvc.yaml it is defined in
    line: int | None
    cmd: list[str] = field(default_factory=list)
    deps: list[str] = field(default_factory=list)
    outs: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    params: list[tuple[str, str]] = field(default_factory=list)  # (params file, key)
    templated: bool = False  # foreach / matrix: expanded by DVC
    wdir: str = "."
    locked_deps: list[DvcOutput] = field(default_factory=list)
    locked_outs: list[DvcOutput] = field(default_factory=list)
    locked_params: list[tuple[str, str, str]] = field(default_factory=list)  # file, key, value
    locked_cmd: list[str] = field(default_factory=list)


def _load(text: str, where: str) -> Any:
    if len(text) > MAX_DVC_FILE:
        raise DvcError(f"larger than {MAX_DVC_FILE} bytes: not read")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = mark.line + 1 if mark else None
        raise DvcError(f"invalid YAML in {where}: {problem}", line) from None
    except RecursionError:
        raise DvcError(f"{where} nested too deeply") from None


def _join(base: str, rel: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, rel.replace("\\", "/")))
    return "" if joined == "." else joined


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _output(entry: Any, base: str) -> DvcOutput | None:
    if isinstance(entry, str):
        return DvcOutput(_join(base, entry))
    if not isinstance(entry, dict):
        return None
    path = entry.get("path")
    if not isinstance(path, str) or not path:
        return None
    md5 = entry.get("md5")
    md5 = md5.lower() if isinstance(md5, str) and MD5.match(md5.lower()) else None
    etag = entry.get("etag")
    repo = entry.get("repo")
    url = rev = None
    if isinstance(repo, dict):
        url = repo.get("url") if isinstance(repo.get("url"), str) else None
        rev_lock = repo.get("rev_lock")
        rev = rev_lock if isinstance(rev_lock, str) else None
    elif "://" in path:
        url = path
    return DvcOutput(
        path=path if "://" in path else _join(base, path),
        md5=md5.removesuffix(".dir") if md5 else None,
        is_dir=bool(md5 and md5.endswith(".dir")),
        etag=str(etag) if isinstance(etag, (str, int)) and not isinstance(etag, bool) else None,
        size=_int(entry.get("size")),
        nfiles=_int(entry.get("nfiles")),
        cache=entry.get("cache", True) is not False,
        remote_url=url,
        remote_rev=rev,
        desc=str(entry["desc"])[:500] if isinstance(entry.get("desc"), str) else None,
        remote=str(entry["remote"])[:200] if isinstance(entry.get("remote"), str) else None,
    )


def parse_dvc_file(text: str, path: str) -> DvcFile:
    """A `.dvc` file at `path` (relative to the scan root)."""
    data = _load(text, path)
    if not isinstance(data, dict):
        raise DvcError("not a mapping: not a .dvc file")
    base = posixpath.dirname(path)
    wdir = data.get("wdir")
    if isinstance(wdir, str) and wdir:
        base = _join(base, wdir)  # DVC 1 files: output paths relative to `wdir`
    result = DvcFile(path, frozen=data.get("frozen") is True)
    for key, target in (("outs", result.outs), ("deps", result.deps)):
        entries = data.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise DvcError(f"`{key}` is not a list")
        for entry in entries[:MAX_ENTRIES]:
            out = _output(entry, base)
            if out is not None:
                target.append(out)
    if not result.outs:
        raise DvcError("no `outs` entry with a path")
    return result


def _paths(value: Any, base: str) -> list[str]:
    """dvc.yaml deps/outs/metrics/plots: strings, or one-key mappings `{path: {options}}`."""
    out: list[str] = []
    if not isinstance(value, list):
        return out
    for entry in value[:MAX_ENTRIES]:
        if isinstance(entry, str):
            out.append(entry if "://" in entry else _join(base, entry))
        elif isinstance(entry, dict):
            for key in list(entry)[:1]:
                if isinstance(key, str):
                    out.append(key if "://" in key else _join(base, key))
    return out


def _params(value: Any, base: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not isinstance(value, list):
        return out
    default = _join(base, "params.yaml")
    for entry in value[:MAX_ENTRIES]:
        if isinstance(entry, str):
            out.append((default, entry))
        elif isinstance(entry, dict):
            for file, keys in list(entry.items())[:MAX_ENTRIES]:
                if not isinstance(file, str):
                    continue
                names = keys if isinstance(keys, list) else []
                for key in names:
                    out.append((_join(base, file), str(key)))
                if not names:
                    out.append((_join(base, file), "*"))
    return out


def _cmd(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value[:MAX_ENTRIES] if isinstance(v, (str, int, float))]
    return []


def _stage_lines(text: str) -> dict[str, int]:
    """1-based line of each stage name under `stages:` (for findings and evidence)."""
    lines: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"^stages\s*:", line):
            inside = True
            continue
        if inside and line and not line[0].isspace() and not line.startswith("#"):
            inside = False
        match = re.match(r"^(\s{1,8})([^\s:#][^:]*?)\s*:", line) if inside else None
        if match and match.group(2) not in lines and len(match.group(1)) <= 4:
            lines[match.group(2).strip("'\"")] = number
    return lines


def parse_dvc_yaml(text: str, path: str) -> list[DvcStage]:
    data = _load(text, path)
    if data is None:
        return []
    if not isinstance(data, dict):
        raise DvcError("not a mapping: not a dvc.yaml file")
    stages = data.get("stages", {})
    if not isinstance(stages, dict):
        raise DvcError("`stages` is not a mapping")
    base = posixpath.dirname(path)
    lines = _stage_lines(text)
    out = []
    for name, spec in list(stages.items())[:MAX_ENTRIES]:
        if not isinstance(spec, dict):
            continue
        wdir = spec.get("wdir")
        stage_base = _join(base, wdir if isinstance(wdir, str) else ".")
        do = spec.get("do")
        body: dict[str, Any] = do if isinstance(do, dict) else spec
        out.append(
            DvcStage(
                name=str(name),
                file=path,
                line=lines.get(str(name)),
                cmd=_cmd(body.get("cmd")),
                deps=_paths(body.get("deps"), stage_base),
                outs=_paths(body.get("outs"), stage_base),
                metrics=_paths(body.get("metrics"), stage_base),
                plots=_paths(body.get("plots"), stage_base),
                params=_params(body.get("params"), stage_base),
                templated="foreach" in spec or "matrix" in spec,
                wdir=stage_base or ".",
            )
        )
    return out


def parse_dvc_lock(text: str, path: str) -> dict[str, DvcStage]:
    """Stage name -> what its last run recorded (only the locked_* fields are filled)."""
    data = _load(text, path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DvcError("not a mapping: not a dvc.lock file")
    stages = data.get("stages", {})
    if not isinstance(stages, dict):
        raise DvcError("`stages` is not a mapping")
    base = posixpath.dirname(path)
    lines = _stage_lines(text)
    out: dict[str, DvcStage] = {}
    for name, spec in list(stages.items())[:MAX_ENTRIES]:
        if not isinstance(spec, dict):
            continue
        stage = DvcStage(str(name), path, lines.get(str(name)))
        stage.locked_cmd = _cmd(spec.get("cmd"))
        for key, target in (("deps", stage.locked_deps), ("outs", stage.locked_outs)):
            entries = spec.get(key)
            for entry in entries[:MAX_ENTRIES] if isinstance(entries, list) else []:
                item = _output(entry, base)
                if item is not None:
                    target.append(item)
        params = spec.get("params")
        if isinstance(params, dict):
            for file, values in list(params.items())[:MAX_ENTRIES]:
                if isinstance(file, str) and isinstance(values, dict):
                    for key, value in list(values.items())[:MAX_ENTRIES]:
                        shown = json.dumps(value, sort_keys=True, default=str)[:200]
                        stage.locked_params.append((_join(base, file), str(key), shown))
        out[stage.name] = stage
    return out


def dir_md5(entries: list[tuple[str, str]]) -> str:
    """DVC's MD5 of a directory from (relpath, file md5) pairs."""
    ordered = sorted(entries, key=lambda e: tuple(e[0].split("/")))
    listing = [{"md5": md5, "relpath": rel} for rel, md5 in ordered]
    return hashlib.md5(json.dumps(listing, sort_keys=True).encode()).hexdigest()
