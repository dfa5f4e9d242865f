"""The PII scanner: real check digits, property-tested."""

from __future__ import annotations

from datetime import date
from pathlib import Path

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


def test_the_fast_csv_scan_agrees_with_the_row_scan(tmp_path: Path) -> None:
    """Unquoted files take the block scan; quoted ones the csv module; both count alike."""
    from app.assessments.pii import luhn_valid, scan_csv

    card = "6222020200112233"
    card = card[:-1] + luhn.calc_check_digit(card[:-1])
    assert luhn_valid(card)
    valid = id_number("330106", date(1990, 5, 17), 1)
    lines = [
        "编号,身份证,手机,邮箱,卡号,备注",
        f"1,{valid},13812345678,a@b.cn,{card},",
        f"2,{valid[:-1]}{'0' if valid[-1] != '0' else '1'},12812345678,not-mail,4532015112830367,x",
        "",
        f"3, {valid} ,+8613912345678,zhang@example.com,{card},备注",
    ]
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(lines) + "\n", encoding="gb18030")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("\n".join(lines).replace("备注", '"备,注"') + "\n", encoding="utf-8")
    expected = {
        "id_number": {"columns": ["身份证"], "count": 2},
        "mobile": {"columns": ["手机"], "count": 2},
        "email": {"columns": ["邮箱"], "count": 2},
        "bank_card": {"columns": ["卡号"], "count": 2},
    }
    fast = scan_csv(plain, "gb18030")
    assert fast.evidence() == expected and fast.rows == 3
    careful = scan_csv(quoted, "utf-8")
    assert careful.evidence() == expected and careful.rows == 3


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_our_check_character_is_python_stdnums(body: str) -> None:
    from app.assessments.pii import id_check_character

    assert id_check_character(body) == mod_11_2.calc_check_digit(body)


@given(st.text(alphabet="0123456789", min_size=2, max_size=19))
def test_our_luhn_is_python_stdnums(digits: str) -> None:
    from app.assessments.pii import luhn_valid

    assert luhn_valid(digits) == luhn.is_valid(digits)
