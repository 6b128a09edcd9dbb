"""The user docs name every command and option the CLI has."""

from __future__ import annotations

from pathlib import Path

import click

from aibom.cli import main

USAGE = (Path(__file__).resolve().parent.parent / "docs" / "usage.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_documented() -> None:
    assert isinstance(main, click.Group)
    missing = []
    for name, command in sorted(main.commands.items()):
        if f"## `aibom {name}" not in USAGE:
            missing.append(f"command {name}")
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            for opt in [*param.opts, *param.secondary_opts]:
                documented = f"`{opt}" in USAGE or f" {opt}" in USAGE
                if opt.startswith("--") and opt != "--help" and not documented:
                    missing.append(f"{name} {opt}")
    assert missing == []
