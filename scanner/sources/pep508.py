"""PEP 508 requirements and pip's URL forms, shared by every dependency source: what kind of
target a URL names (VCS, local path, URL), its VCS ref and `#fragment` parameters, the project
name behind a URL or path, and the exact version of a specifier set.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

MAX_PYPROJECT_BYTES = 8 * 1024 * 1024  # a local project's pyproject.toml read for its name


VCS_SCHEMES = ("git", "hg", "svn", "bzr")


ARCHIVE_EXTENSIONS = (
    ".whl",
    ".zip",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tar",
    ".tar.lz",
    ".tlz",
)


def real_path(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def is_url(text: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", text)) and (
        "://" in text or text.lower().startswith("file:")
    )


def looks_like_path(text: str) -> bool:
    return (
        "/" in text
        or "\\" in text
        or text.startswith(".")
        or text.lower().endswith(ARCHIVE_EXTENSIONS)
    )


def url_kind(url: str) -> str:
    scheme = url.split(":", 1)[0].lower() if is_url(url) else ""
    if "+" in scheme and scheme.split("+", 1)[0] in VCS_SCHEMES:
        return "vcs"
    if scheme in VCS_SCHEMES and scheme != "git":
        return "vcs"
    if scheme == "git":
        return "vcs"
    if scheme in ("", "file"):
        return "path"
    return "url"


def vcs_ref(url: str) -> str | None:
    without_fragment = url.split("#", 1)[0]
    try:
        parts = urlsplit(without_fragment)
    except ValueError:
        return None
    path = parts.path
    if "@" not in path:
        return None
    ref = path.rsplit("@", 1)[1]
    return ref or None


def fragment_params(url: str) -> dict[str, str]:
    if "#" not in url:
        return {}
    params: dict[str, str] = {}
    for piece in url.split("#", 1)[1].split("&"):
        key, _, value = piece.partition("=")
        params[key] = value
    return params


def exact_version(spec: SpecifierSet) -> str | None:
    """The version of the one `==X` (no wildcard) or `===X` specifier, else None."""
    exact = [
        s for s in spec if s.operator == "===" or (s.operator == "==" and "*" not in s.version)
    ]
    return exact[0].version if len(exact) == 1 else None


def name_for(
    target: str, params: dict[str, str], kind: str, base_dir: Path | None
) -> tuple[str, str | None, str]:
    """The project name of a URL / path requirement: `#egg=`, a wheel or sdist file name,
    or the name a local project declares statically; else the last path segment."""
    egg = params.get("egg")
    if egg:
        return egg, None, "egg"
    path = target.split("#", 1)[0].split("?", 1)[0]
    if kind != "vcs" and is_url(path):
        try:
            path = unquote(urlsplit(path).path)
        except ValueError:
            path = path.split("://", 1)[-1]
    leaf = posixpath.basename(path.rstrip("/").replace("\\", "/"))
    if leaf in ("", ".", "..") and kind == "path" and base_dir is not None:
        leaf = real_path(base_dir / path).name
    if kind == "vcs":
        leaf = leaf.split("@", 1)[0]
        if leaf.endswith(".git"):
            leaf = leaf[: -len(".git")]
        return leaf or path, None, "url"
    if leaf.endswith(".whl"):
        try:
            name, version, _, _ = parse_wheel_filename(leaf)
            return str(name), str(version), "wheel-filename"
        except InvalidWheelFilename:
            pass
    elif leaf.endswith(ARCHIVE_EXTENSIONS):
        try:
            sname, sversion = parse_sdist_filename(leaf)
            return str(sname), str(sversion), "sdist-filename"
        except InvalidSdistFilename:
            pass
    if kind == "path" and base_dir is not None:
        declared = local_project_name(base_dir / path)
        if declared:
            return declared, None, "pyproject"
    return leaf or path, None, "path" if kind == "path" else "url"


def local_project_name(folder: Path) -> str | None:
    """`[project].name` (or Poetry's) of a local project folder, read statically."""
    import tomllib

    pyproject = folder / "pyproject.toml"
    try:
        if not pyproject.is_file() or pyproject.stat().st_size > MAX_PYPROJECT_BYTES:
            return None
        data = tomllib.loads(pyproject.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):  # TOMLDecodeError is a ValueError
        return None
    for table in (data.get("project"), data.get("tool", {}).get("poetry")):
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            return str(table["name"])
    return None
