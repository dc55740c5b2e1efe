"""Text shown on a terminal: nothing in it may drive the terminal (issue 14 item 9).

Catalogue text, refs typed by a person and forum answers reach the screen. Some characters are
instructions to the terminal rather than text: C0 controls (ESC starts colour, cursor and title
sequences; CR rewrites the line), DEL, C1 controls (U+009B is a one-character CSI on terminals
that honour 8-bit controls) and the Unicode bidirectional formatting characters (U+202E and its
kin reorder what follows, "Trojan Source", CVE-2021-42574). `visible()` replaces each by its
escape (`\\x1b`, `\\u202e`), so the reader sees that it is there and the terminal does nothing.
Line breaks and tabs are kept: they are layout.

The CLI applies it to everything its consoles print (`bridge.cli.app.out` / `err`), and
`print_json` writes C1 and bidi characters as JSON escapes (the same JSON value).
"""

from __future__ import annotations

import re

# C0 (less \t and \n), DEL, C1, and the bidi controls: ALM, LRM, RLM, LRE..RLO, LRI..PDI.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The subset JSON output escapes (json.dumps escapes C0 by itself).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """`text` with every character that would control the terminal shown as its escape."""
    return _UNSAFE.sub(_escape, text)


def json_safe(document_text: str) -> str:
    """A JSON document's text with C1 and bidi characters written as `\\uXXXX` escapes."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", document_text)


def has_unsafe(text: str) -> bool:
    return _UNSAFE.search(text) is not None


__all__ = ["has_unsafe", "json_safe", "visible"]
