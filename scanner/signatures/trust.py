"""Trust material for model signatures: which keys, CA chains and Sigstore identities may
sign which models.

Configuration (`[tool.aibom.signatures]`):

    require-signatures = ["models/**"]      # these models must carry a signature
    sigstore-trust-root = "trusted_root.json"  # default: the root the sigstore library ships
    [tool.aibom.signatures.trust]
    "models/**" = { identity = "release@acme.org", issuer = "https://accounts.google.com" }
    "vendor/**" = { keys = ["keys/vendor.pub"], certificate-chains = ["ca/vendor-root.pem"] }

and, for one run, `--trust-key PEM` and `--trust-identity IDENTITY@ISSUER` (patterns "**").

Trust anchors say what counts as *verified*: an anchor the scanned repository could add
for itself would let whoever tampers with a model also vouch for it. So anchors are taken
only from the command line and from a configuration file named with `--config`; anchors in
a configuration file found inside the scanned tree are reported and not used.
`require-signatures` only tightens the scan, so it is honoured wherever it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

ANY = "**"


@dataclass(frozen=True)
class SigstoreIdentity:
    identity: str  # certificate SAN: an e-mail address or a workflow URI
    issuer: str  # OIDC issuer URL

    def __str__(self) -> str:
        return f"{self.identity}@{self.issuer}"


@dataclass(frozen=True)
class TrustRule:
    """The anchors allowed for models whose path matches `pattern`."""

    pattern: str
    keys: tuple[Path, ...] = ()
    certificate_chains: tuple[Path, ...] = ()
    identities: tuple[SigstoreIdentity, ...] = ()


@dataclass(frozen=True)
class Anchors:
    """The union of every rule matching one model path."""

    keys: tuple[Path, ...] = ()
    certificate_chains: tuple[Path, ...] = ()
    identities: tuple[SigstoreIdentity, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.keys or self.certificate_chains or self.identities)


@dataclass(frozen=True)
class SignaturePolicy:
    rules: tuple[TrustRule, ...] = ()
    require: tuple[str, ...] = ()  # path patterns of models that must be signed
    sigstore_trust_root: Path | None = None  # trusted_root.json or a client trust config
    online: bool = False  # refresh the Sigstore trust root over TUF (opt-in)
    ignored_from: str | None = None  # in-tree config file whose anchors were not used
    ignored: tuple[str, ...] = field(default=())  # what was not used, for the report

    def anchors_for(self, path: str) -> Anchors:
        keys: list[Path] = []
        chains: list[Path] = []
        identities: list[SigstoreIdentity] = []
        for rule in self.rules:
            if matches(rule.pattern, path):
                keys.extend(k for k in rule.keys if k not in keys)
                chains.extend(c for c in rule.certificate_chains if c not in chains)
                identities.extend(i for i in rule.identities if i not in identities)
        return Anchors(tuple(keys), tuple(chains), tuple(identities))

    def required(self, path: str) -> bool:
        return any(matches(p, path) for p in self.require)

    @property
    def configured(self) -> bool:
        return bool(self.rules)


def matches(pattern: str, path: str) -> bool:
    """Glob match on POSIX paths: `**` spans folders, `*` stays within one."""
    if pattern in (ANY, "**/*"):
        return True
    return _compile(pattern).fullmatch(path) is not None or (
        pattern.endswith("/**") and path == pattern[:-3]
    )


def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def parse_identity(text: str) -> SigstoreIdentity:
    """`IDENTITY@ISSUER`: the issuer is a URL, so split at the last `@` before `https://`."""
    at = text.rfind("@http")
    if at <= 0:
        raise ConfigError(
            f"--trust-identity {text!r} is not IDENTITY@ISSUER",
            hint="e.g. release@acme.org@https://accounts.google.com",
        )
    return SigstoreIdentity(text[:at], text[at + 1 :])


def cli_rules(keys: tuple[Path, ...], identities: tuple[str, ...]) -> tuple[TrustRule, ...]:
    if not keys and not identities:
        return ()
    for key in keys:
        if not key.is_file():
            raise ConfigError(
                "trusted key not found", str(key), hint="--trust-key takes a PEM file"
            )
    return (TrustRule(ANY, keys=keys, identities=tuple(parse_identity(i) for i in identities)),)


SIGNATURE_KEYS = ("require-signatures", "sigstore-trust-root", "trust")
ANCHOR_KEYS = ("keys", "certificate-chains", "identity", "issuer", "identities")


def policy_from_table(
    table: Any, where: Path, *, trusted_source: bool
) -> tuple[tuple[str, ...], tuple[TrustRule, ...], Path | None, tuple[str, ...]]:
    """Read `[tool.aibom.signatures]`. Returns (require, rules, trust root, ignored).

    When the file is not a trusted source (found inside the scanned tree), the rules and
    the trust root are returned in `ignored` as text and not as anchors."""
    name = str(where)
    if not isinstance(table, dict):
        raise ConfigError("[tool.aibom.signatures] must be a table", name)
    unknown = sorted(set(table) - set(SIGNATURE_KEYS))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in [tool.aibom.signatures]",
            name,
            hint=f"known keys: {', '.join(SIGNATURE_KEYS)}",
        )
    require = _strings(table.get("require-signatures", []), "require-signatures", name)
    base = where.parent
    root_value = table.get("sigstore-trust-root")
    trust_root = None
    if root_value is not None:
        if not isinstance(root_value, str):
            raise ConfigError("sigstore-trust-root must be a path", name)
        trust_root = base / root_value
    rules: list[TrustRule] = []
    trust = table.get("trust", {})
    if not isinstance(trust, dict):
        raise ConfigError("[tool.aibom.signatures.trust] must map path patterns to tables", name)
    for pattern, spec in trust.items():
        rules.append(_rule(pattern, spec, base, name))
    if trusted_source:
        return require, tuple(rules), trust_root, ()
    ignored = [f"{r.pattern}: {_describe(r)}" for r in rules]
    if trust_root is not None:
        ignored.append(f"sigstore-trust-root {root_value}")
    return require, (), None, tuple(ignored)


def _rule(pattern: str, spec: Any, base: Path, where: str) -> TrustRule:
    if not isinstance(spec, dict):
        raise ConfigError(f"trust entry {pattern!r} must be a table", where)
    unknown = sorted(set(spec) - set(ANCHOR_KEYS))
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in trust entry {pattern!r}",
            where,
            hint=f"known keys: {', '.join(ANCHOR_KEYS)}",
        )
    keys = tuple(base / k for k in _strings(spec.get("keys", []), "keys", where))
    chains = tuple(
        base / c for c in _strings(spec.get("certificate-chains", []), "certificate-chains", where)
    )
    identities: list[SigstoreIdentity] = []
    if "identity" in spec or "issuer" in spec:
        identity, issuer = spec.get("identity"), spec.get("issuer")
        if not isinstance(identity, str) or not isinstance(issuer, str):
            raise ConfigError(f"trust entry {pattern!r} needs both identity and issuer", where)
        identities.append(SigstoreIdentity(identity, issuer))
    for entry in spec.get("identities", []):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("identity", "issuer")
        ):
            raise ConfigError(f"identities in {pattern!r} are {{identity, issuer}} tables", where)
        identities.append(SigstoreIdentity(entry["identity"], entry["issuer"]))
    return TrustRule(pattern, keys, chains, tuple(identities))


def _describe(rule: TrustRule) -> str:
    parts = [f"key {k.name}" for k in rule.keys]
    parts += [f"certificate chain {c.name}" for c in rule.certificate_chains]
    parts += [f"identity {i}" for i in rule.identities]
    return ", ".join(parts) or "no anchors"


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings", where)
    return tuple(value)
