"""E-mail addresses, plain or spelled out, and web links.

An address is found with the usual grammar (a local part of RFC 5322's characters, "@",
dot-separated domain labels) in a copy of the text where the ways people hide an address
are undone: "at", "(at)", "[at]" and " @ " read as "@"; "dot", "(dot)", "[dot]" and " . "
read as "."; so "sarah dot jones at gmail dot com" and "name(at)domain(dot)co(dot)uk"
are found, then replaced in the original. An address at a well-known mail provider needs
no ending ("jo at gmail").
"""

from __future__ import annotations

import re

from sendbot.core.redaction.placeholders import EMAIL, LINK
from sendbot.core.redaction.textmap import rewrite

_LOCAL = r"[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*"
_DOMAIN = r"[^\W_](?:[\w-]*[^\W_])?"
# The last label holds a letter: "com", "uk", "xn--p1ai".
_TOP = r"[\w-]*[^\W\d_][\w-]*"
_PROVIDERS = r"gmail|googlemail|hotmail|outlook|yahoo|ymail|icloud|btinternet|protonmail|aol|msn"
_ADDRESS = re.compile(
    rf"{_LOCAL}@(?:{_DOMAIN}(?:\.{_DOMAIN})*\.{_TOP}(?![\w-])|(?:{_PROVIDERS})(?![\w-]))",
    re.IGNORECASE,
)
_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
# The ways of writing "@" and "." that hide an address, undone in a copy.
_HIDDEN = re.compile(
    rf"(?P<at>\s*{_OPEN}\s*(?:at|@)\s*{_CLOSE}\s*|\s+at\s+|\s*@\s*)"
    rf"|(?P<dot>\s*{_OPEN}\s*(?:dot|\.)\s*{_CLOSE}\s*|\s+dot\s+|\s+\.\s+)",
    re.IGNORECASE,
)
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)


def _undone(match: re.Match[str]) -> str:
    """'@' for a hidden at sign, '.' for a hidden dot."""
    return "@" if match.group("at") else "."


def redact_emails(text: str) -> str:
    """Text with e-mail addresses (spelled out or not) and web links replaced."""
    if _HIDDEN.search(text):  # "@" too: plain addresses are found in the copy as well
        copy = rewrite(text, _HIDDEN, _undone)
        spans = [copy.original(m.span()) for m in _ADDRESS.finditer(copy.text)]
        for start, end in reversed(spans):
            text = text[:start] + EMAIL + text[end:]
    return _LINK.sub(LINK, text)
