"""Judge the vulnerability facts `aibom.vulns` recorded (AIB501, AIB502, AIB504-AIB506).

A known vulnerability is reported at every place the affected version is declared (each
requirements or lock file must be fixed); a package that could not be audited is reported
once, at its first declaration.
"""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from ..config import Config
from ..enrich.osv import ANY_VERSION
from ..model import Finding, Inventory, Location, Vulnerability
from .check import Check

_RULE_BY_SEVERITY = {"critical": "AIB504", "high": "AIB501", "medium": "AIB505", "low": "AIB506"}
MAX_SUMMARY = 160


def vulnerability_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    where: dict[tuple[str, str], set[Location]] = {}
    for dep in inventory.dependencies:
        # "*": an advisory affecting every version applies where the package is unpinned
        version = dep.version if dep.version is not None else ANY_VERSION
        where.setdefault((dep.key, version), set()).add(dep.location)
    for vuln in inventory.vulnerabilities:
        locations = where.get((vuln.package, vuln.version)) or {Location(inventory.shown_roots)}
        rule_id = _RULE_BY_SEVERITY.get(vuln.severity or "", "AIB501")
        for location in sorted(locations):
            yield Finding.make(rule_id, location, **_vuln_args(vuln))


def _vuln_args(vuln: Vulnerability) -> dict[str, str]:
    summary = vuln.description or "no description"
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 3].rsplit(" ", 1)[0].rstrip(" ,.;:") + "..."
    aliases = f" ({', '.join(vuln.aliases)})" if vuln.aliases else ""
    if vuln.severity is None:
        severity_text = "not rated by the advisory; treated as high"
    elif vuln.cvss:
        severity_text = f"{vuln.severity}, {vuln.cvss}"
    else:
        severity_text = vuln.severity
    return {
        "package": vuln.package,
        "version": "(every version)" if vuln.version == ANY_VERSION else vuln.version,
        "id": vuln.id,
        "aliases_text": aliases,
        "summary": summary,
        "severity_text": severity_text,
        "fix_text": fix_text(vuln),
    }


def fix_text(vuln: Vulnerability) -> str:
    """The smallest fixed release above the affected version, as an upgrade instruction."""
    if not vuln.fixed_versions:
        return "no fixed version is published"
    if vuln.version == ANY_VERSION:
        return f"fixed in {', '.join(vuln.fixed_versions)}"
    listed = ", ".join(vuln.fixed_versions)
    try:
        current = Version(vuln.version)
        above = sorted(
            v for v in (_parse(f) for f in vuln.fixed_versions) if v is not None and v > current
        )
    except InvalidVersion:
        above = []
    if not above:
        return f"fixed in {listed}, none above {vuln.version}"
    return f"fixed in {listed}: upgrade to {vuln.package}>={above[0]}"


def _parse(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def unaudited_findings(inventory: Inventory, config: Config) -> Iterator[Finding]:
    for item in inventory.audit.unaudited if inventory.audit else ():
        locations = item.locations or (Location(inventory.shown_roots),)
        others = len(locations) - 1
        more = f" (declared in {others} more place{'s' if others > 1 else ''})" if others else ""
        yield Finding.make("AIB502", locations[0], name=item.name, reason=item.reason, more=more)


CHECKS: tuple[Check, ...] = (
    Check(
        frozenset({"AIB501", "AIB504", "AIB505", "AIB506"}),
        vulnerability_findings,
        "known vulnerabilities",
    ),
    Check(frozenset({"AIB502"}), unaudited_findings, "packages not auditable"),
)
