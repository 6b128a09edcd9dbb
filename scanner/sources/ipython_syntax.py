"""IPython cell syntax turned into plain Python, the way IPython's input transformer does it,
so a notebook cell is parsed with `ast` instead of hoping it parses.

What is recognised (by tokenising the cell as Python, so the same characters inside a string
or a comment are left alone):

- cleanup, as IPython does before anything else: a common leading indent, `>>> ` / `... `
  and `In [3]: ` prompts;
- a cell magic on the first line (`%%capture`, `%%bash`, ...): for the magics whose body is
  Python (`%%time`, `%%timeit`, `%%capture`, `%%prun`, `%%debug`) the body is kept, for
  every other one the cell is another language (`CellCode.language` says which);
- escaped lines at the start of a logical line: `!cmd`, `!!cmd`, `%magic args`, `?obj`,
  `??obj`, and the autocall escapes `,f a b` / `;f a b` / `/f a b`; a line ending in `\\`
  continues the command on the next one (`!pip install a \\` + `    b`);
- assignments from them: `x = !ls`, `x = %env HOME`;
- help at the end of a line: `obj?`, `obj.attr??`;
- automagic (IPython's default): a line such as `pip install x` or `cd data` whose first word
  is a magic and that is not valid Python by itself.

`%time stmt`, `%timeit stmt` and `%prun stmt` keep `stmt` (it runs as Python); every other
escaped line becomes `pass` (or `x = None` for an assignment). Line numbers are kept: a command
continued over three lines leaves two empty lines behind it. Shell commands are recorded
(`CellCode.shell`) with their line, joined over continuations, for callers that want them.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

# Cell magics whose body IPython runs as Python.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# Line magics whose argument is a Python statement that IPython runs.
_STATEMENT_MAGICS = frozenset({"time", "timeit", "prun"})
# Magics IPython calls without `%` when automagic is on (its default): the ones seen in
# notebooks in the wild, plus the shell aliases it defines on POSIX.
AUTOMAGICS = frozenset(
    {
        "pip", "conda", "mamba", "micromamba", "uv", "cd", "env", "load_ext", "reload_ext",
        "matplotlib", "pylab", "pwd", "autoreload", "ls", "ll", "mkdir", "rm", "rmdir", "cp",
        "mv", "cat", "less", "more", "man", "clear", "alias", "unalias", "bookmark", "dhist",
        "pushd", "popd", "who", "whos", "reset", "history", "config", "sx", "system", "set_env",
    }
)  # fmt: skip
_ESCAPES = ("!!", "??", "!", "%", "?", ",", ";", "/")
_MAX_TRANSFORMS = 500
_INDENT = re.compile(r"[ \t]+")
_CLASSIC_FIRST = re.compile(r"^>>>( |$)")
_CLASSIC_ANY = re.compile(r"^(>>>|\.\.\.)( |$)")
_IPYTHON_PROMPT = re.compile(r"^(((\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}: ?)")
# `name rest` where rest cannot continue a Python expression (`pip install x`, `cd ../data`)
_AUTOMAGIC_LINE = re.compile(r"^[A-Za-z_]\w*(\s+(?![=(\[{,:;+*%<>!&|^@]|\.\w)\S.*)?$")
_HELP_TARGET = re.compile(r"%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*(\?\??)$")


@dataclass(frozen=True)
class ShellCommand:
    line: int  # 1-based line in the cell
    command: str  # joined over `\` continuations, without the `!`/`%` escape


@dataclass
class CellCode:
    """A notebook cell as Python: `python` is None when a cell magic makes the whole cell
    another language (`language` then names the magic, e.g. "bash", "writefile")."""

    python: str | None
    language: str = "python"
    shell: list[ShellCommand] = field(default_factory=list)


def transform_cell(text: str) -> CellCode:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    lines = [line.rstrip("\r\n") + "\n" for line in lines]
    lines = _cleanup(lines)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].startswith("%%") and not _is_help(lines[first]):
        name, _, args = lines[first][2:].strip().partition(" ")
        if name not in PYTHON_CELL_MAGICS:
            shell = [ShellCommand(first + 1, "".join(lines[first + 1 :]).strip())]
            return CellCode(None, name, shell if name in ("bash", "sh", "script") else [])
        lines[first] = "\n"
        if name in _STATEMENT_MAGICS and args.strip():  # `%%time x = 1` runs `x = 1` too
            lines[first] = args.strip() + "\n"
    code = CellCode("")
    for _ in range(_MAX_TRANSFORMS):
        changed = _transform_one(lines, code)
        if not changed:
            break
    code.python = "".join(lines)
    return code


def _is_help(line: str) -> bool:
    return line.rstrip().endswith("?")


def _cleanup(lines: list[str]) -> list[str]:
    """Common indent and prompts removed; empty lines kept so line numbers stay."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return lines
    match = _INDENT.match(lines[first])
    if match:
        indent = match.group(0)
        lines = [line[len(indent) :] if line.startswith(indent) else line for line in lines]
    for initial, anywhere in ((_CLASSIC_FIRST, _CLASSIC_ANY), (_IPYTHON_PROMPT, _IPYTHON_PROMPT)):
        body = lines[first:]
        if initial.match(body[0]) or (len(body) > 1 and anywhere.match(body[1])):
            lines = lines[:first] + [anywhere.sub("", line, count=1) for line in body]
    return lines


def _logical_lines(lines: list[str]) -> list[list[tokenize.TokenInfo]]:
    """Tokens grouped by logical line (a bracketed or string expression over several physical
    lines is one); stops quietly where the cell stops being tokenisable."""
    out: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            out[-1].append(tok)
            if tok.type == tokenize.NEWLINE or (tok.type == tokenize.NL and depth <= 0):
                out.append([])
            elif tok.string in ("(", "[", "{"):
                depth += 1
            elif tok.string in (")", "]", "}") and depth > 0:
                depth -= 1
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return [line for line in out if line]


def _continued_end(lines: list[str], start: int) -> int:
    end = start
    while end < len(lines) - 1 and lines[end].endswith("\\\n"):
        end += 1
    return end


def _joined(lines: list[str], start: int, col: int, end: int) -> str:
    parts = [lines[start][col:], *lines[start + 1 : end + 1]]
    pieces = [p.rstrip()[:-1] for p in parts[:-1]] + [parts[-1].rstrip()]
    return " ".join(pieces)


def _replace(lines: list[str], start: int, end: int, first: str) -> None:
    lines[start : end + 1] = [first + "\n"] + ["\n"] * (end - start)


def _assign_index(line: list[tokenize.TokenInfo]) -> int | None:
    depth = 0
    for i, tok in enumerate(line):
        if tok.string == "=" and depth == 0:
            return i
        if tok.string in ("(", "[", "{"):
            depth += 1
        elif tok.string in (")", "]", "}") and depth > 0:
            depth -= 1
    return None


def _significant(line: list[tokenize.TokenInfo]) -> list[tokenize.TokenInfo]:
    skip = (
        tokenize.INDENT, tokenize.DEDENT, tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT,
        tokenize.ENDMARKER,
    )  # fmt: skip
    # whitespace after an invalid character comes back as an ERRORTOKEN of its own
    return [t for t in line if t.type not in skip and not (t.string.isspace() or not t.string)]


def _transform_one(lines: list[str], code: CellCode) -> bool:
    """Rewrite the first piece of IPython syntax; False when there is none left."""
    for logical in _logical_lines(lines):
        toks = _significant(logical)
        if not toks:
            continue
        head = toks[0]
        row, col = head.start[0] - 1, head.start[1]
        # x = !cmd / x = %magic
        assign = _assign_index(toks)
        if assign is not None and assign + 1 < len(toks) and assign > 0:
            nxt = toks[assign + 1]
            if nxt.string in ("!", "%", "!!") or nxt.string.startswith("!"):
                srow, scol = nxt.start[0] - 1, nxt.start[1]
                end = _continued_end(lines, srow)
                rhs = _joined(lines, srow, scol, end)
                lhs = lines[srow][:scol]
                if rhs.startswith("!"):
                    code.shell.append(ShellCommand(srow + 1, rhs.lstrip("!").strip()))
                _replace(lines, srow, end, lhs + "None")
                return True
        # help: obj? / obj?? at the end of a logical line
        if len(toks) >= 2 and toks[-1].string == "?" and not head.string.startswith(("!", "%")):
            qrow = toks[-1].start[0] - 1
            piece = "".join(lines[row : qrow + 1])[col:].rstrip()
            if _HELP_TARGET.search(piece):
                _replace(lines, row, qrow, lines[row][:col] + "pass")
                return True
        # escaped commands at the start of a logical line
        text = lines[row][col:]
        escape = next((e for e in _ESCAPES if text.startswith(e)), None)
        if escape is not None and head.string in ("!", "%", "?", ",", ";", "/", "!=", "%=", "//"):
            end = _continued_end(lines, row)
            content = _joined(lines, row, col, end)[len(escape) :]
            indent = lines[row][:col]
            _replace(lines, row, end, indent + _replacement(escape, content, row, code))
            return True
        # automagic: `pip install x` (only when the line is not Python by itself)
        if head.type == tokenize.NAME and head.string in AUTOMAGICS:
            end = _continued_end(lines, row)
            joined = _joined(lines, row, col, end)
            last_row = toks[-1].end[0] - 1
            if last_row <= end and _AUTOMAGIC_LINE.match(joined) and not _compiles(joined):
                indent = lines[row][:col]
                _replace(lines, row, end, indent + _replacement("%", joined, row, code))
                return True
    return False


def _replacement(escape: str, content: str, row: int, code: CellCode) -> str:
    if escape in ("!", "!!"):
        code.shell.append(ShellCommand(row + 1, content.strip()))
        return "pass"
    if escape == "%":
        name, _, args = content.partition(" ")
        if name in _STATEMENT_MAGICS and args.strip() and _compiles(args.strip()):
            return args.strip()
        if name in ("pip", "conda", "mamba", "uv", "sx", "system"):
            code.shell.append(ShellCommand(row + 1, content.strip()))
        return "pass"
    return "pass"


def _compiles(source: str) -> bool:
    try:
        ast.parse(source, "<cell>", "exec")  # parses only: no code object is made
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True
