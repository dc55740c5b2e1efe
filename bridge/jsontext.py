"""Indented JSON at the C encoder's speed: `indented(value)` is, character for character,
`json.dumps(value, ensure_ascii=False, indent=2)`.

Why: Python 3.11 encodes with `indent` in pure Python, one generator per nesting level; for an
export of 10,000 records that was two thirds of the command's time (issue 20). Here every table or
list holding no table or list (a record's `local_body`, a contact, a list of words) is encoded in
one call of the C encoder, its item separator carrying the newline and that depth's indentation;
only the levels above them (the list of records, each record's keys) are walked in Python. A JSON
string never holds a raw newline (it is escaped), so the separators are the only line breaks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring  # the C function where the interpreter has it
from typing import Any

# CPython's C encoder as json.encoder holds it (None on an interpreter without it: json.dumps then).
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)

_INDENT = "  "
_Encoder = Callable[[Any], str]
_flat: dict[int, _Encoder] = {}  # by depth
_NESTED = (dict, list, tuple)


def indented(value: Any) -> str:
    """`json.dumps(value, ensure_ascii=False, indent=2)`, faster for nested tables."""
    if _c_make_encoder is None:  # pragma: no cover
        return json.dumps(value, ensure_ascii=False, indent=2)
    out: list[str] = []
    _write(value, 0, out)
    return "".join(out)


def _flat_encoder(depth: int) -> _Encoder:
    """The C encoder whose items are separated as json.dumps separates them at `depth` + 1."""
    encoder = _flat.get(depth)
    if encoder is None:
        assert _c_make_encoder is not None
        # (markers, default, encoder, indent, key separator, item separator, sort_keys,
        # skipkeys, allow_nan): json.dumps's own defaults but the item separator.
        c_encode = _c_make_encoder(
            None, None, encode_basestring, None, ": ", ",\n" + _INDENT * (depth + 1),
            False, False, True,
        )  # fmt: skip

        def encoder(value: Any) -> str:
            return "".join(c_encode(value, 0))

        _flat[depth] = encoder
    return encoder


def _write(value: Any, depth: int, out: list[str]) -> None:
    if type(value) is str:
        out.append(encode_basestring(value))
        return
    is_dict = isinstance(value, dict)
    if not is_dict and not isinstance(value, list | tuple):
        out.append(_flat_encoder(depth)(value))  # a number, true, false, null
        return
    if not value:
        out.append("{}" if is_dict else "[]")
        return
    pad = "\n" + _INDENT * (depth + 1)
    close = "\n" + _INDENT * depth + ("}" if is_dict else "]")
    for item in value.values() if is_dict else value:
        if isinstance(item, _NESTED):
            break
    else:  # nothing nested: one call of the C encoder
        text = _flat_encoder(depth)(value)
        out.append(text[0] + pad + text[1:-1] + close)
        return
    separator = "," + pad
    out.append("{" if is_dict else "[")
    lead = pad  # before the first item, then the separator
    for key, item in value.items() if is_dict else enumerate(value):
        if is_dict:
            lead += encode_basestring(key if type(key) is str else _key(key)) + ": "
        if type(item) is str:
            out.append(lead + encode_basestring(item))
        elif type(item) is int:
            out.append(lead + int.__repr__(item))
        else:
            out.append(lead)
            _write(item, depth + 1, out)
        lead = separator
    out.append(close)


def _key(key: Any) -> str:
    """json's text for a key that is not a string (a number, true, false, null)."""
    if key is not None and not isinstance(key, int | float):
        raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
    return json.dumps(key)
