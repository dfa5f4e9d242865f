"""The data-asset journal: every voucher balances (over random registers too), the journal
reconciles to the disclosure (DOMAIN.md's FY2025 example and a broad set of movements),
Beancount (an engine we did not write) loads a year of it without error and finds the
disclosure's balances, the CSV/XLSX layout accounting software imports, and the merchant's
chart of accounts."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from beancount import loader
from beancount.core import data as bean
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import text

from app.assets import engine, journal
from app.assets import tables as regulation
from app.assets.engine import AssetClass, MovementType, Phase, Refused, Source
from app.assets.workbook import MEDIA_TYPE
from tests.assets.conftest import MEMO, Books
from tests.assets.test_periods import close, restate
from tests.assets.test_router import worked_example

NRV = "近期同类数据包成交价减估计销售费用"

D = Decimal
COLUMNS = ["日期", "凭证字", "凭证号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额"]


async def get_journal(
    books: Books, first: str, last: str, headers: dict[str, str] | None = None, **params: str
) -> httpx.Response:
    return await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-journal",
        params={"from": first, "to": last, **params},
        headers=books.key if headers is None else headers,
    )


def balances(vouchers: Sequence[dict[str, Any]]) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for v in vouchers:
        for line in v["lines"]:
            code = line["account_code"]
            found[code] = found.get(code, D(0)) + D(line["debit"]) - D(line["credit"])
    return found


def check_vouchers(vouchers: Sequence[dict[str, Any]]) -> None:
    """Each voucher balances and has lines; numbers run 1, 2, … in each month, in date
    order."""
    by_month: dict[str, list[dict[str, Any]]] = {}
    for v in vouchers:
        assert v["word"] == "记" and v["lines"]
        assert sum(D(x["debit"]) for x in v["lines"]) == sum(D(x["credit"]) for x in v["lines"])
        for x in v["lines"]:
            assert (D(x["debit"]) > 0) != (D(x["credit"]) > 0), x
        by_month.setdefault(v["date"][:7], []).append(v)
    for month in by_month.values():
        assert [v["number"] for v in month] == list(range(1, len(month) + 1))
        assert [v["date"] for v in month] == sorted(v["date"] for v in month)


async def reconcile(books: Books, first: str, last: str) -> dict[str, Any]:
    """The journal from `first` (before any record) to `last` (after every record) against
    the disclosure of `last`'s closing balances; answers the journal."""
    answer = await get_journal(books, first, last)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    check_vouchers(body["vouchers"])
    assert body["debit_total"] == body["credit_total"]
    found = balances(body["vouchers"])
    fy = (await books.disclosure(last, last)).json()
    intangible, inventory = fy["intangible"]["total"], fy["inventory"]["total"]
    zero = D(0)
    # DOMAIN.md "Work in progress": costs gathered before capitalisation are in the tables
    # from the day incurred, a purchased intangible's on 1701, inventory's on 5001 (在产品).
    assert found.get("1701", zero) == D(intangible["cost_closing"])
    assert -found.get("1702", zero) == D(intangible["amortisation_closing"])
    assert -found.get("1703", zero) == D(intangible["impairment_closing"])
    assert found.get("1405", zero) + found.get("5001", zero) == D(inventory["cost_closing"])
    assert found.get("5001", zero) == D(inventory["work_in_progress_closing"])
    assert -found.get("1471", zero) == D(inventory["write_down_closing"])
    assert found.get("5301", zero) == D(fy["balance_sheet"]["development_expenditure"])
    carrying = found.get("1701", zero) + found.get("1702", zero) + found.get("1703", zero)
    assert carrying == D(fy["balance_sheet"]["intangible_assets"])
    stock = sum((found.get(code, zero) for code in ("1405", "5001", "1471")), zero)
    assert stock == D(fy["balance_sheet"]["inventory"])
    # Disposals: 6001, 6401 and 6115 over the journal's months are the disclosure's revenue,
    # cost of sales and 资产处置收益 of those months.
    period = (await books.disclosure(first, last)).json()
    assert -found.get("6001", zero) == D(period["revenue"])
    assert found.get("6401", zero) == D(period["cost_of_sales"])
    assert -found.get("6115", zero) == D(period["disposal_gain"])
    return body


async def test_the_worked_example_journal_reconciles_to_the_fy2025_disclosure(
    books: Books,
) -> None:
    await worked_example(books)
    body = await reconcile(books, "2025-01", "2025-12")
    found = balances(body["vouchers"])
    assert found["1701"] == D("222200.00")
    assert found["1702"] == D("-39255.56")
    assert found["5301"] == D("0.00")
    assert found["2202"] == D("-242200.00")  # every cost item, research included
    expenses = {}
    for v in body["vouchers"]:
        for x in v["lines"]:
            if x["account_code"] == "6602":
                expenses[x["account_name"]] = expenses.get(x["account_name"], D(0)) + D(x["debit"])
    assert expenses == {
        "管理费用—研究费用": D("20000.00"),
        "管理费用—无形资产摊销": D("39255.56"),
    }
    # February: A's two items, B's research item, the research transfer at the month end.
    february = [v for v in body["vouchers"] if v["date"].startswith("2025-02")]
    assert [(v["date"], v["number"], v["entry_type"]) for v in february] == [
        ("2025-02-14", 1, "cost_item"),
        ("2025-02-20", 2, "cost_item"),
        ("2025-02-20", 3, "cost_item"),
        ("2025-02-28", 4, "research_transfer"),
    ]
    assert february[3]["lines"] == [
        {"account_code": "6602", "account_name": "管理费用—研究费用",
         "debit": "20000.00", "credit": "0.00"},
        {"account_code": "5301", "account_name": "研发支出—费用化支出",
         "debit": "0.00", "credit": "20000.00"},
    ]  # fmt: skip
    # June 30: B is capitalised (5301 资本化支出 → 1701), then amortised that month.
    june_end = [v for v in body["vouchers"] if v["date"] == "2025-06-30"]
    capitalised = next(v for v in june_end if v["entry_type"] == "capitalise")
    assert [(x["account_code"], x["account_name"], x["debit"], x["credit"])
            for x in capitalised["lines"]] == [
        ("1701", "无形资产—数据资源", "80000.00", "0.00"),
        ("5301", "研发支出—资本化支出", "0.00", "80000.00"),
    ]  # fmt: skip
    types = [v["entry_type"] for v in june_end]
    assert types.index("capitalise") < types.index("amortisation")
    # A's March: 142200 / 60 = 2370.00 a month.
    march = [v for v in body["vouchers"]
             if v["date"] == "2025-03-31" and v["entry_type"] == "amortisation"]  # fmt: skip
    assert [x["debit"] for x in march[0]["lines"]] == ["2370.00", "0.00"]
    # The numbers of a month do not depend on the period asked.
    june = (await get_journal(books, "2025-06", "2025-06")).json()["vouchers"]
    assert june == [v for v in body["vouchers"] if v["date"].startswith("2025-06")]
    again = (await get_journal(books, "2025-01", "2025-12")).json()
    assert again == body


def beancount_ledger(vouchers: Sequence[dict[str, Any]], closing: date) -> str:
    """The vouchers as a Beancount ledger: one account per code, one transaction per
    voucher, postings in CNY (debit positive)."""

    def account(code: str) -> str:
        if code.startswith(("1", "5")):
            return f"Assets:A{code}"
        if code.startswith("2"):
            return f"Liabilities:L{code}"
        if code.startswith(("60", "61", "69")):
            return f"Income:I{code}"
        return f"Expenses:E{code}"

    codes = sorted({x["account_code"] for v in vouchers for x in v["lines"]})
    opened = min(v["date"] for v in vouchers)
    out = ['option "operating_currency" "CNY"', ""]
    out += [f"{opened} open {account(c)} CNY" for c in codes]
    for v in vouchers:
        summary = v["summary"].replace("\\", "\\\\").replace('"', '\\"')
        out.append("")
        out.append(f'{v["date"]} * "记-{v["number"]}" "{summary}"')
        for x in v["lines"]:
            amount = D(x["debit"]) - D(x["credit"])
            out.append(f"  {account(x['account_code'])}  {amount} CNY")
    out.append("")
    return "\n".join(out)


async def test_beancount_loads_a_year_of_vouchers_and_finds_the_disclosure(
    books: Books,
) -> None:
    a, _ = await worked_example(books)
    # And inventory, written down at the year end, and an impairment of A in December.
    stock = await books.asset(
        name="港口船舶轨迹数据包", asset_class="inventory", source="processed"
    )
    await books.ok(await books.cost(stock["id"], amount="30000.00", incurred_on="2025-08-01"))
    await books.ok(await books.move(stock["id"], "capitalise", date="2025-08-31"))
    await books.ok(
        await books.move(
            stock["id"],
            "write-down",
            date="2025-12-31",
            net_realisable_value="26000.00",
            nrv_basis="合同售价减估计销售费用",
        )
    )
    await books.ok(
        await books.move(a["id"], "impair", date="2025-12-31", recoverable_amount="100000.00")
    )
    # And inventory still being processed at the year end (在产品, 5001).
    wip = await books.asset(name="气象格点数据加工", asset_class="inventory", source="processed")
    await books.ok(await books.cost(wip["id"], amount="4321.09", incurred_on="2025-11-20"))
    await books.ok(await books.cost(wip["id"], amount="1000.00", incurred_on="2025-12-05"))
    vouchers = (await get_journal(books, "2025-01", "2025-12")).json()["vouchers"]
    fy = (await books.disclosure("2025-01", "2025-12")).json()
    intangible, inventory = fy["intangible"]["total"], fy["inventory"]["total"]
    expected = {
        "Assets:A1701": D(intangible["cost_closing"]),
        "Assets:A1702": -D(intangible["amortisation_closing"]),
        "Assets:A1703": -D(intangible["impairment_closing"]),
        "Assets:A1405": D(inventory["cost_closing"]) - D(inventory["work_in_progress_closing"]),
        "Assets:A1471": -D(inventory["write_down_closing"]),
        "Assets:A5001": D(inventory["work_in_progress_closing"]),
        "Assets:A5301": D(fy["balance_sheet"]["development_expenditure"]),
    }
    assert expected["Assets:A1703"] == D("-18500.00")  # 118500.00 − 100000.00
    assert expected["Assets:A1471"] == D("-4000.00")
    assert expected["Assets:A1405"] == D("30000.00")
    assert expected["Assets:A5001"] == D("5321.09")
    assert D(fy["balance_sheet"]["inventory"]) == D("31321.09")  # 30000 − 4000 + 5321.09
    ledger = beancount_ledger(vouchers, date(2025, 12, 31))
    # Beancount's own `balance` checks, dated the day after the period end.
    checks = "".join(
        f"2026-01-01 balance {name}  {amount} CNY\n" for name, amount in expected.items()
    )
    entries, errors, _ = loader.load_string(ledger + "\n" + checks)
    assert errors == [], [e.message for e in errors]
    # And summed from the entries Beancount parsed.
    summed: dict[str, Decimal] = {}
    for entry in entries:
        if isinstance(entry, bean.Transaction):
            assert sum((p.units.number for p in entry.postings if p.units), D(0)) == 0
            for p in entry.postings:
                assert p.units is not None and p.units.currency == "CNY"
                summed[p.account] = summed.get(p.account, D(0)) + p.units.number
    for name, amount in expected.items():
        assert summed.get(name, D("0.00")) == amount, name
    transactions = [e for e in entries if isinstance(e, bean.Transaction)]
    assert len(transactions) == len(vouchers)
    # A voucher that does not balance is an error to Beancount: the check has teeth.
    broken = ledger.replace(
        "  Liabilities:L2202  -7200.00 CNY", "  Liabilities:L2202  -7100.00 CNY", 1
    )
    assert broken != ledger
    assert loader.load_string(broken)[1]


async def test_a_broad_set_of_movements_balances_and_reconciles(books: Books) -> None:
    """Impairment with restart, disposal with nothing received, inventory written down, sold
    in part, reversed and derecognised, an asset derecognised while gathering, one still
    gathering at the period end, a development project abandoned."""
    impaired = await books.capitalised("12000.00", "2024-01-05", 12, name="减值资产")
    await books.ok(
        await books.move(impaired["id"], "impair", date="2024-03-20", recoverable_amount="4500.00")
    )
    sold = await books.capitalised("24000.00", "2024-07-01", 24, name="处置资产")
    await books.ok(await books.move(sold["id"], "dispose", date="2025-02-10"))
    stock = await books.asset(name="数据包", asset_class="inventory", source="purchased")
    await books.ok(await books.cost(stock["id"], amount="10000.00", incurred_on="2024-02-01"))
    await books.ok(await books.cost(stock["id"], amount="333.33", incurred_on="2024-02-03"))
    await books.ok(await books.move(stock["id"], "capitalise", date="2024-02-28"))
    for action, body in [
        ("write-down", {"date": "2024-03-31", "net_realisable_value": "8000.00", "nrv_basis": NRV}),
        ("dispose", {"date": "2024-05-20", "fraction": "0.3"}),
        (
            "reverse-write-down",
            {"date": "2024-10-31", "net_realisable_value": "7000.00", "nrv_basis": NRV},
        ),
        ("derecognise", {"date": "2025-01-15", "reason": "数据失效"}),
    ]:
        await books.ok(await books.move(stock["id"], action, **body))
    dropped = await books.asset(name="放弃的采购", asset_class="intangible", source="other")
    await books.ok(await books.cost(dropped["id"], amount="500.00", incurred_on="2024-04-01"))
    await books.ok(
        await books.move(dropped["id"], "derecognise", date="2024-04-30", reason="采购取消")
    )
    project = await books.asset(name="终止开发项目", source="developed")
    for phase, amount, on in [("research", "800.00", "2024-05-01"),
                              ("development", "1500.00", "2024-06-01")]:  # fmt: skip
        await books.ok(await books.cost(project["id"], amount=amount, incurred_on=on, phase=phase))
    await books.ok(
        await books.move(project["id"], "derecognise", date="2024-09-30", reason="技术不可行")
    )
    pending = await books.asset(name="在途采购", asset_class="intangible", source="purchased")
    await books.ok(await books.cost(pending["id"], amount="700.00", incurred_on="2025-03-01"))
    wip = await books.asset(name="在产品", asset_class="inventory", source="processed")
    await books.ok(await books.cost(wip["id"], amount="900.00", incurred_on="2025-03-02"))
    developing = await books.asset(name="研发中", source="developed")
    await books.ok(
        await books.cost(
            developing["id"], amount="1200.00", incurred_on="2025-03-03", phase="development"
        )
    )
    body = await reconcile(books, "2024-01", "2025-12")
    found = balances(body["vouchers"])
    assert found["5001"] == D("900.00") and found["5301"] == D("1200.00")
    kinds = {v["entry_type"] for v in body["vouchers"]}
    assert kinds >= {"impair", "dispose", "write_down", "reverse_write_down", "derecognise"}
    # Disposed of for nothing: its carrying amount is a loss on 6115.
    disposal = next(v for v in body["vouchers"] if v["entry_type"] == "dispose" and
                    v["date"] == "2025-02-10")  # fmt: skip
    lines = {x["account_code"]: (x["debit"], x["credit"]) for x in disposal["lines"]}
    assert lines["1701"] == ("0.00", "24000.00")
    assert lines["1702"] == ("7000.00", "0.00")  # July 2024 – January 2025: 7 months
    assert lines["6115"] == ("17000.00", "0.00")
    # The abandoned project's development costs go to research expense (终止开发项目转出).
    abandoned = next(v for v in body["vouchers"] if v["entry_type"] == "derecognise" and
                     v["asset_id"] == project["id"])  # fmt: skip
    assert [(x["account_name"], x["debit"], x["credit"]) for x in abandoned["lines"]] == [
        ("管理费用—研究费用", "1500.00", "0.00"),
        ("研发支出—资本化支出", "0.00", "1500.00"),
    ]
    # The reconciliation holds at every month end, not only the last.
    for month in ("2024-02", "2024-03", "2024-05", "2024-10", "2025-01"):
        fy = (await books.disclosure(month, month)).json()
        upto = [v for v in body["vouchers"] if v["date"][:7] <= month]
        at = balances(upto)
        assert -at.get("1471", D(0)) == D(fy["inventory"]["total"]["write_down_closing"]), month
        assert at.get("1405", D(0)) == D(fy["inventory"]["total"]["cost_closing"]), month
        assert -at.get("1702", D(0)) == D(fy["intangible"]["total"]["amortisation_closing"])
        assert -at.get("1703", D(0)) == D(fy["intangible"]["total"]["impairment_closing"])


async def test_csv_and_xlsx_carry_the_import_layout(books: Books) -> None:
    await worked_example(books)
    hostile = await books.asset(name="=HYPERLINK(\"http://evil\")", asset_class="inventory",
                                source="processed")  # fmt: skip
    await books.ok(await books.cost(hostile["id"], amount="10.00", incurred_on="2025-12-01"))
    body = (await get_journal(books, "2025-01", "2025-12")).json()
    rows = [(v, x) for v in body["vouchers"] for x in v["lines"]]

    as_csv = await get_journal(
        books, "2025-01", "2025-12", headers={**books.key, "Accept": "text/csv"}
    )
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.startswith("\ufeff".encode())
    read = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert read[0] == COLUMNS and len(read) == len(rows) + 1
    for (v, x), row in zip(rows, read[1:], strict=True):
        assert row[:3] == [v["date"], "记", str(v["number"])]
        assert row[4:6] == [x["account_code"], x["account_name"]]
        assert row[6] == ("" if x["debit"] == "0.00" else x["debit"])
        assert row[7] == ("" if x["credit"] == "0.00" else x["credit"])
    assert any(r[3].startswith("'=HYPERLINK") for r in read[1:])
    assert not any(r[3].startswith("=") for r in read[1:])
    by_param = await get_journal(books, "2025-01", "2025-12", format="csv")
    assert by_param.content == as_csv.content

    as_xlsx = await get_journal(books, "2025-01", "2025-12", format="xlsx")
    assert as_xlsx.headers["content-type"] == MEDIA_TYPE
    sheets = load_workbook(io.BytesIO(as_xlsx.content))
    sheet = sheets["记账凭证"]
    cells = list(sheet.iter_rows(values_only=True))
    assert list(cells[0]) == COLUMNS and len(cells) == len(rows) + 1
    for n, ((v, x), row) in enumerate(zip(rows, cells[1:], strict=True), 2):
        assert isinstance(row[0], datetime) and row[0].date().isoformat() == v["date"]
        assert row[1:3] == ("记", v["number"])
        for column, side in ((7, "debit"), (8, "credit")):
            cell = sheet.cell(n, column)
            if x[side] == "0.00":
                assert cell.value is None
            else:
                assert isinstance(cell.value, (int, float)) and cell.number_format == "#,##0.00"
                assert D(str(cell.value)).quantize(D("0.01")) == D(x[side])
    assert any(str(r[3]).startswith("'=HYPERLINK") for r in cells[1:])
    about = {r[0]: r[1] for r in sheets["说明"].iter_rows(values_only=True)}
    assert about["编制单位"] == "杭州数链科技有限公司" and "单位：元" in about
    accept = await get_journal(
        books, "2025-01", "2025-12", headers={**books.key, "Accept": MEDIA_TYPE}
    )
    assert accept.headers["content-type"] == MEDIA_TYPE


async def test_who_reads_the_journal_and_bad_periods(books: Books) -> None:
    await worked_example(books)
    for headers, status in [(books.admin, 200), (books.auditor, 200), (books.other_key, 404),
                            (books.assessor, 403), ({}, 401)]:  # fmt: skip
        assert (
            await get_journal(books, "2025-01", "2025-12", headers=headers)
        ).status_code == status
    assert (await get_journal(books, "2025-12", "2025-01")).status_code == 422
    assert (await get_journal(books, "1989-12", "2025-01")).status_code == 422
    assert (await get_journal(books, "2015-01", "2025-01")).status_code == 422  # > 120 months
    assert (await get_journal(books, "2025-01", "2025-13")).status_code == 422
    assert (await get_journal(books, "2025-01", "2025-12", format="pdf")).status_code == 422
    missing = await books.client.get(
        f"/v1/merchants/{uuid.uuid4()}/data-asset-journal",
        params={"from": "2025-01", "to": "2025-12"},
        headers=books.admin,
    )
    assert missing.status_code == 404


async def test_the_merchant_maps_its_chart(books: Books) -> None:
    await worked_example(books)
    url = f"/v1/merchants/{books.merchant.id}/data-asset-accounts"
    default = await books.client.get(url, headers=books.key)
    assert default.status_code == 200
    accounts = {a["default_code"]: a for a in default.json()["accounts"]}
    assert set(accounts) == set(journal.DEFAULT_CHART) and not any(
        a["mapped"] for a in accounts.values()
    )
    mapping = {"1701": {"code": "170101", "name": "无形资产—数据资源—外购"},
               "5301": {"code": "5301.01", "name": "研发支出（数据）"}}  # fmt: skip
    audits = await books.count("audit_event WHERE action = 'data_asset.accounts'")
    for bad in [
        {"9999": {"code": "1", "name": "x"}},
        {"1701": {"code": "", "name": "x"}},
        {"1701": {"code": "1701", "name": ""}},
        {"1701": {"code": "=1+1", "name": "x"}},
        {"1701": {"code": "1" * 33, "name": "x"}},
        {"1701": {"code": "1701", "name": "x" * 101}},
        {"1701": {"code": "1701", "name": "a\u202eb"}},
        {"1701": {"code": "1701"}},
        {"1701": {"code": "1701", "name": "x", "extra": 1}},
        ["1701"],
    ]:
        refused = await books.client.put(url, json=bad, headers=books.key)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    for headers, status in [(books.other_key, 404), (books.auditor, 403), (books.assessor, 403),
                            ({}, 401)]:  # fmt: skip
        assert (await books.client.put(url, json=mapping, headers=headers)).status_code == status
    assert await books.count("audit_event WHERE action = 'data_asset.accounts'") == audits
    assert await books.count("data_asset_account") == 0
    assert (await books.client.get(url, headers=books.other_key)).status_code == 404
    assert (await books.client.get(url, headers=books.auditor)).status_code == 200

    done = await books.client.put(url, json=mapping, headers=books.key)
    assert done.status_code == 200, done.text
    accounts = {a["default_code"]: a for a in done.json()["accounts"]}
    assert accounts["1701"] == {"default_code": "1701", "default_name": "无形资产—数据资源",
                                "code": "170101", "name": "无形资产—数据资源—外购",
                                "mapped": True}  # fmt: skip
    assert await books.count("audit_event WHERE action = 'data_asset.accounts'") == audits + 1
    row = (
        await books.session.execute(
            text("SELECT details FROM audit_event WHERE action = 'data_asset.accounts'")
        )
    ).scalar_one()
    await books.session.commit()
    assert row["after"]["1701"] == ["170101", "无形资产—数据资源—外购"]
    # The same mapping again changes nothing and audits nothing.
    assert (await books.client.put(url, json=mapping, headers=books.admin)).status_code == 200
    assert await books.count("audit_event WHERE action = 'data_asset.accounts'") == audits + 1

    vouchers = (await get_journal(books, "2025-01", "2025-12")).json()["vouchers"]
    names = {(x["account_code"], x["account_name"]) for v in vouchers for x in v["lines"]}
    assert ("170101", "无形资产—数据资源—外购") in names
    assert ("5301.01", "研发支出（数据）—资本化支出") in names
    assert not any(code in ("1701", "5301") for code, _ in names)
    # `{}` restores the defaults.
    assert (await books.client.put(url, json={}, headers=books.key)).status_code == 200
    vouchers = (await get_journal(books, "2025-01", "2025-12")).json()["vouchers"]
    assert any(x["account_code"] == "1701" for v in vouchers for x in v["lines"])


# --- Over random registers (pure: the journal from the records the engine admits) -------------

START = date(2024, 1, 1)
amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)


def engine_items(items: Sequence[journal.ItemRecord]) -> list[engine.CostItem]:
    return [engine.CostItem(i.amount, i.incurred_on, i.phase, i.vat_deductible) for i in items]


@st.composite
def registers(draw: st.DrawFn) -> journal.AssetRecord:
    asset_class = draw(st.sampled_from(list(AssetClass)))
    source = draw(st.sampled_from(list(engine.SOURCES[asset_class])))
    items = []
    leaf = draw(st.integers(0, 10_000))
    for n in range(draw(st.integers(1, 4))):
        phase = None
        if source is Source.developed:
            phase = draw(st.sampled_from([Phase.research, Phase.development, Phase.development]))
        on = START + timedelta(days=draw(st.integers(0, 400)))
        # Some taxes with deductible VAT (进项税额: 2221, not part of the cost).
        vat = draw(st.integers(0, 4)) == 0
        items.append(
            journal.ItemRecord(
                uuid.uuid4(), "taxes" if vat else "labour", draw(amounts), on, phase, leaf + n, vat
            )
        )
    book = engine.new_book(asset_class, source, engine_items(items))
    movements = []
    day = max(i.incurred_on for i in items)
    for n in range(draw(st.integers(0, 7))):
        day += timedelta(days=draw(st.integers(0, 150)))
        # A cost adjustment is only ever a restatement's record (tested below).
        kind = draw(
            st.sampled_from([t for t in MovementType if t is not MovementType.cost_adjustment])
        )
        current = book.asset_class  # a reclassification changes it
        other = AssetClass.intangible if current is AssetClass.inventory else AssetClass.inventory
        months = (
            draw(st.integers(1, 72))
            if kind in (MovementType.capitalise, MovementType.revise, MovementType.reclassify)
            else None
        )
        # Reclassified to inventory: no life; to intangible: a life (or indefinite).
        lifeless = current is AssetClass.inventory and kind is not MovementType.reclassify
        lifeless = lifeless or (kind is MovementType.reclassify and other is AssetClass.inventory)
        indefinite = months is not None and draw(st.integers(0, 5)) == 0
        fraction = D(draw(st.integers(1, 1000))) / 1000 if draw(st.booleans()) else D(1)
        carrying = book.carrying(engine.month_of(day))
        target = (carrying * D(draw(st.integers(0, 130))) / 100).quantize(D("0.01"))
        movement = engine.Movement(
            kind,
            day,
            useful_life_months=None if lifeless or indefinite else months,
            indefinite=indefinite and not lifeless,
            fraction=fraction,
            amount=target,
            residual_value=(carrying * D("0.1")).quantize(D("0.01"))
            if kind in (MovementType.revise, MovementType.reclassify)
            and not indefinite
            and not lifeless
            else D(0),
            reason="复核",
            to=other if kind is MovementType.reclassify else None,
        )
        try:
            engine.apply(book, movement)
        except Refused:
            continue
        details = {"proceeds": str(draw(amounts))} if draw(st.booleans()) else {}
        movements.append(journal.MovementRecord(uuid.uuid4(), movement, details, leaf + 100 + n))
    return journal.AssetRecord(
        uuid.uuid4(),
        "资产",
        asset_class,
        source,
        datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=leaf),
        items,
        movements,
    )


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(registers(), min_size=1, max_size=5), st.integers(0, 40))
def test_every_voucher_balances_and_the_journal_reconciles(
    assets: list[journal.AssetRecord], offset: int
) -> None:
    first = engine.month_of(START)
    last = first + offset
    vouchers = journal.journal(assets, first, last)
    for v in vouchers:
        assert v.balanced and v.lines
        assert all((x.debit > 0) != (x.credit > 0) for x in v.lines)
    numbers: dict[int, list[int]] = {}
    for v in vouchers:
        numbers.setdefault(engine.month_of(v.date), []).append(v.number)
    assert all(n == list(range(1, len(n) + 1)) for n in numbers.values())
    # A month's vouchers are the same whichever period shows them.
    assert [v for v in vouchers if engine.month_of(v.date) == last] == journal.journal(
        assets, last, last
    )
    found = journal.balances(vouchers)
    books = [
        engine.replay(
            a.asset_class,
            a.source,
            engine_items(a.items),
            [m.movement for m in a.movements],
        )
        for a in assets
    ]
    result = regulation.tables(books, first, last)
    end = engine.month_end(last)
    zero = D(0)
    # DOMAIN.md "Work in progress": 1701 and 1405 + 5001 (在产品) are the tables' closing cost.
    intangible, inventory = result.intangible["total"], result.inventory["total"]
    assert found.get("1701", zero) == intangible.cost_closing
    assert -found.get("1702", zero) == intangible.amortisation_closing
    assert -found.get("1703", zero) == intangible.impairment_closing
    assert found.get("1405", zero) + found.get("5001", zero) == inventory.cost_closing
    assert found.get("5001", zero) == inventory.work_in_progress_closing
    assert -found.get("1471", zero) == inventory.write_down_closing
    assert found.get("5301", zero) == result.development_expenditure
    # Every cost item is owed (2202), and nothing of the expensed research stays on 5301.
    owed = sum((i.amount for a in assets for i in a.items if i.incurred_on <= end), zero)
    assert -found.get("2202", zero) == owed
    vat = [i.amount for a in assets for i in a.items if i.incurred_on <= end and i.vat_deductible]
    assert found.get("2221", zero) == sum(vat, zero)


# --- Over random registers, through HTTP -----------------------------------------------------

HTTP_START = date(2024, 1, 1)
ACTIONS = ["capitalise", "capitalise", "impair", "write-down", "reverse-write-down", "dispose",
           "derecognise", "revise", "reclassify"]  # fmt: skip


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    """One asset: its class, source, cost items and the movements asked (some refused)."""
    asset_class = draw(st.sampled_from(list(AssetClass)))
    source = draw(st.sampled_from(list(engine.SOURCES[asset_class])))
    items = []
    for _ in range(draw(st.integers(1, 3))):
        days = draw(st.integers(0, 300))
        item: dict[str, Any] = {
            "kind": "processing",
            "amount": str(draw(st.decimals(D("1.00"), D("50000.00"), places=2))),
        }
        if draw(st.integers(0, 3)) == 0:  # taxes say whether their VAT is deductible
            item.update(kind="taxes", vat_deductible=draw(st.booleans()))
        if source is Source.developed:
            # Research before development (DOMAIN.md): research in the first 150 days.
            item["phase"] = draw(st.sampled_from(["research", "development", "development"]))
            days = days // 2 if item["phase"] == "research" else 151 + days // 2
        item["incurred_on"] = (HTTP_START + timedelta(days=days)).isoformat()
        items.append(item)
    # Recorded in date order: the first development item starts development, and no later
    # one may lie before it.
    items.sort(key=lambda i: str(i["incurred_on"]))
    day = max(date.fromisoformat(i["incurred_on"]) for i in items)
    moves = []
    for _ in range(draw(st.integers(0, 5))):
        day += timedelta(days=draw(st.integers(0, 120)))
        action = draw(st.sampled_from(ACTIONS))
        body: dict[str, Any] = {"date": day.isoformat()}
        if action == "capitalise" and asset_class is AssetClass.intangible:
            body["useful_life_months"] = draw(st.integers(1, 48))
            if source is Source.developed:
                body["memo"] = MEMO  # the five conditions of CAS 6 第九条
        elif action == "impair":
            body["recoverable_amount"] = str(draw(st.decimals(D("0.00"), D("40000.00"), places=2)))
        elif action in ("write-down", "reverse-write-down"):
            body["net_realisable_value"] = str(
                draw(st.decimals(D("0.00"), D("60000.00"), places=2))
            )
            body["nrv_basis"] = NRV
        elif action == "dispose":
            if asset_class is AssetClass.inventory:
                body["fraction"] = draw(st.sampled_from(["0.25", "0.5", "1"]))
            if draw(st.booleans()):  # proceeds: revenue, or 资产处置收益 against carrying
                body["proceeds"] = str(draw(st.decimals(D("0.00"), D("60000.00"), places=2)))
        elif action == "derecognise":
            body["reason"] = "失效"
        elif action == "reclassify":  # refused (409) when `to` is the class it has
            body.update(to=draw(st.sampled_from(["inventory", "intangible"])), reason="用途改变")
            if body["to"] == "intangible":
                body["useful_life_months"] = draw(st.integers(1, 48))
        elif action == "revise":
            body.update(useful_life_months=draw(st.integers(1, 60)), reason="复核")
            if draw(st.booleans()):
                body["residual_value"] = str(draw(st.decimals(D("0.00"), D("500.00"), places=2)))
        moves.append((action, body))
    return {"asset_class": asset_class.value, "source": source.value, "items": items,
            "moves": moves}  # fmt: skip


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(plans(), min_size=1, max_size=3))
async def test_random_registers_through_http_balance_and_reconcile(
    books: Books, assets: list[dict[str, Any]]
) -> None:
    """The merchant's books grow with every example; each time, the whole journal balances
    and reconciles to the disclosure (refused movements change nothing)."""
    for plan in assets:
        asset = await books.asset(name="随机资产", asset_class=plan["asset_class"],
                                  source=plan["source"])  # fmt: skip
        for item in plan["items"]:
            await books.ok(await books.cost(asset["id"], **item))
        for action, body in plan["moves"]:
            answer = await books.move(asset["id"], action, **body)
            assert answer.status_code in (200, 409, 422), answer.text
    await reconcile(books, "2024-01", "2026-11")


# --- Closed months and restatements ----------------------------------------------------------


async def test_the_close_and_restate_example_journal(books: Books) -> None:
    """DOMAIN.md's close-and-restate example: the closed months' vouchers never change, the
    restatement is one new voucher (Dr 2202 2000.00 / Cr 1701 2000.00; Dr 1702 333.33 / Cr 6901
    333.33) in the first open month, and the journal reconciles to FY2025 as reported and to
    FY2026 restated."""
    a, _ = await worked_example(books)
    assert (await close(books, "2025-12")).status_code == 201
    fy2025 = await get_journal(books, "2025-01", "2025-12")
    march = await get_journal(books, "2025-03", "2025-03")
    as_csv = await get_journal(books, "2025-01", "2025-12", format="csv")
    restated = await restate(
        books,
        a["id"],
        "2025-03",
        {"type": "cost_adjustment", "date": "2025-03-15", "amount": "-2000.00"},
        books.admin,
    )
    assert restated.status_code == 201, restated.text
    renamed = await books.client.patch(
        f"/v1/data-assets/{a['id']}", json={"name": "更名后的数据集"}, headers=books.key
    )
    assert renamed.status_code == 200, renamed.text
    # A closed month's vouchers are exactly those as reported (names as closed), byte for byte.
    assert (await get_journal(books, "2025-01", "2025-12")).content == fy2025.content
    assert (await get_journal(books, "2025-03", "2025-03")).content == march.content
    assert (await get_journal(books, "2025-01", "2025-12", format="csv")).content == as_csv.content
    await reconcile(books, "2025-01", "2025-12")  # to FY2025 as reported

    # The restatement: a new voucher in 2026-01, the first month open when it was recorded
    # (dated the day recorded when that is in 2026-01, else 2026-01-01), first of its day.
    fy2026 = (await get_journal(books, "2026-01", "2026-12")).json()
    [voucher] = [v for v in fy2026["vouchers"] if v["entry_type"] == "restatement"]
    assert voucher["entry_id"] == restated.json()["id"]
    assert voucher["leaf_index"] == restated.json()["leaf_index"]
    assert voucher["asset_id"] == a["id"]
    assert voucher["date"].startswith("2026-01") and voucher["number"] == 1
    assert voucher["summary"].startswith(
        "更名后的数据集 前期差错更正"
    )  # an open month: today's name
    assert [(x["account_code"], x["account_name"], x["debit"], x["credit"])
            for x in voucher["lines"]] == [
        ("2202", "应付账款", "2000.00", "0.00"),
        ("1701", "无形资产—数据资源", "0.00", "2000.00"),
        ("1702", "累计摊销", "333.33", "0.00"),
        ("6901", "以前年度损益调整", "0.00", "333.33"),
    ]  # fmt: skip

    # FY2026: the as-reported opening, the restatement (= 前期差错更正), the restated charges,
    # and the restated closing, in total and at a month end.
    await reconcile(books, "2025-01", "2026-12")
    fy26 = (await books.disclosure("2026-01", "2026-12")).json()["intangible"]["total"]
    flows = balances(fy2026["vouchers"])
    corrections = fy26["prior_period_corrections"]
    assert D(corrections["cost"]) == D("-2000.00")
    opening_reported = D(fy26["cost_opening"]) - D(corrections["cost"])
    assert opening_reported + flows["1701"] == D(fy26["cost_closing"])
    opening_reported = D(fy26["amortisation_opening"]) - D(corrections["amortisation"])
    assert opening_reported - flows["1702"] == D(fy26["amortisation_closing"])
    charged = sum(
        (D(x["debit"]) for v in fy2026["vouchers"] if v["entry_type"] == "amortisation"
         for x in v["lines"]),
        D(0),
    )  # fmt: skip
    assert charged == D("28040.00") + D("26666.66") == D(fy26["amortisation_charge"])
    assert flows["6901"] == D("-333.33")
    upto = (await get_journal(books, "2025-01", "2026-01")).json()["vouchers"]
    january = (await books.disclosure("2026-01", "2026-01")).json()["intangible"]["total"]
    assert balances(upto)["1701"] == D(january["cost_closing"])
    assert -balances(upto)["1702"] == D(january["amortisation_closing"])


async def test_a_restated_movement_is_its_voucher_with_prior_years_profit_and_loss(
    books: Books,
) -> None:
    """An impairment restated into a closed March: its own voucher with 6701 as 6901, then the
    catch-up of April–June's amortisation; later closes keep every month as reported."""
    asset = await books.capitalised("12000.00", "2025-01-10", 24)  # 500.00 a month
    assert (await close(books, "2025-06")).status_code == 201
    june = await get_journal(books, "2025-06", "2025-06")
    restated = await restate(
        books,
        asset["id"],
        "2025-03",
        {"type": "impair", "date": "2025-03-31", "recoverable_amount": "8000.00"},
        books.admin,
    )
    assert restated.status_code == 201, restated.text
    assert (await get_journal(books, "2025-06", "2025-06")).content == june.content
    body = await reconcile(books, "2025-01", "2025-12")  # to the restated figures
    [voucher] = [v for v in body["vouchers"] if v["entry_type"] == "restatement"]
    assert voucher["date"].startswith("2025-07")
    # March: carrying 10500.00 → 8000.00; then 8000.00 over 21 months: April–June 1142.86
    # instead of 1500.00.
    assert [(x["account_code"], x["debit"], x["credit"]) for x in voucher["lines"]] == [
        ("6901", "2500.00", "0.00"),
        ("1703", "0.00", "2500.00"),
        ("1702", "357.14", "0.00"),
        ("6901", "0.00", "357.14"),
    ]
    # Closing July keeps it (it was recorded before), and nothing of March moves.
    july = await get_journal(books, "2025-07", "2025-07")
    assert (await close(books, "2025-07")).status_code == 201
    assert (await get_journal(books, "2025-07", "2025-07")).content == july.content
    assert (await get_journal(books, "2025-06", "2025-06")).content == june.content
    await reconcile(books, "2025-01", "2025-12")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(registers(), min_size=1, max_size=4),
    st.integers(12, 36),
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(-3000, 3000), st.booleans()),
        min_size=1,
        max_size=4,
    ),
)
def test_restatements_keep_closed_months_and_restate_the_open_ones(
    assets: list[journal.AssetRecord],
    closed: int,
    asked: list[tuple[int, int, bool]],
) -> None:
    """Close the months through `closed`, then restate (cost items of assets still gathering,
    cost adjustments or impairments dated back into closed months, where the engine admits
    them): every closed month's vouchers
    are as before, and from the first open month on the journal's balance-sheet accounts at
    each month end are those of the restated register (profit and loss of the closed months
    being on 6901)."""
    first = engine.month_of(START)
    through = first + closed
    close_leaf = 50_000
    before_close = journal.journal(assets, first, through)
    closes = [journal.CloseRecord(through, close_leaf)]
    restatements = []
    for n, (which, cents, impair) in enumerate(asked):
        asset = assets[which % len(assets)]
        book = engine.replay(
            asset.asset_class,
            asset.source,
            engine_items(asset.items),
            [m.movement for m in asset.movements],
        )
        if book.status in engine.GATHERING:  # a cost item forgotten in a closed month
            day = START + timedelta(days=abs(cents) % 300)
            phase = None
            if asset.source is Source.developed:
                phase = Phase.research if cents < 0 else Phase.development
            item = journal.ItemRecord(
                uuid.uuid4(), "labour", D(abs(cents) + 1) / 10, day, phase, close_leaf + 10 * n + 1
            )
            changed = replace(asset, items=[*asset.items, item])
            assets = [changed if a.id == asset.id else a for a in assets]
            restatements.append(
                journal.RestatementRecord(
                    uuid.uuid4(),
                    asset.id,
                    item.id,
                    engine.month_of(day),
                    close_leaf + 10 * n + 2,
                    date(2027, 3, 1),
                )
            )
            continue
        start = book.capitalised_month
        if start is None or start > through:
            continue
        on = engine.month_end(start + (through - start) * (cents % 7) // 6)
        if impair:
            carrying = book.carrying(engine.month_of(on))
            movement = engine.Movement(
                MovementType.impair, on, amount=(carrying * D("0.8")).quantize(D("0.01"))
            )
        else:
            movement = engine.Movement(MovementType.cost_adjustment, on, amount=D(cents) / 10)
        record = journal.MovementRecord(uuid.uuid4(), movement, {}, close_leaf + 10 * n + 1)
        candidate = replace(asset, movements=[*asset.movements, record])
        try:
            restated = engine.replay(
                asset.asset_class,
                asset.source,
                engine_items(asset.items),
                [m.movement for m in candidate.movements],
            )
        except Refused:
            continue
        if restated.postings == book.postings:  # e.g. a yearly impairment test with no charge
            continue  # changes no figure, so it has no voucher
        assets = [candidate if a.id == asset.id else a for a in assets]
        restatements.append(
            journal.RestatementRecord(
                uuid.uuid4(),
                asset.id,
                record.id,
                engine.month_of(on),
                close_leaf + 10 * n + 2,
                date(2027, 3, 1),
            )
        )
    event(f"restatements: {min(len(restatements), 2)}")
    last = through + 12
    kept = journal.journal(assets, first, last, closes, restatements)
    for v in kept:
        assert v.balanced and v.lines
    assert [v for v in kept if engine.month_of(v.date) <= through] == before_close
    assert [v.entry.type for v in kept].count("restatement") == len(restatements)
    restated = journal.journal(assets, first, last)

    def sheet(vouchers: Sequence[journal.Voucher], month: int) -> dict[str, Decimal]:
        found = journal.balances([v for v in vouchers if engine.month_of(v.date) <= month])
        return {k: v for k, v in found.items() if not k.startswith("6") and v}

    for month in range(through + 1, last + 1):
        assert sheet(kept, month) == sheet(restated, month), engine.month_text(month)
