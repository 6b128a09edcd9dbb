"""Jinja chat templates (GGUF metadata, `tokenizer_config.json`): what in a template reaches
for Python internals, the way published template-injection payloads do. Read as text, never
rendered."""

from __future__ import annotations

import re

_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)


_DUNDER = re.compile(r"__[A-Za-z0-9]\w*?__")


_ESCAPED_UNDERSCORE = re.compile(r"\\x5f|\\u005f|\\U0000005f|\\137", re.IGNORECASE)


_ATTR_FILTER = re.compile(r"\|\s*attr\b")


# '__', '_' * 2, '_' ~ '_' (a lone '_' elsewhere is ordinary: replace(' ', '_'))
_UNDERSCORE_STRING = re.compile(r"""(['"])__+\1|(['"])_\2\s*[*~+]|[~+]\s*(['"])_\3""")


# '__cla' ~ 'ss__': half a dunder name
_DUNDER_PIECE = re.compile(r"""(['"])(__\w*[A-Za-z0-9]|[A-Za-z0-9]\w*__)\1""")


_CHAR_FORMAT = re.compile(r"""(['"])[^'"]*%c[^'"]*\1""")


_SUBSCRIPT_STRING = re.compile(r"""\[\s*(['"])([A-Za-z_]\w*)\1\s*\]""")


_CALLED_SYSTEM = re.compile(r"\bsystem\s*\(")


# names no chat template needs; reaching them means escaping the template sandbox
DANGEROUS_NAMES = frozenset(
    {
        "os",
        "sys",
        "popen",
        "subprocess",
        "eval",
        "exec",
        "compile",
        "import",
        "importlib",
        "builtins",
        "globals",
        "locals",
        "getattr",
        "setattr",
        "mro",
        "subclasses",
        "func_globals",
        "f_globals",
        "gi_frame",
        "gi_code",
        "f_back",
        "tb_frame",
        "co_code",
        "_TemplateReference__context",
        "_module",
        "spawn",
        "execl",
        "execv",
    }
)


def template_problems(template: str) -> list[str]:
    """What in a Jinja chat template reaches for Python internals (sorted, de-duplicated)."""
    found: set[str] = set()
    for match in _BLOCK.finditer(template):
        block = match.group(0)
        for dunder in _DUNDER.findall(block):
            found.add(f"accesses {dunder}")
        if _ESCAPED_UNDERSCORE.search(block):
            found.add("spells an underscore with an escape sequence")
        if _ATTR_FILTER.search(block):
            found.add("uses the |attr filter to reach attributes by name")
        if _UNDERSCORE_STRING.search(block) or _DUNDER_PIECE.search(block):
            found.add("builds a name from underscore strings")
        if _CHAR_FORMAT.search(block):
            found.add("builds characters from numbers (%c)")
        for _quote, name in _SUBSCRIPT_STRING.findall(block):
            if name in DANGEROUS_NAMES:
                found.add(f"looks up {name!r} by subscript")
        code = _STRING.sub("''", block)
        for word in re.findall(r"[A-Za-z_]\w*", code):
            if word in DANGEROUS_NAMES:
                found.add(f"refers to {word}")
        if _CALLED_SYSTEM.search(code):
            found.add("calls system()")
    return sorted(found)
