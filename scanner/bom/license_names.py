"""Free-text licence names (a `License:` metadata field, a classifier, a card) -> SPDX ids.

Only names that denote exactly one SPDX licence are mapped ("Apache 2.0 License",
"3-Clause BSD", "MPL 2.0"); family names that do not ("BSD License", "GPL", "Public
Domain") are left alone and stay named licences in the AIBOM.
"""

from __future__ import annotations

import re

_DROP = frozenset({"the", "license", "licence", "licensed", "version", "v", "software"})

# normalised text (see `_key`) -> SPDX id
_TABLE: dict[str, str] = {
    "apache 2 0": "Apache-2.0",
    "apache 2": "Apache-2.0",
    "apache2": "Apache-2.0",
    "asl 2 0": "Apache-2.0",
    "al 2 0": "Apache-2.0",
    "apache 1 1": "Apache-1.1",
    "mit": "MIT",
    "expat": "MIT",
    "mit expat": "MIT",
    "bsd 3 clause": "BSD-3-Clause",
    "3 clause bsd": "BSD-3-Clause",
    "bsd 3": "BSD-3-Clause",
    "new bsd": "BSD-3-Clause",
    "modified bsd": "BSD-3-Clause",
    "revised bsd": "BSD-3-Clause",
    "bsd 2 clause": "BSD-2-Clause",
    "2 clause bsd": "BSD-2-Clause",
    "simplified bsd": "BSD-2-Clause",
    "freebsd": "BSD-2-Clause",
    "mpl 2 0": "MPL-2.0",
    "mozilla public 2 0": "MPL-2.0",
    "mozilla public 2 0 mpl 2 0": "MPL-2.0",
    "isc": "ISC",
    "iscl": "ISC",
    "isc iscl": "ISC",
    "psf": "PSF-2.0",
    "psf 2 0": "PSF-2.0",
    "psfl": "PSF-2.0",
    "python foundation": "PSF-2.0",
    "unlicense": "Unlicense",
    "unlicense unlicense": "Unlicense",
    "cc0": "CC0-1.0",
    "cc0 1 0": "CC0-1.0",
    "cc0 1 0 universal": "CC0-1.0",
    "cc0 1 0 universal cc0 1 0 public domain dedication": "CC0-1.0",
    "zlib": "Zlib",
    "zlib libpng": "Zlib",
    "boost": "BSL-1.0",
    "bsl 1 0": "BSL-1.0",
    "boost 1 0 bsl 1 0": "BSL-1.0",
    "epl 2 0": "EPL-2.0",
    "eclipse public 2 0": "EPL-2.0",
    "eclipse public 2 0 epl 2 0": "EPL-2.0",
    "gplv3+": "GPL-3.0-or-later",
    "gpl 3 or later": "GPL-3.0-or-later",
    "gnu general public 3 or later gplv3+": "GPL-3.0-or-later",
    "lgplv3+": "LGPL-3.0-or-later",
    "gnu lesser general public 3 or later lgplv3+": "LGPL-3.0-or-later",
    "agplv3+": "AGPL-3.0-or-later",
}


def _key(text: str) -> str:
    words = re.sub(r"[^a-z0-9+]+", " ", text.lower()).split()
    return " ".join(w for w in words if w not in _DROP)


def spdx_for_text(text: str) -> str | None:
    """The one SPDX id a free-text licence name denotes, None when it is not known to
    denote exactly one."""
    if len(text) > 200:
        return None
    return _TABLE.get(_key(text))
