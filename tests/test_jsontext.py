"""bridge.jsontext.indented is json.dumps(value, ensure_ascii=False, indent=2), character for
character (the export's JSON, relied on byte for byte), whatever the nesting (issue 20)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from plugins.catalogue import make_records

from bridge.jsontext import indented

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_keys, inner, max_size=4)
    ),
    max_leaves=30,
)


def _same(value: Any) -> None:
    assert indented(value) == json.dumps(value, ensure_ascii=False, indent=2)


@given(_values)
def test_indented_is_json_dumps_with_indent_2(value: Any) -> None:
    _same(value)


@pytest.mark.parametrize(
    "value",
    [
        [],
        {},
        [[]],
        {"a": {}},
        {"a": [], "b": [{}], "c": [[1, "x"], {"d": None}]},
        ["line\nbreak", 'quote " and \\ and \u2028', "accents àèç", "\x00\x1f"],
        [math.nan, -math.inf, 1e300, -0.0, 10**40, True, False],
        {2: "int key", 1.5: "float key", True: "bool key", None: "null key"},
        "just a string",
        42,
    ],
)
def test_edge_values(value: Any) -> None:
    _same(value)


def test_records_as_export_writes_them() -> None:
    _same(make_records(30))


def test_a_key_json_cannot_write_is_refused_as_json_refuses_it() -> None:
    with pytest.raises(TypeError):
        json.dumps({"a": [{(1,): 2}]}, ensure_ascii=False, indent=2)
    with pytest.raises(TypeError):
        indented({"a": [{"b": [1], (1,): 2}]})
