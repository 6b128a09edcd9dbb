"""Remove credentials from URLs before they are recorded anywhere (AIBOM, reports, errors).

`redact_url(url)` replaces the whole userinfo of a URL (`https://user:token@host/...`) with
`***` and blanks the values of query parameters that commonly carry secrets
(`?token=...`, `?access_token=...`). It returns the redacted URL and whether anything secret
was found, so checks can report a credential committed to a file without ever showing it.

Not secrets, kept as written:
- environment-variable placeholders (`https://${USER}:${TOKEN}@host/`), which pip expands at
  install time: the file holds no secret;
- a user name whose password is such a placeholder (`https://ci:${TOKEN}@host/`);
- the bare user name of an SSH URL (`git+ssh://git@github.com/...`, `ssh://git@host/...`),
  which is the conventional account name, not a credential.

A path segment that is plainly a token (a known token prefix such as `ghp_`, `glpat-`, `hf_`,
`pypi-`, or 24+ characters mixing upper case, lower case and digits, as private index URLs
like `https://host/<TOKEN>/simple` carry) is replaced with `***` too; hex digests are kept.

`redact_text(text)` applies `redact_url` to every URL found in free text (a requirements line,
an error message).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit, urlunsplit

REDACTED = "***"

# Query parameters whose values are secrets (compared lower-case, "-" treated as "_").
SECRET_QUERY_KEYS = frozenset(
    {
        "token",
        "access_token",
        "auth",
        "auth_token",
        "api_key",
        "apikey",
        "key",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "sig",
        "signature",
        "x_amz_signature",
        "x_amz_credential",
        "x_amz_security_token",
        "private_token",
    }
)

_PLACEHOLDER = re.compile(r"^(?:\$\{[A-Za-z0-9_]+\}|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z0-9_]+%)$")
_SSH_SCHEMES = frozenset({"ssh", "git+ssh", "hg+ssh", "svn+ssh", "bzr+ssh", "git"})
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_URL_END = frozenset(" \t\r\n\f\v\"'<>")
_TOKEN_PREFIXED = re.compile(
    r"^(?:ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat-|gldt-|hf_|xox[abprs]-|sk-|pypi-|npm_"
    r"|AKIA|ASIA)[A-Za-z0-9_\-]{12,}$"
)
_TOKEN_LIKE = re.compile(
    r"^(?=[A-Za-z0-9_\-]*[a-z])(?=[A-Za-z0-9_\-]*[A-Z])(?=[A-Za-z0-9_\-]*\d)[A-Za-z0-9_\-]{24,}$"
)


def _redact_path(path: str) -> tuple[str, bool]:
    """Replace path segments that are tokens (see the module docstring) with ***."""
    if len(path) < 13:
        return path, False
    had = False
    segments = path.split("/")
    for i, seg in enumerate(segments):
        if len(seg) >= 13 and (_TOKEN_PREFIXED.match(seg) or _TOKEN_LIKE.match(seg)):
            segments[i] = REDACTED
            had = True
    return ("/".join(segments), True) if had else (path, False)


def _is_placeholder(part: str) -> bool:
    return part == "" or bool(_PLACEHOLDER.match(part))


def redact_url(url: str) -> tuple[str, bool]:
    """Return (url with secrets replaced by ***, whether a secret was present)."""
    if "://" not in url:
        return url, False
    scheme_end = url.index("://")
    scheme = url[:scheme_end].lower()
    rest = url[scheme_end + 3 :]
    # userinfo ends at the LAST "@" before the first "/", "?" or "#" of the authority
    authority_end = len(rest)
    for sep in "/?#":
        pos = rest.find(sep)
        if pos != -1:
            authority_end = min(authority_end, pos)
    authority = rest[:authority_end]
    had = False
    if "@" in authority:
        userinfo, host = authority.rsplit("@", 1)
        user, colon, password = userinfo.partition(":")
        if colon:  # user:password -- the password is the secret (a user name is not)
            secret = not _is_placeholder(password)
        else:  # a lone user part is often a token (https://TOKEN@host); not for SSH
            secret = not _is_placeholder(user) and scheme not in _SSH_SCHEMES
        if secret:
            authority = f"{REDACTED}@{host}"
            had = True
    tail = rest[authority_end:]
    path_end = len(tail)
    for sep in "?#":
        pos = tail.find(sep)
        if pos != -1:
            path_end = min(path_end, pos)
    path, had_path = _redact_path(tail[:path_end])
    rebuilt = url[: scheme_end + 3] + authority + path + tail[path_end:]
    rebuilt, had_query = _redact_query(rebuilt)
    return rebuilt, had or had_path or had_query


def _redact_query(url: str) -> tuple[str, bool]:
    if "?" not in url:
        return url, False
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, False
    if not parts.query:
        return url, False
    had = False
    pieces = []
    for piece in parts.query.split("&"):
        key, eq, value = piece.partition("=")
        norm = key.lower().replace("-", "_")
        if eq and value and norm in SECRET_QUERY_KEYS and not _is_placeholder(value):
            pieces.append(f"{key}={REDACTED}")
            had = True
        else:
            pieces.append(piece)
    if not had:
        return url, False
    return urlunsplit(SplitResult(*parts[:3], "&".join(pieces), parts.fragment)), True


def redact_text(text: str) -> tuple[str, bool]:
    """Redact every URL inside free text; returns (text, whether a secret was present)."""
    if "://" not in text:
        return text, False
    # Walk "://" occurrences (a regex over the whole text backtracks quadratically on long
    # runs of letters): the scheme is the run of scheme characters before it, the URL runs
    # to the next whitespace, quote or angle bracket.
    found = False
    pieces: list[str] = []
    done = 0
    pos = text.find("://")
    while pos != -1:
        start = pos
        while start > done and start > pos - 64 and text[start - 1] in _SCHEME_CHARS:
            start -= 1
        while start < pos and not text[start].isalpha():
            start += 1  # a scheme starts with a letter
        end = pos + 3
        while end < len(text) and text[end] not in _URL_END:
            end += 1
        if start < pos:
            redacted, had = redact_url(text[start:end])
            found = found or had
            pieces.append(text[done:start])
            pieces.append(redacted)
            done = end
        pos = text.find("://", max(end, pos + 3))
    pieces.append(text[done:])
    return "".join(pieces), found
