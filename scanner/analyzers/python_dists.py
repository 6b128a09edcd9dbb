"""Wheels and sdists lying in the tree (vendored packages): Python packages, not models.

A `*.whl` (zip) or an sdist (`<name>-<version>.tar.gz`, `.zip`) found by the archive
analyzer becomes a `library` artifact with the name, version, licence and summary of its
own metadata — the wheel's `*.dist-info/METADATA`, the sdist's `<top>/PKG-INFO` — read
statically and bounded (one member of at most 1 MiB; an sdist is streamed for at most
64 MiB and 5,000 members), and the purl `pkg:pypi/<name>@<version>?file_name=<file>`
(the file's SHA-256 is the artifact's hash). When the metadata cannot be read, the file
name is used (the wheel and sdist name formats carry name and version) and the artifact
says why in `incomplete`.
"""

from __future__ import annotations

import re
import tarfile
import zipfile
from email.parser import HeaderParser
from email.policy import compat32
from pathlib import Path

from packageurl import PackageURL

from ..bom import properties as P
from ..model import Artifact, ComponentKind, normalize_name

MAX_METADATA_BYTES = 1024 * 1024
MAX_SDIST_STREAM_BYTES = 64 * 1024 * 1024
MAX_SDIST_MEMBERS = 5000

_WHEEL = re.compile(
    r"^(?P<name>[A-Za-z0-9._]+)-(?P<version>[^-]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$"
)
_SDIST = re.compile(r"^(?P<name>[A-Za-z0-9._-]+?)-(?P<version>\d[^-]*?)\.(tar\.gz|tgz|zip)$")


def dist_kind(file_name: str) -> str | None:
    """ "wheel" / "sdist" when the file name is one, else None."""
    if _WHEEL.match(file_name):
        return "wheel"
    if _SDIST.match(file_name):
        return "sdist"
    return None


def describe(artifact: Artifact, path: Path) -> bool:
    """Turn the artifact of a wheel or sdist into a library; False when it is neither."""
    file_name = path.name
    kind = dist_kind(file_name)
    if kind is None:
        return False
    match = (_WHEEL if kind == "wheel" else _SDIST).match(file_name)
    assert match is not None
    name, version = match.group("name"), match.group("version")
    text: str | None = None
    try:
        text = _wheel_metadata(path) if kind == "wheel" else _sdist_metadata(path)
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as exc:
        artifact.incomplete.append(f"{kind} metadata not read ({type(exc).__name__}: {exc})")
    licenses: list[str] = []
    if text is not None:
        headers = HeaderParser(policy=compat32).parsestr(text)
        name = (headers.get("Name") or name).strip()
        version = (headers.get("Version") or version).strip()
        expression = (headers.get("License-Expression") or "").strip()
        license_text = (headers.get("License") or "").strip()
        if expression:
            licenses.append(expression)
        elif license_text and "\n" not in license_text and len(license_text) <= 100:
            licenses.append(license_text)
    else:
        artifact.incomplete.append(
            f"{kind} has no readable metadata: name and version from the file name"
        )
    artifact.kind = ComponentKind.LIBRARY
    artifact.name = name
    artifact.version = version
    artifact.licenses = licenses
    artifact.purl = PackageURL(
        type="pypi",
        name=normalize_name(name),
        version=version,
        qualifiers={"file_name": file_name},
    ).to_string()
    artifact.properties[P.PYTHON_DIST] = kind
    return True


def _wheel_metadata(path: Path) -> str | None:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            parts = info.filename.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                if info.file_size > MAX_METADATA_BYTES:
                    raise ValueError(f"METADATA of {info.file_size} bytes")
                with archive.open(info) as fh:
                    data = fh.read(MAX_METADATA_BYTES + 1)
                if len(data) > MAX_METADATA_BYTES:
                    raise ValueError("METADATA larger than it declares")
                return data.decode("utf-8", "replace")
    return None


def _sdist_metadata(path: Path) -> str | None:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                parts = info.filename.split("/")
                if (
                    len(parts) == 2
                    and parts[1] == "PKG-INFO"
                    and info.file_size <= MAX_METADATA_BYTES
                ):
                    with archive.open(info) as fh:
                        return fh.read(MAX_METADATA_BYTES).decode("utf-8", "replace")
        return None
    with tarfile.open(path, "r|gz") as archive:
        for count, member in enumerate(archive):
            if count >= MAX_SDIST_MEMBERS or member.offset_data > MAX_SDIST_STREAM_BYTES:
                raise ValueError("PKG-INFO not among the first members")
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] == "PKG-INFO" and member.isreg():
                if member.size > MAX_METADATA_BYTES:
                    raise ValueError(f"PKG-INFO of {member.size} bytes")
                extracted = archive.extractfile(member)
                if extracted is None:
                    return None
                return extracted.read(MAX_METADATA_BYTES).decode("utf-8", "replace")
    return None
