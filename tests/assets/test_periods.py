"""Closed periods (DOMAIN.md "Books a CPA signs"): closes through the API, in order and
never reopened, a FIN leaf with the as-reported report's digest; nothing dated in a closed
month but a restatement (409 `period_closed`); and DOMAIN.md's "Worked example, close and
restate" to the cent, `as_reported` byte for byte the same after the restatement."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from typing import Any

import httpx
import rfc8785

from tests.assets.conftest import Books
from tests.assets.test_router import worked_example


async def close(
    books: Books, through: str, headers: dict[str, str] | None = None, merchant: Any = None
) -> httpx.Response:
    merchant_id = (merchant or books.merchant).id
    return await books.client.post(
        f"/v1/merchants/{merchant_id}/data-asset-periods",
        json={"through": through},
        headers={
            **(books.key if headers is None else headers),
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )


async def restate(
    books: Books, asset_id: str, period: str, entry: dict[str, Any], headers: dict[str, str]
) -> httpx.Response:
    return await books.client.post(
        f"/v1/data-assets/{asset_id}/restatements",
        json={
            "period": period,
            "reason": "清洗费发票金额为 10000.00 而非 12000.00",
            "entry": entry,
        },
        headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
    )


def digest_of(document: dict[str, Any]) -> str:
    rest = {k: v for k, v in document.items() if k != "report_sha256"}
    return hashlib.sha256(rfc8785.dumps(rest)).hexdigest()


def carrying(fy: dict[str, Any]) -> tuple[str, str, str]:
    table = fy["intangible"]
    return tuple(table[c]["carrying_closing"] for c in ("purchased", "developed", "total"))  # type: ignore[return-value]


async def test_the_close_and_restate_example_comes_out_exactly(books: Books) -> None:
    a, _ = await worked_example(books)
    closed = await close(books, "2025-12")
    assert closed.status_code == 201, closed.text
    the_close = closed.json()
    assert the_close["through"] == "2025-12" and the_close["ledger"] == "FIN"

    reported = await books.disclosure("2025-01", "2025-12")
    assert reported.status_code == 200, reported.text
    fy = reported.json()
    assert (fy["basis"], fy["closed"]) == ("as_reported", True)
    assert fy["report_sha256"] == the_close["report_sha256"] == digest_of(fy)
    assert carrying(fy) == ("118500.00", "64444.44", "182944.44")
    assert fy["restatements"] == []

    # On 2026-02-10 the operator restates 2025-03: cleaning was 10000.00, not 12000.00.
    restated = await restate(
        books,
        a["id"],
        "2025-03",
        {"type": "cost_adjustment", "date": "2025-03-15", "amount": "-2000.00"},
        books.admin,
    )
    assert restated.status_code == 201, restated.text
    assert restated.json()["state"] == "applied" and restated.json()["leaf_index"] is not None

    # As reported: the very same bytes.
    again = await books.disclosure("2025-01", "2025-12")
    assert again.content == reported.content
    explicit = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-12", "basis": "as_reported"},
        headers=books.auditor,
    )
    assert explicit.content == reported.content

    # Restated FY2025: A cost 140200.00, accumulated 23366.67, carrying 116833.33.
    answer = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-12", "basis": "restated"},
        headers=books.key,
    )
    fy_restated = answer.json()
    assert fy_restated["basis"] == "restated" and fy_restated["closed"] is True
    purchased = fy_restated["intangible"]["purchased"]
    assert purchased["cost_closing"] == "140200.00"
    assert purchased["cost_additions"]["purchase"] == "140200.00"
    assert purchased["amortisation_closing"] == "23366.67"
    assert carrying(fy_restated) == ("116833.33", "64444.44", "181277.77")
    assert fy_restated["report_sha256"] == digest_of(fy_restated) != fy["report_sha256"]
    [line] = fy_restated["restatements"]
    assert (line["asset_id"], line["period"], line["type"]) == (
        a["id"],
        "2025-03",
        "cost_adjustment",
    )
    assert line["effect"]["cost"] == "-2000.00"
    assert line["effect"]["accumulated_amortisation"] == "-333.33"
    assert line["effect"]["carrying_amount"] == "-1666.67"

    # FY2026: opening 181277.77 with 前期差错更正 −1666.67 on A; charges and closing.
    fy26 = (await books.disclosure("2026-01", "2026-12")).json()
    assert (fy26["basis"], fy26["closed"]) == ("restated", False)
    purchased, developed, total = (
        fy26["intangible"][c] for c in ("purchased", "developed", "total")
    )
    assert total["carrying_opening"] == "181277.77"
    assert purchased["prior_period_corrections"] == {
        "cost": "-2000.00",
        "amortisation": "-333.33",
        "impairment": "0.00",
        "carrying": "-1666.67",
    }
    assert developed["prior_period_corrections"]["carrying"] == "0.00"
    assert total["prior_period_corrections"]["carrying"] == "-1666.67"
    assert (purchased["amortisation_charge"], developed["amortisation_charge"]) == (
        "28040.00",
        "26666.66",
    )
    assert carrying(fy26) == ("88793.33", "37777.78", "126571.11")
    [line] = fy26["restatements"]  # it touches FY2026's opening balances
    assert line["effect"]["carrying_opening"] == "-1666.67"

    # The close is a leaf of FIN its merchant, operators and auditors read.
    listed = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-periods", headers=books.auditor
    )
    assert listed.status_code == 200 and listed.json() == [the_close]


async def test_closed_means_closed_for_every_entry(books: Books) -> None:
    kept = await books.capitalised("1200.00", "2025-06-10", 12)
    gathering = await books.asset(name="在建数据集")
    assert (await close(books, "2025-12")).status_code == 201
    before = [await books.count(t) for t in ("data_asset_cost_item", "data_asset_movement")]
    refused = [
        await books.cost(gathering["id"], incurred_on="2025-12-31"),
        await books.cost(gathering["id"], incurred_on="2019-01-01"),
        await books.move(kept["id"], "impair", date="2025-12-31", recoverable_amount="100.00"),
        await books.move(kept["id"], "derecognise", date="2025-07-01", reason="失效"),
        await books.move(kept["id"], "dispose", date="2025-11-30", headers=books.admin),
    ]
    for answer in refused:
        assert answer.status_code == 409, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        problem = answer.json()
        assert problem["type"] == "urn:shushang:problem:period-closed"
        assert problem["code"] == "period_closed" and problem["closed_through"] == "2025-12"
    after = [await books.count(t) for t in ("data_asset_cost_item", "data_asset_movement")]
    assert after == before
    # January is open.
    assert (await books.cost(gathering["id"], incurred_on="2026-01-02")).status_code == 201


async def test_months_close_in_order_and_never_reopen(books: Books) -> None:
    await books.capitalised("1200.00", "2025-01-10", 12)
    first = await close(books, "2025-06", headers=books.admin)
    assert first.status_code == 201, first.text
    for through in ("2025-06", "2025-03", "2024-12"):
        answer = await close(books, through)
        assert answer.status_code == 409, answer.text
        assert answer.json()["closed_through"] == "2025-06"
    for through in ("2026-12", "2027-01", "2100-12", "2025-13", "25-01", "1989-12"):
        assert (await close(books, through)).status_code == 422, through
    later = await close(books, "2025-09")
    assert later.status_code == 201
    assert later.json()["leaf_index"] > first.json()["leaf_index"]
    # The report of a later close is that of January … its month, as reported.
    fy = (await books.disclosure("2025-01", "2025-09")).json()
    assert fy["report_sha256"] == later.json()["report_sha256"]
    # A month in the middle of a close is closed, as reported by the close that closed it.
    mid = (await books.disclosure("2025-07", "2025-08")).json()
    assert (mid["basis"], mid["closed"]) == ("as_reported", True)
    # An open period has nothing reported yet.
    open_period = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-10", "basis": "as_reported"},
        headers=books.key,
    )
    assert open_period.status_code == 422
    assert (await books.disclosure("2025-01", "2025-10")).json()["basis"] == "restated"
    assert await books.count("data_asset_period_close") == 2


async def test_only_the_merchant_or_an_operator_closes_its_months(books: Books) -> None:
    await books.capitalised("1200.00", "2025-01-10", 12)
    assert (await close(books, "2025-06", headers=books.other_key)).status_code == 404
    assert (await close(books, "2025-06", headers=books.auditor)).status_code == 403
    assert (await close(books, "2025-06", headers=books.assessor)).status_code == 403
    assert (await close(books, "2025-06", headers={})).status_code == 401
    # Its own key closes its own merchant only.
    assert (
        await close(books, "2025-06", headers=books.key, merchant=books.other)
    ).status_code == 404
    unknown = await books.client.post(
        f"/v1/merchants/{uuid.uuid4()}/data-asset-periods",
        json={"through": "2025-06"},
        headers={**books.admin, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert unknown.status_code == 404
    assert await books.count("data_asset_period_close") == 0
    listed = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-periods", headers=books.other_key
    )
    assert listed.status_code == 404


async def test_a_close_is_retry_safe_and_two_racing_closes_close_once(books: Books) -> None:
    await books.capitalised("1200.00", "2025-01-10", 12)
    url = f"/v1/merchants/{books.merchant.id}/data-asset-periods"
    bare = await books.client.post(url, json={"through": "2025-03"}, headers=books.key)
    assert bare.status_code == 428
    key = {**books.key, "Idempotency-Key": str(uuid.uuid4())}
    first = await books.client.post(url, json={"through": "2025-03"}, headers=key)
    retry = await books.client.post(url, json={"through": "2025-03"}, headers=key)
    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content and retry.headers["Idempotent-Replayed"] == "true"
    answers = await asyncio.gather(close(books, "2025-06"), close(books, "2025-06", books.admin))
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert await books.count("data_asset_period_close") == 2
    # Or If-Match, the ETag of the list of closes read: a stale one is 412.
    read = await books.client.get(url, headers=books.key)
    stale = await books.client.post(
        url, json={"through": "2025-09"}, headers={**books.key, "If-Match": '"1"'}
    )
    assert stale.status_code == 412, stale.text
    fresh = await books.client.post(
        url, json={"through": "2025-09"}, headers={**books.key, "If-Match": read.headers["ETag"]}
    )
    assert fresh.status_code == 201, fresh.text
    again = await books.client.post(
        url, json={"through": "2025-10"}, headers={**books.key, "If-Match": read.headers["ETag"]}
    )
    assert again.status_code == 412  # a retry of the same step meets a newer list
    assert await books.count("data_asset_period_close") == 3


async def test_an_entry_racing_a_close_is_in_its_report_or_refused(books: Books) -> None:
    for n in range(3):
        asset = await books.asset(name=f"数据集 {n}")
        through = f"202{n}-12"
        entry, closed = await asyncio.gather(
            books.cost(asset["id"], incurred_on=f"202{n}-11-01"), close(books, through)
        )
        assert closed.status_code == 201, closed.text
        assert entry.status_code in (201, 409), entry.text
        # The report the close carries is the as-reported disclosure, whichever came first.
        fy = (await books.disclosure(f"202{n}-01", through)).json()
        assert fy["report_sha256"] == closed.json()["report_sha256"]
        assert json.loads(entry.content).get("code", "") in ("", "period_closed")


async def test_renaming_an_asset_never_changes_a_report_as_closed(books: Books) -> None:
    asset = await books.capitalised("1200.00", "2025-01-10", 24, description="原描述")
    closed = (await close(books, "2025-12")).json()
    reported = await books.disclosure("2025-01", "2025-12")
    for change in ({"name": "改名后的数据集"}, {"description": "新描述", "name": "再次改名"}):
        renamed = await books.client.patch(
            f"/v1/data-assets/{asset['id']}", json=change, headers=books.key
        )
        assert renamed.status_code == 200, renamed.text
    again = await books.disclosure("2025-01", "2025-12")
    assert again.content == reported.content
    assert again.json()["report_sha256"] == closed["report_sha256"]
    assert again.json()["assets"][0]["name"] == asset["name"]
    restated = await books.client.get(
        f"/v1/merchants/{books.merchant.id}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-12", "basis": "restated"},
        headers=books.key,
    )
    assert restated.json()["assets"][0]["name"] == "再次改名"
    assert restated.json()["significant"][0]["description"] == "新描述"
