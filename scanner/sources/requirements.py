"""pip requirements files (`requirements*.txt`, `requirements/*.txt`, `constraints*.txt`,
`*requirements*.in`, and files named on the command line), read the way pip reads them.

Per file: decode (UTF-8, UTF-8/16/32 BOMs, then cp1252, then latin-1 with a scan error),
split into physical lines like pip (`str.splitlines`), join `\\` continuations (a comment
line ends a continuation, as in pip), strip comments (`#` at the start or after whitespace),
then read each logical line:

- option lines: `-i/--index-url`, `--extra-index-url`, `--no-index`, `-f/--find-links`,
  `--trusted-host`, `--pre`, `--no-binary`, `--only-binary`, `--prefer-binary`,
  `--require-hashes`, `--use-feature` -> `IndexOption` (long form, value redacted);
- includes: `-r/--requirement` and `-c/--constraint`, relative to the including file,
  with loop detection and a depth limit; requirements reached through `-c` are
  `SourceKind.CONSTRAINTS`;
- requirements: PEP 508 (`name[extras] specifier ; marker`, `name @ url`), editables
  (`-e path-or-vcs-url`), bare URLs, VCS URLs (`git+https://...@ref#egg=name`), local paths
  and archives, with per-requirement options `--hash` (any number), `--config-settings/-C`
  and `--global-option`.

`${NAME}` placeholders are kept as written, never expanded: pip expands them from the
installing machine's environment, and the scanner's environment (a CI job's secrets) must never
reach an output. A requirement or include whose name or path comes from a placeholder is
reported, not guessed. Credentials found in URLs are redacted everywhere (`aibom.redact`); a
credential written literally in the file (not through a `${VAR}`) is flagged
(`IndexOption.had_credentials`, or the property `credentials=redacted` on a dependency).

The scanned tree is untrusted: `-r` / `-c` includes are followed only inside the scanned
roots (`confine`); one that points elsewhere is reported and not read.

Nothing here executes or fetches anything: a remote `-r https://...` include is recorded as
a scan error (not followed), so the scan is honestly incomplete.
"""

from __future__ import annotations

import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement

from ..config import Config
from ..model import (
    Collected,
    Dependency,
    FileRef,
    Hash,
    IndexOption,
    Location,
    ScanError,
    SourceKind,
    Suppression,
)
from ..redact import redact_text, redact_url
from .confine import inside, scan_roots
from .pep508 import (
    exact_version,
    fragment_params,
    is_url,
    looks_like_path,
    name_for,
    real_path,
    url_kind,
    vcs_ref,
)
from .text import (
    SUPPRESS_RE,
    decode_bytes,
    split_comment,
)

MAX_FILE_BYTES = 8 * 1024 * 1024  # a larger "requirements file" is not one: not parsed
MAX_INCLUDE_DEPTH = 32  # nested -r / -c levels
MAX_TOTAL_LINES = 1_000_000  # physical lines across one file and its includes
MAX_LOGICAL_LINE = 64 * 1024  # characters in one (joined) logical line

# pip's regexes (pip/_internal/req/req_file.py)
COMMENT_RE = re.compile(r"(^|\s+)#.*$")  # pip's; use split_comment (linear time) instead
ENV_VAR_RE = re.compile(r"(?P<var>\$\{(?P<name>[A-Za-z0-9_]+)\})")
# the userinfo of a URL (`https://${USER}:${TOKEN}@host`): the one place pip users put
# placeholders that aibom needs no value for
_USERINFO_RE = re.compile(r"://[^/@\s]*@")


# option spellings -> (long form, takes a value)
_OPTIONS: dict[str, tuple[str, bool]] = {
    "-i": ("--index-url", True),
    "--index-url": ("--index-url", True),
    "--extra-index-url": ("--extra-index-url", True),
    "--no-index": ("--no-index", False),
    "-f": ("--find-links", True),
    "--find-links": ("--find-links", True),
    "--trusted-host": ("--trusted-host", True),
    "--pre": ("--pre", False),
    "--no-binary": ("--no-binary", True),
    "--only-binary": ("--only-binary", True),
    "--prefer-binary": ("--prefer-binary", False),
    "--require-hashes": ("--require-hashes", False),
    "--use-feature": ("--use-feature", True),
    "-r": ("--requirement", True),
    "--requirement": ("--requirement", True),
    "-c": ("--constraint", True),
    "--constraint": ("--constraint", True),
    "-e": ("--editable", True),
    "--editable": ("--editable", True),
    # per-requirement options
    "--hash": ("--hash", True),
    "-C": ("--config-settings", True),
    "--config-settings": ("--config-settings", True),
    "--global-option": ("--global-option", True),
}
_URL_OPTIONS = frozenset(
    {"--index-url", "--extra-index-url", "--find-links", "--requirement", "--constraint"}
)
_REQUIREMENT_OPTIONS = frozenset({"--hash", "--config-settings", "--global-option"})


def source_for_name(rel: str) -> SourceKind:
    """`constraints*.txt` files are constraints; everything else is requirements."""
    name = rel.rsplit("/", 1)[-1].lower()
    return SourceKind.CONSTRAINTS if name.startswith("constraints") else SourceKind.REQUIREMENTS


def collect(file: FileRef, config: Config) -> Collected:
    return parse_requirements_file(
        file.path, file.rel, source=source_for_name(file.rel), roots=scan_roots(config)
    )


def parse_requirements_file(
    path: Path,
    rel_path: str,
    *,
    source: SourceKind = SourceKind.REQUIREMENTS,
    roots: tuple[Path, ...] | None = None,
) -> Collected:
    """Parse one requirements file on disk (and everything it includes). With `roots`,
    includes are followed only inside those folders."""
    parser = _Parser(roots)
    parser.parse_file(path, rel_path, source, depth=0, stack=())
    return parser.out


def parse_requirements_text(
    text: str,
    rel_path: str,
    *,
    source: SourceKind = SourceKind.REQUIREMENTS,
    base_dir: Path | None = None,
    roots: tuple[Path, ...] | None = None,
) -> Collected:
    """Parse requirements given as a string, recorded as `rel_path`. Includes are resolved
    against `base_dir` (the folder of the file the text came from); without it, an include
    is recorded as a scan error."""
    parser = _Parser(roots)
    stack: tuple[Path, ...] = ()
    if base_dir is not None:
        stack = (real_path(base_dir / posixpath.basename(rel_path)),)
    parser.parse_text(text, rel_path, source, base_dir, depth=0, stack=stack)
    return parser.out


def parse_requirement_lines(
    lines: list[tuple[str, int]],
    rel_path: str,
    *,
    source: SourceKind,
    base_dir: Path | None,
    roots: tuple[Path, ...] | None = None,
) -> Collected:
    """Parse logical requirement lines that live in another kind of file (the `pip:` list
    of a conda environment): each `(line text, line number)` is read like one line of a
    requirements file and recorded at that line of `rel_path`."""
    parser = _Parser(roots)
    for text, number in lines:
        parser.handle_line(text, number, rel_path, source, base_dir, 0, ())
    return parser.out


# --------------------------------------------------------------------------- decoding


# --------------------------------------------------------------------------- the parser


@dataclass
class _Parser:
    roots: tuple[Path, ...] | None  # includes are read only inside these (None: anywhere)
    out: Collected = field(default_factory=Collected)
    lines_read: int = 0
    done: set[tuple[Path, SourceKind]] = field(default_factory=set)
    _errors_seen: set[ScanError] = field(default_factory=set)

    def error(self, rel: str, line: int | None, reason: str) -> None:
        err = ScanError(Location(rel, line), redact_text(reason)[0])
        if err not in self._errors_seen:
            self._errors_seen.add(err)
            self.out.errors.append(err)

    # ---- files

    def parse_file(
        self,
        path: Path,
        rel: str,
        source: SourceKind,
        depth: int,
        stack: tuple[Path, ...],
    ) -> None:
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                self.error(
                    rel,
                    None,
                    f"file too large for a requirements file ({size} bytes, limit "
                    f"{MAX_FILE_BYTES}); not parsed",
                )
                return
            with path.open("rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.error(rel, None, f"cannot read: {exc.strerror or exc}")
            return
        text, problem = decode_bytes(data)
        if problem is not None:
            self.error(rel, None, problem)
        if text is None:
            return
        self.parse_text(text, rel, source, path.parent, depth, (*stack, real_path(path)))

    def parse_text(
        self,
        text: str,
        rel: str,
        source: SourceKind,
        base_dir: Path | None,
        depth: int,
        stack: tuple[Path, ...],
    ) -> None:
        for number, line in _logical_lines(text):
            self.lines_read += 1
            if self.lines_read > MAX_TOTAL_LINES:
                self.error(
                    rel,
                    number,
                    f"more than {MAX_TOTAL_LINES} lines in this file and its includes; "
                    "the rest is not parsed",
                )
                return
            self.handle_line(line, number, rel, source, base_dir, depth, stack)

    # ---- lines

    def handle_line(
        self,
        line: str,
        number: int,
        rel: str,
        source: SourceKind,
        base_dir: Path | None,
        depth: int,
        stack: tuple[Path, ...],
    ) -> None:
        loc = Location(rel, number)
        if len(line) > MAX_LOGICAL_LINE:
            self.error(rel, number, f"line longer than {MAX_LOGICAL_LINE} characters; not parsed")
            return
        content, comment = split_comment(line)
        content = content.strip()
        if comment:
            self._suppression(comment, loc)
        if not content:
            return
        raw = redact_text(content)[0]
        args, options_text = _break_args_options(content)
        try:
            # shlex is slow; it only matters when there is quoting to undo
            if any(c in options_text for c in "\"'\\"):
                tokens = shlex.split(options_text, posix=True)
            else:
                tokens = options_text.split()
        except ValueError as exc:
            self.error(rel, number, f"cannot split options ({exc}): {raw}")
            return
        options: list[tuple[str, str]] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            i += 1
            name, value = token, None
            if token.startswith("--") and "=" in token:
                name, value = token.split("=", 1)
            elif token.startswith("-") and not token.startswith("--") and len(token) > 2:
                name, value = token[:2], token[2:]
            spec = _OPTIONS.get(name) or _abbreviation(name)
            if spec is None:
                if not token.startswith("-"):
                    self.error(rel, number, f"unexpected text {token!r} after options: {raw}")
                else:
                    close = sorted(
                        o for o in _OPTIONS if name.startswith("--") and o.startswith(name)
                    )
                    if len(close) > 1:
                        self.error(rel, number, f"ambiguous pip option {name} ({', '.join(close)})")
                    else:
                        self.error(rel, number, f"unknown pip option {name}")
                continue
            long_name, takes_value = spec
            if takes_value and value is None:
                if i >= len(tokens):
                    self.error(rel, number, f"option {name} needs a value")
                    continue
                value = tokens[i]
                i += 1
            elif not takes_value and value is not None:
                self.error(rel, number, f"option {name} takes no value")
                continue
            options.append((long_name, value or ""))

        hashes: list[Hash] = []
        req_props: list[tuple[str, str]] = []
        editable_value: str | None = None
        for long_name, value in options:
            if long_name == "--hash":
                hashes.append(_hash(value))
            elif long_name in ("--config-settings", "--global-option"):
                req_props.append((long_name.lstrip("-"), redact_text(value)[0]))
            elif long_name in ("--requirement", "--constraint"):
                # recorded too: checks need to know which files pip reads together
                self._index_option(long_name, value, loc)
                self._include(long_name, value, loc, source, base_dir, depth, stack)
            elif long_name == "--editable":
                if editable_value is not None or args:
                    self.error(rel, number, "more than one requirement on one line")
                    continue
                editable_value = value
            else:
                self._index_option(long_name, value, loc)

        if editable_value is not None:
            self._requirement(
                editable_value, loc, source, base_dir, raw, hashes, req_props, editable=True
            )
        elif args:
            self._requirement(args, loc, source, base_dir, raw, hashes, req_props, editable=False)
        elif hashes or req_props:
            self.error(rel, number, "--hash / per-requirement option without a requirement")

    def _suppression(self, comment: str, loc: Location) -> None:
        match = SUPPRESS_RE.search(comment)
        if match is None:
            return
        ids = tuple(p.strip() for p in (match.group(1) or "").split(",") if p.strip())
        self.out.suppressions.append(Suppression(loc, ids, match.group(2).strip()))

    def _index_option(self, option: str, written: str, loc: Location) -> None:
        had = False
        if option in _URL_OPTIONS:
            value, had = redact_url(written)  # a literal secret in the file, not a ${VAR}
        else:
            value = redact_text(written)[0]
        self.out.index_options.append(IndexOption(option, value, loc, had))

    # ---- includes

    def _include(
        self,
        option: str,
        written: str,
        loc: Location,
        source: SourceKind,
        base_dir: Path | None,
        depth: int,
        stack: tuple[Path, ...],
    ) -> None:
        target = written
        # pip: what a -c file includes is constraints; what a -r file includes is not
        nested_source = (
            SourceKind.CONSTRAINTS if option == "--constraint" else SourceKind.REQUIREMENTS
        )
        shown = redact_url(target)[0]
        if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", target) and not target.startswith("file:"):
            self.error(
                loc.path,
                loc.line,
                f"remote requirements file {shown} (from {option}) is not fetched; "
                "its requirements are not inventoried",
            )
            return
        if target.startswith("file:"):
            try:
                target = unquote(urlsplit(target).path)
            except ValueError as exc:
                self.error(loc.path, loc.line, f"invalid {option} URL {shown}: {exc}")
                return
        if base_dir is None:
            self.error(
                loc.path, loc.line, f"{option} {shown} not followed (no folder to resolve it)"
            )
            return
        if ENV_VAR_RE.search(target):
            self.error(
                loc.path,
                loc.line,
                f"{option} {shown} not followed: its path comes from an environment variable, "
                "which the scan does not expand",
            )
            return
        if depth + 1 > MAX_INCLUDE_DEPTH:
            self.error(
                loc.path,
                loc.line,
                f"{option} {shown} not followed: more than {MAX_INCLUDE_DEPTH} nested includes",
            )
            return
        path = Path(target) if os.path.isabs(target) else base_dir / target
        if os.path.isabs(target):
            rel = target
        else:
            rel = posixpath.normpath(posixpath.join(posixpath.dirname(loc.path), target))
        if "\x00" in target:
            self.error(loc.path, loc.line, f"{option} {shown}: a file name cannot hold NUL")
            return
        real = real_path(path)
        if not inside(path, self.roots):
            self.error(
                loc.path,
                loc.line,
                f"{option} {shown} points outside the scanned folders; not read",
            )
            return
        if real in stack:
            self.error(
                loc.path,
                loc.line,
                f"include loop: {option} {shown} includes a file that is already being read",
            )
            return
        if not path.is_file():
            what = "is not a file" if path.exists() else "not found"
            self.error(loc.path, loc.line, f"included file {shown} ({option}) {what}")
            return
        if (real, nested_source) in self.done:
            return  # already read through another include: same records, read once
        self.parse_file(path, rel, nested_source, depth + 1, stack)
        self.done.add((real, nested_source))

    # ---- requirements

    def _requirement(
        self,
        written: str,
        loc: Location,
        source: SourceKind,
        base_dir: Path | None,
        raw: str,
        hashes: list[Hash],
        props: list[tuple[str, str]],
        *,
        editable: bool,
    ) -> None:
        text = written.strip()
        if ENV_VAR_RE.search(_USERINFO_RE.sub("://", text)):
            self.error(
                loc.path,
                loc.line,
                f"requirement not read: it names an environment variable, which the scan does "
                f"not expand: {raw}",
            )
            return
        literal_secret = redact_text(written)[1]
        if literal_secret:
            props = [*props, ("credentials", "redacted")]
        try:
            dep = _parse_requirement(text, loc, source, base_dir, editable=editable)
        except ValueError as exc:  # _Invalid, and urllib's errors on malformed URLs
            self.error(loc.path, loc.line, f"invalid requirement: {exc}: {raw}")
            return
        url_hash = _url_fragment_hash(dep.url)
        all_hashes = [*hashes, *([url_hash] if url_hash else [])]
        self.out.dependencies.append(
            _replace(
                dep, hashes=tuple(all_hashes), raw=raw, properties=tuple(props) + dep.properties
            )
        )


class _Invalid(ValueError):
    pass


def _replace(dep: Dependency, **changes: object) -> Dependency:
    import dataclasses

    return dataclasses.replace(dep, **changes)  # type: ignore[arg-type]


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """pip's join_lines: `\\` at the end of a line joins the next one; a comment line ends
    a continuation. Each logical line carries the number of its FIRST physical line."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        is_comment = line.lstrip().startswith("#")
        if not line.endswith("\\") or is_comment:
            if is_comment:
                line = " " + line
            if pending:
                pending.append(line)
                out.append((first, "".join(pending)))
                pending = []
            else:
                out.append((number, line))
        else:
            if not pending:
                first = number
            pending.append(line.strip("\\"))
    if pending:
        out.append((first, "".join(pending)))
    return out


def _break_args_options(line: str) -> tuple[str, str]:
    """pip's break_args_options: the requirement is everything before the first token that
    starts with "-"; the rest are options."""
    tokens = line.split()
    args: list[str] = []
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(args), " ".join(tokens[index:])
        args.append(token)
    return " ".join(args), ""


def _abbreviation(name: str) -> tuple[str, bool] | None:
    """pip parses options with optparse, which accepts any unambiguous prefix of a long
    option (`--extra-index` is `--extra-index-url`)."""
    if not name.startswith("--") or len(name) < 3:
        return None
    matches = {spec for option, spec in _OPTIONS.items() if option.startswith(name)}
    return matches.pop() if len(matches) == 1 else None


def _hash(value: str) -> Hash:
    alg, sep, digest = value.partition(":")
    if not sep:
        return Hash("", value)
    return Hash(alg, digest)


_HASH_FRAGMENT = re.compile(r"(?:^|&)(sha1|sha224|sha256|sha384|sha512|md5)=([^&]+)")


def _url_fragment_hash(url: str | None) -> Hash | None:
    if not url or "#" not in url:
        return None
    match = _HASH_FRAGMENT.search(url.split("#", 1)[1])
    return Hash(match.group(1), match.group(2)) if match else None


def _parse_requirement(
    text: str, loc: Location, source: SourceKind, base_dir: Path | None, *, editable: bool
) -> Dependency:
    # name @ url, name[extras] spec ; marker  (PEP 508)
    head = text.split(";", 1)[0]
    pep508 = not is_url(text) and (
        ("@" in head and not looks_like_path(head.split("@", 1)[0])) or not looks_like_path(head)
    )
    if not editable and pep508:
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise _Invalid(str(exc).splitlines()[0]) from None
        url = req.url
        kind = url_kind(url) if url else None
        if url:
            _check_url(url)
        version = exact_version(req.specifier)
        props: tuple[tuple[str, str], ...] = ()
        if url and kind != "vcs":
            _, file_version, name_from = name_for(url, {}, kind or "url", None)
            if name_from in ("wheel-filename", "sdist-filename"):
                version = file_version
                props = (("version-from", name_from),)
        return Dependency(
            name=req.name,
            location=loc,
            source=source,
            specifier=str(req.specifier),
            version=version,
            extras=tuple(sorted(req.extras)),
            marker=str(req.marker) if req.marker is not None else None,
            url=redact_url(url)[0] if url else None,
            url_kind=kind,
            vcs_ref=vcs_ref(url) if url and kind == "vcs" else None,
            properties=props,
        )
    # a URL or a path (pip: markers after "; " for URLs, ";" for paths)
    target, marker_text = text, None
    sep = "; " if is_url(text) else ";"
    if sep in text:
        target, marker_text = (p.strip() for p in text.split(sep, 1))
    marker = None
    if marker_text:
        try:
            marker = str(Requirement("placeholder ; " + marker_text).marker)
        except InvalidRequirement as exc:
            raise _Invalid(str(exc).splitlines()[0]) from None
    extras: tuple[str, ...] = ()
    target_is_url = is_url(target)
    if target.endswith("]") and "[" in target:
        bracket = target.rfind("[")
        inside = target[bracket + 1 : -1]
        target = target[:bracket]
        extras = tuple(sorted(e.strip() for e in inside.split(",") if e.strip()))
    # `-e name` is not valid in pip: editables are paths or VCS URLs
    if (
        editable
        and not target_is_url
        and not looks_like_path(target)
        and (base_dir is None or not (base_dir / target).exists())
    ):
        raise _Invalid(f"{target!r} is neither a local path nor a VCS URL")
    kind = url_kind(target)
    if target_is_url:
        _check_url(target)
    params = fragment_params(target) if target_is_url or "#" in target else {}
    name, version, name_from = name_for(target, params, kind, base_dir)
    path_props: tuple[tuple[str, str], ...] = (("name-from", name_from),) if name_from else ()
    if "subdirectory" in params:
        path_props += (("subdirectory", params["subdirectory"]),)
    return Dependency(
        name=name,
        location=loc,
        source=source,
        version=version,
        extras=extras,
        marker=marker,
        url=redact_url(target)[0],
        url_kind=kind,
        vcs_ref=vcs_ref(target) if kind == "vcs" else None,
        editable=editable,
        properties=path_props,
    )


def _check_url(url: str) -> None:
    """pip refuses a URL urllib cannot split (a bad IPv6 host, a bad port)."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        raise _Invalid(f"malformed URL ({exc})") from None
