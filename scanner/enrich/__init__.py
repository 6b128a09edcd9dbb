"""Opt-in facts from the network and advisory databases, added to the Inventory after collection.

- `index`: the package index (`--online`): hashes, yanks, existence, upload age;
- `vulns`: vulnerability audits (`--audit` through pip-audit's services, `--vuln-db` offline).
"""
