"""Where a finding sits: what kind of project was scanned, and whether a file is something the
project ships or deploys, or example, documentation, test, benchmark or research material.

A rule with `context-severity` in `rules/` is graded down to it when `context_of` names a
context for the finding's file; the finding carries the reason as its `context` argument, and
the message says it. The default gate (`--fail-on high`) then means "this would ship
something unsafe", not "an example's requirements file is not a lock file".

Project kind (`project-kind` in config overrides it): a *library* when the top-level
`pyproject.toml` declares `[project]` and a `[build-system]`, or a top-level `setup.py` /
`setup.cfg` builds the package (names it, declares dependencies, or passes computed
arguments); an *application* otherwise. A library declares ranges on
purpose (its users' installs resolve them), so its own requirements files are not
deployments; an application's are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum

from ..config import Config
from ..model import Finding, Inventory, SourceKind

CheckFn = Callable[[Inventory, Config], Iterable[Finding]]
ContextFor = Callable[[str], str | None]


_DEV_FILE = re.compile(
    r"(^|[-_.])(dev|devel|develop|test|tests|testing|doc|docs|lint|local|ci)([-_.]|$)"
)


def is_dev_file(path: str) -> bool:
    """A development requirements file: dev, test, docs, lint, local or ci as a word of its
    name (`requirements-dev.txt`), or as the name of its folder (`dev/requirements.txt`)."""
    parts = path.lower().replace("\\", "/").split("/")
    name = parts[-1]
    folder = parts[-2] if len(parts) > 1 else ""
    return _DEV_FILE.search(name) is not None or _DEV_FILE.fullmatch(folder) is not None


class ProjectKind(StrEnum):
    LIBRARY = "library"
    APPLICATION = "application"


# folder name -> what it holds (compared case-insensitively with each folder of a path)
_FOLDERS: dict[str, str] = {
    **dict.fromkeys(
        ("examples", "example", "demo", "demos", "samples", "sample", "tutorials", "tutorial",
         "cookbook", "recipes", "notebooks", "playground", "templates", "template"),
        "example code",
    ),
    **dict.fromkeys(("docs", "doc", "documentation", "docs_src"), "documentation"),
    **dict.fromkeys(
        ("tests", "test", "testing", "testdata", "test_data", "fixtures", "unittests"), "tests"
    ),
    **dict.fromkeys(("benchmarks", "benchmark", "bench", "benchmarking"), "a benchmark"),
    **dict.fromkeys(
        ("research", "research_projects", "experiments", "experimental_projects",
         "community"),
        "research or helper scripts",
    ),
}  # fmt: skip


def project_kind(inventory: Inventory, config: Config) -> ProjectKind:
    if config.project_kind in (ProjectKind.LIBRARY, ProjectKind.APPLICATION):
        return ProjectKind(config.project_kind)
    project = inventory.project
    if project is None or "/" in project.location.path:
        # a top-level setup.py/setup.cfg builds a package even when its name is computed
        setup_files = {"setup.py", "setup.cfg"}
        if any(d.location.path in setup_files for d in inventory.dependencies) or any(
            g.location.path in setup_files for g in inventory.gaps
        ):
            return ProjectKind.LIBRARY
        return ProjectKind.APPLICATION
    if project.location.path in ("setup.py", "setup.cfg"):
        return ProjectKind.LIBRARY
    has_build_system = any(
        d.source is SourceKind.PYPROJECT
        and d.group == "build-system"
        and d.location.path == project.location.path
        for d in inventory.dependencies
    )
    return ProjectKind.LIBRARY if has_build_system else ProjectKind.APPLICATION


def folder_context(path: str) -> str | None:
    """Why the file at `path` is not shipped code, from its folders and name, or None."""
    parts = path.replace("\\", "/").split("/")
    for folder in parts[:-1]:
        what = _FOLDERS.get(folder.lower())
        if what is not None:
            return f"{folder}/ holds {what}, not what the project ships"
    name = parts[-1].lower()
    if name.endswith(".ipynb"):
        return "a notebook is run by hand, not deployed"
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return "a test file, not what the project ships"
    return None


def code_context(path: str) -> str | None:
    """The context of a code finding (a loader call in source or a notebook)."""
    return folder_context(path)


def requirements_context(path: str, kind: ProjectKind, is_dev_file: bool) -> str | None:
    """The context of a pin finding on a pip requirements file."""
    folder = folder_context(path)
    if folder is not None:
        return folder
    if is_dev_file:
        return "development tooling, not a deployment"
    if kind is ProjectKind.LIBRARY:
        return (
            "a library's own requirements: it declares ranges its users' installs resolve; "
            "pin in the lock file of what you deploy"
        )
    return None


def graded(check: CheckFn, context_for: Callable[[Inventory, Config], ContextFor]) -> CheckFn:
    """`check` with each finding of a rule that has a context severity given the `context`
    argument its file's context calls for (none for shipped files)."""

    def run(inventory: Inventory, config: Config) -> Iterator[Finding]:
        where = context_for(inventory, config)
        for finding in check(inventory, config):
            reason = where(finding.location.path)
            if reason is None:
                yield finding
                continue
            from ..rules import get_rule  # here: a passing pre-commit check reads no rule file

            if get_rule(finding.rule_id).context_severity is None:
                yield finding
                continue
            args = tuple(sorted((*finding.args, ("context", reason))))
            yield Finding(finding.rule_id, finding.location, args)

    run.__name__ = getattr(check, "__name__", "graded")
    run.__doc__ = check.__doc__
    return run


def code_grading(inventory: Inventory, config: Config) -> ContextFor:
    return code_context
