"""The PII scanner: real check digits, property-tested."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.iso7064 import mod_11_2

from app.assessments.pii import PiiKind, PiiScan, classify

regions = st.sampled_from(["110105", "330106", "330203", "440305", "510107"])
births = st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 12, 31))
serials = st.integers(0, 999)


def id_number(region: str, born: date, serial: int) -> str:
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    return body + mod_11_2.calc_check_digit(body)


@given(regions, births, serials)
def test_valid_id_numbers_are_found(region: str, born: date, serial: int) -> None:
    assert classify(id_number(region, born, serial)) is PiiKind.id_number


@given(regions, births, serials, st.sampled_from("0123456789X"))
def test_a_wrong_check_character_is_not_an_id_number(
    region: str, born: date, serial: int, check: str
) -> None:
    valid = id_number(region, born, serial)
    corrupted = valid[:-1] + check
    if corrupted != valid:
        assert classify(corrupted) is not PiiKind.id_number


def test_an_impossible_birth_date_is_not_an_id_number() -> None:
    body = "33010619990231123"  # 31 February
    assert classify(body + mod_11_2.calc_check_digit(body)) is None


@given(st.text(alphabet="0123456789", min_size=14, max_size=17))
def test_unionpay_cards_passing_luhn_are_found(digits: str) -> None:
    card = "62" + digits
    card = card[:-1] + luhn.calc_check_digit(card[:-1])
    assert classify(card) is PiiKind.bank_card
    wrong = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert classify(wrong) is not PiiKind.bank_card


def test_other_cards_need_a_card_column() -> None:
    body = "453201511283036"
    card = body + luhn.calc_check_digit(body)
    assert classify(card) is None
    assert classify(card, in_card_column=True) is PiiKind.bank_card


def test_mobiles_and_emails() -> None:
    assert classify("13812345678") is PiiKind.mobile
    assert classify("+8619912345678") is PiiKind.mobile
    assert classify("12812345678") is None
    assert classify("zhang.san@example.com.cn") is PiiKind.email
    assert classify("not@an") is None


def test_scan_counts_by_column_and_never_keeps_values() -> None:
    scan = PiiScan(["姓名", "手机", "银行卡号"])
    valid_id = id_number("330106", date(1990, 5, 17), 123)
    scan.add(["张三", "13812345678", None])
    scan.add(["李四", valid_id, "4532015112830366"])
    evidence = scan.evidence()
    assert evidence == {
        "id_number": {"columns": ["手机"], "count": 1},
        "mobile": {"columns": ["手机"], "count": 1},
        "bank_card": {"columns": ["银行卡号"], "count": 1},
    }
    assert valid_id not in repr(evidence) and "13812345678" not in repr(evidence)
