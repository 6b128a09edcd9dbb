"""Project templates with Jinja/cookiecutter placeholders are gaps, not unreadable files."""

from __future__ import annotations

from pathlib import Path

from aibom.config import Config
from aibom.scan import collect


def test_template_files_are_gaps_and_the_scan_is_complete(tmp_path: Path) -> None:
    tpl = tmp_path / "templates" / "crew"
    tpl.mkdir(parents=True)
    (tpl / "pyproject.toml").write_text(
        '[project]\nname = "{{folder_name}}"\ndependencies = [\n    "{{tools_dependency}}",\n]\n'
    )
    (tpl / "main.py").write_text(
        "from {{folder_name}}.crew import Crew\nimport torch\ntorch.load('x.pt')\n"
    )
    cookie = tmp_path / "new-package" / "{{cookiecutter.package_name}}"
    cookie.mkdir(parents=True)
    (cookie / "pyproject.toml").write_text("[project]\n{%- if cookiecutter.x %}\nname = 1\n")
    (tmp_path / "broken.py").write_text("import torch\ntorch.load('a'\n")  # no placeholder
    inventory = collect(Config(roots=(tmp_path,)))
    assert [e.location.path for e in inventory.errors] == ["broken.py"]
    gaps = {g.location.path: g.reason for g in inventory.gaps}
    assert sorted(gaps) == [
        "new-package/{{cookiecutter.package_name}}/pyproject.toml",
        "templates/crew/main.py",
        "templates/crew/pyproject.toml",
    ]
    assert "such as `{{folder_name}}`" in gaps["templates/crew/pyproject.toml"]
    assert "not a file of its format until rendered" in gaps["templates/crew/main.py"]


def test_a_file_that_parses_is_read_even_with_braces(tmp_path: Path) -> None:
    (tmp_path / "prompt.py").write_text(
        "import torch\nPROMPT = '{{ question }}'\ntorch.load('m.pt')\n"
    )
    inventory = collect(Config(roots=(tmp_path,)))
    assert inventory.errors == [] and inventory.gaps == []
    assert [r.kind for r in inventory.code_refs] == ["torch-load"]
