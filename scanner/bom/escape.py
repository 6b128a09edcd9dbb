"""Characters JSON and XML outputs cannot carry as they are (lone surrogates, XML-forbidden
control characters), escaped the same way by both writers."""

from __future__ import annotations

import re

_UNENCODABLE = re.compile("[\ud800-\udfff]")
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def escape_char(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escape_unencodable(text: str, json_text: bool) -> str:
    pattern = _UNENCODABLE if json_text else _XML_FORBIDDEN
    if not pattern.search(text):
        return text
    if json_text:  # inside a JSON string a backslash is written as two
        return pattern.sub(lambda m: escape_char(m.group(0)).replace("\\", "\\\\"), text)
    return pattern.sub(lambda m: escape_char(m.group(0)), text)
