"""`python -m aibom`: the same as the `aibom` command.

`python -m` puts the current folder first on `sys.path`, so inside a scanned repository its
own modules (a `click.py`, a `yaml.py`) would be imported instead of aibom's dependencies and
run. The folder is taken off the path before anything else is imported (`python -P`
semantics); only this package itself was found through it, and a folder named `aibom` in the
current folder is refused rather than used.
"""

import os
import sys


def _drop_current_folder() -> None:
    cwd = os.getcwd()
    package = os.path.dirname(os.path.abspath(__file__))
    if sys.path and sys.path[0] in ("", ".", cwd):
        del sys.path[0]
        if os.path.realpath(package) == os.path.realpath(os.path.join(cwd, "aibom")):
            sys.stderr.write(
                "aibom: refusing to run the `aibom` package found in the current folder; "
                "run the installed `aibom` command instead\n"
            )
            raise SystemExit(2)


_drop_current_folder()

from aibom.cli import main  # noqa: E402  (after the path is safe)

main()
