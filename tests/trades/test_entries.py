"""A trade's canonical JSON: the fast path gives exactly RFC 8785's bytes."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from app.trades.entries import canonical

ascii_keys = st.text(st.characters(max_codepoint=127), max_size=12)
flat_values = st.one_of(st.text(), st.booleans(), st.none())
any_values = st.recursive(
    st.one_of(
        flat_values,
        st.integers(-(2**53) + 1, 2**53 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@given(st.dictionaries(ascii_keys, flat_values))
def test_flat_objects_canonicalize_as_rfc8785(entry: dict[str, Any]) -> None:
    assert canonical(entry) == rfc8785.dumps(entry)


@given(st.dictionaries(st.text(max_size=6), any_values))
def test_anything_else_canonicalizes_as_rfc8785(entry: dict[str, Any]) -> None:
    assert canonical(entry) == rfc8785.dumps(entry)


def test_escapes_and_non_ascii_text() -> None:
    entry = {"b": 'a"\\\b\f\n\r\t\x00\x1f\x7f\u2028 数商 😀', "a": None, "c": True}
    assert canonical(entry) == rfc8785.dumps(entry)
