"""USCC check characters (GB 32100-2015), property-tested."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.merchants import uscc
from app.merchants.uscc import ALPHABET, UsccProblem

authorities = st.sampled_from("123456789ANY")
digits = st.text(alphabet="0123456789", min_size=7, max_size=7)
organisation = st.text(alphabet=ALPHABET, min_size=9, max_size=9)


@given(authorities, digits, organisation)
def test_generated_codes_validate(authority: str, division: str, org: str) -> None:
    body = authority + division + org
    assert uscc.is_valid(body + uscc.check_character(body))


@given(authorities, digits, organisation, st.sampled_from(ALPHABET))
def test_any_other_check_character_is_refused(
    authority: str, division: str, org: str, check: str
) -> None:
    body = authority + division + org
    right = uscc.check_character(body)
    expected = None if check == right else UsccProblem.check_character
    assert uscc.problem(body + check) == expected


def test_known_codes() -> None:
    assert uscc.is_valid("91110000600037341L")
    assert uscc.problem("91110000600037341M") is UsccProblem.check_character
    assert uscc.problem("9111000060003734") is UsccProblem.length
    # Letters that GB 32100 never uses.
    assert uscc.problem("91110000600037341I") is UsccProblem.malformed
    # A, N and Y are registration authorities (python-stdnum alone refuses them).
    body = "N1330106MA2GL1RQ5"
    assert uscc.is_valid(body + uscc.check_character(body))
    assert uscc.problem("B1330106MA2GL1RQ5" + "0") is UsccProblem.malformed


def test_check_character_follows_the_standard_formula() -> None:
    """C18 = CHARS[(31 - Σ value(ci)·3^(i-1) mod 31) mod 31], DOMAIN.md."""
    body = "91330106MA2GL1RQ5"
    total = sum(ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    assert uscc.check_character(body) == ALPHABET[(31 - total % 31) % 31]


def test_spaces_and_case_are_forgiven() -> None:
    assert uscc.is_valid(" 9111 0000-6000 37341l ")
