"""The trade CSV export for a reader with a spreadsheet: Chinese headers on request
(`?headers=zh`, or `Accept-Language: zh-CN`), the parties' registered names, where each
trade stands now and its last event, and the time in Asia/Shanghai as Excel reads a date.
The cell rule (never a live formula) and who sees which trade hold for the new columns."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.roles import Role
from app.trades.export import CHINESE_HEADERS, COLUMNS
from tests.factories import auth, idempotent, make_key, make_merchant
from tests.trades.conftest import Parties

EXPORT = "/v1/transactions/export"


def _rows(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def _header(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return next(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


async def _event(parties: Parties, trade: dict[str, Any], kind: str, who: Any = None) -> None:
    added = await parties.client.post(
        f"/v1/transactions/{trade['id']}/events",
        json={"type": kind, "occurred_at": "2026-11-21T10:00:00+08:00"},
        headers=idempotent(who or parties.admin),
    )
    assert added.status_code == 201, added.text


async def test_chinese_headers_on_request(parties: Parties) -> None:
    await parties.record()
    english = _header(await parties.client.get(EXPORT, headers=parties.auditor))
    assert english == COLUMNS and english[-7:] == [
        "seller_name", "buyer_name", "status", "last_event", "occurred_at_local",
        "fee_before_waiver", "fee_waiver_id",
    ]  # fmt: skip
    asked = await parties.client.get(EXPORT, params={"headers": "zh"}, headers=parties.auditor)
    chinese = _header(asked)
    assert chinese == [CHINESE_HEADERS[c] for c in COLUMNS]
    assert chinese[-7:-2] == ["卖方名称", "买方名称", "状态", "最近事件", "成交时间（北京时间）"]
    assert chinese[-2:] == ["减免前手续费", "减免规则编号"]
    by_language = await parties.client.get(
        EXPORT, headers={**parties.auditor, "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    )
    assert _header(by_language) == chinese
    assert "Accept-Language" in by_language.headers["vary"]
    # The cells are the same whichever the headers; `headers=en` wins over the language.
    assert asked.content.split(b"\n", 1)[1] == by_language.content.split(b"\n", 1)[1]
    overridden = await parties.client.get(
        EXPORT, params={"headers": "en"}, headers={**parties.auditor, "Accept-Language": "zh-CN"}
    )
    assert _header(overridden) == COLUMNS
    wrong = await parties.client.get(EXPORT, params={"headers": "fr"}, headers=parties.auditor)
    assert wrong.status_code == 422
    assert wrong.headers["content-type"].startswith("application/problem+json")


async def test_names_status_last_event_and_local_time(
    parties: Parties, session: AsyncSession
) -> None:
    recorded = (await parties.record(occurred_at="2026-11-20T02:00:00Z")).json()
    await _event(parties, recorded, "delivered")
    await _event(parties, recorded, "settled")
    reported = (await parties.record(headers=parties.seller_key)).json()
    confirmed = (await parties.record(headers=parties.seller_key)).json()
    await _event(parties, confirmed, "confirmed", parties.buyer_key)
    late = (await parties.record(headers=parties.seller_key)).json()
    await _event(parties, late, "confirmed", parties.buyer_key)
    await _event(parties, late, "delivered", parties.seller_key)
    await _event(parties, late, "confirmed")  # an operator confirms it after the delivery

    rows = {r["id"]: r for r in _rows(await parties.client.get(EXPORT, headers=parties.auditor))}
    stands = {
        name: (rows[trade["id"]]["status"], rows[trade["id"]]["last_event"])
        for name, trade in {
            "recorded": recorded, "reported": reported, "confirmed": confirmed, "late": late,
        }.items()
    }  # fmt: skip
    assert stands == {
        "recorded": ("settled", "settled"),
        "reported": ("unconfirmed", ""),
        "confirmed": ("confirmed", "confirmed"),
        "late": ("delivered", "confirmed"),
    }
    row = rows[recorded["id"]]
    assert (row["seller_name"], row["buyer_name"]) == (parties.seller.name, parties.buyer.name)
    assert row["occurred_at_local"] == "2026-11-20 10:00:00"
    assert row["occurred_at"] == "2026-11-20T10:00:00.000000+08:00"
    assert all(
        re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", r["occurred_at_local"])
        for r in rows.values()
    )


async def test_names_are_inert_and_only_of_trades_the_reader_sees(
    parties: Parties, session: AsyncSession
) -> None:
    """A merchant registered as `=HYPERLINK(…)` is text in the auditor's spreadsheet; a
    merchant's export names only the parties of its own trades."""
    evil = await make_merchant(session, name='=HYPERLINK("http://evil.example","点我")')
    secret = await make_merchant(session, name="保密交易对手有限公司")
    await parties.record(buyer_merchant_id=str(evil.id))
    await parties.record(seller_merchant_id=str(secret.id), buyer_merchant_id=str(evil.id))
    mine = await parties.record()

    rows = _rows(await parties.client.get(EXPORT, headers=parties.auditor))
    assert len(rows) == 3
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert {r["buyer_name"] for r in rows} == {"'" + evil.name, parties.buyer.name}

    buyer = await parties.client.get(EXPORT, headers=parties.buyer_key)
    assert [r["id"] for r in _rows(buyer)] == [mine.json()["id"]]
    assert secret.name.encode() not in buyer.content and b"HYPERLINK" not in buyer.content
    stranger = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    nothing = await parties.client.get(EXPORT, params={"headers": "zh"}, headers=stranger)
    assert _rows(nothing) == [] and parties.seller.name.encode() not in nothing.content
