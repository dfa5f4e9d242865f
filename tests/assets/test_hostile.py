"""The register under hostile use: who may read and keep which books, evidence that does not
hold, movements out of order or state, stale writes, and races on one asset or one trade.
Each refusal leaves the database as it was."""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.assets import workbook
from app.core.cells import FORMULA_STARTS
from app.core.roles import Role
from tests.assets.conftest import MEMO, Books
from tests.factories import auth, idempotent, make_key, make_product
from tests.ip.test_router import Registry


async def snapshot(books: Books) -> tuple[int, int, int]:
    return (
        await books.count("data_asset"),
        await books.count("data_asset_cost_item"),
        await books.count("data_asset_movement"),
    )


async def test_books_are_private_to_their_merchant_and_staff(books: Books) -> None:
    asset = await books.capitalised("1200.00", "2025-01-10", 12)
    aid = asset["id"]
    before = await snapshot(books)
    client = books.client

    # Another merchant: not found, whether it reads or writes.
    for method, path, body in [
        ("GET", f"/v1/data-assets/{aid}", None),
        ("GET", f"/v1/data-assets/{aid}/schedule", None),
        ("PATCH", f"/v1/data-assets/{aid}", {"name": "改名"}),
        ("POST", f"/v1/data-assets/{aid}/dispose", {"date": "2025-06-01"}),
        ("POST", f"/v1/data-assets/{aid}/impair", {"date": "2025-06-01",
                                                   "recoverable_amount": "1.00"}),
    ]:  # fmt: skip
        answer = await client.request(method, path, json=body, headers=idempotent(books.other_key))
        assert answer.status_code == 404, (path, answer.text)
    listed = await client.get("/v1/data-assets", headers=books.other_key)
    assert listed.json()["items"] == []
    spied = await client.get(
        "/v1/data-assets", params={"merchant_id": str(books.merchant.id)}, headers=books.other_key
    )
    assert spied.json()["items"] == []
    other_books = await books.disclosure("2025-01", "2025-12", headers=books.other_key)
    assert other_books.status_code == 404

    # The auditor reads everything and changes nothing; assessors and the public see nothing.
    assert (await client.get(f"/v1/data-assets/{aid}", headers=books.auditor)).status_code == 200
    assert (await books.disclosure("2025-01", "2025-12", headers=books.auditor)).status_code == 200
    written = await books.move(aid, "dispose", headers=books.auditor, date="2025-06-01")
    assert written.status_code == 403
    assert (await books.cost(aid, headers=books.auditor)).status_code == 403
    for headers in (books.assessor, {}):
        expected = 403 if headers else 401
        assert (await client.get(f"/v1/data-assets/{aid}", headers=headers)).status_code == expected
        assert (await client.get("/v1/data-assets", headers=headers)).status_code == expected
        assert (await books.disclosure("2025-01", "2025-12", headers=headers)).status_code == (
            expected
        )

    # A merchant opening an asset for another merchant, or naming another's product.
    for_other = await client.post(
        "/v1/data-assets",
        json={"name": "冒名资产", "asset_class": "intangible", "source": "purchased",
              "merchant_id": str(books.other.id)},
        headers=books.key,
    )  # fmt: skip
    assert for_other.status_code == 403
    theirs = await make_product(books.session, books.other)
    on_theirs = await client.post(
        "/v1/data-assets",
        json={"name": "他人产品", "asset_class": "intangible", "source": "purchased",
              "product_id": str(theirs.id)},
        headers=books.key,
    )  # fmt: skip
    assert on_theirs.status_code == 422
    assert on_theirs.json()["errors"][0]["loc"] == ["body", "product_id"]
    assert await snapshot(books) == before
    shown = (await client.get(f"/v1/data-assets/{aid}", headers=books.key)).json()
    assert shown["name"] == asset["name"] and shown["status"] == "capitalised"


async def test_the_operator_keeps_anyones_books(books: Books) -> None:
    nameless = await books.client.post(
        "/v1/data-assets",
        json={"name": "运营方代登记", "asset_class": "inventory", "source": "purchased"},
        headers=books.admin,
    )
    assert nameless.status_code == 422  # whose asset?
    asset = await books.asset(
        headers=books.admin, merchant_id=str(books.merchant.id), asset_class="inventory"
    )
    assert asset["merchant_id"] == str(books.merchant.id)
    assert "capitalise" in asset["allowed_actions"]
    mine = await books.client.get(f"/v1/data-assets/{asset['id']}", headers=books.key)
    assert mine.status_code == 200
    assert (await books.client.get(f"/v1/data-assets/{asset['id']}", headers=books.auditor)).json()[
        "allowed_actions"
    ] == []


async def refused_evidence(books: Books, aid: str, field: str, **item: Any) -> None:
    before = await snapshot(books)
    answer = await books.cost(aid, **item)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["body", field]
    assert await snapshot(books) == before


async def test_evidence_that_does_not_hold_is_refused(
    books: Books, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    asset = await books.asset(product_id=str(books.product.id))
    aid = asset["id"]
    bought = await books.trade("100000.00")

    # A trade the merchant sold, not bought; one that does not exist.
    sold = await books.trade(
        "50000.00",
        seller_merchant_id=str(books.merchant.id),
        buyer_merchant_id=str(books.seller.id),
    )
    await refused_evidence(
        books, aid, "trade_id", kind="purchase_price", incurred_on="2025-03-01", trade_id=sold["id"]
    )
    await refused_evidence(books, aid, "trade_id", trade_id=str(uuid.uuid4()))
    # More than the trade's amount, at once or in two items (on two assets).
    await refused_evidence(
        books,
        aid,
        "amount",
        kind="purchase_price",
        amount="100000.01",
        incurred_on="2025-03-01",
        trade_id=bought["id"],
    )
    await books.ok(
        await books.cost(aid, amount="60000.00", incurred_on="2025-03-01", trade_id=bought["id"])
    )
    second = await books.asset(name="第二个资产")
    await refused_evidence(
        books,
        second["id"],
        "amount",
        amount="40000.01",
        incurred_on="2025-03-01",
        trade_id=bought["id"],
    )
    await books.ok(
        await books.cost(
            second["id"], amount="40000.00", incurred_on="2025-03-01", trade_id=bought["id"]
        )
    )
    # A trade the seller reported and the merchant has not confirmed; then confirmed.
    reported = await books.trade("8000.00", headers=books.seller_key)
    assert reported["confirmed"] is False
    await refused_evidence(
        books, aid, "trade_id", amount="8000.00", incurred_on="2025-03-01", trade_id=reported["id"]
    )
    confirmed = await client.post(
        f"/v1/transactions/{reported['id']}/events",
        json={"type": "confirmed"},
        headers=idempotent(books.key),
    )
    assert confirmed.status_code == 201, confirmed.text
    await books.ok(
        await books.cost(aid, amount="8000.00", incurred_on="2025-03-01", trade_id=reported["id"])
    )
    # A cancelled trade backs nothing.
    cancelled = await books.trade("500.00")
    undone = await client.post(
        f"/v1/transactions/{cancelled['id']}/events",
        json={"type": "cancelled"},
        headers=idempotent(books.admin),
    )
    assert undone.status_code == 201, undone.text
    await refused_evidence(
        books, aid, "trade_id", amount="500.00", incurred_on="2025-03-01", trade_id=cancelled["id"]
    )

    # An assessment of another product; a self-check; an unknown one.
    other_product = await make_product(session, books.other)
    other_key = books.other_key
    sample = await client.post(
        f"/v1/products/{other_product.id}/samples",
        files={"file": ("s.csv", "城市,数值\n杭州,1\n".encode(), "text/csv")},
        headers=other_key,
    )
    assert sample.status_code == 201
    theirs = await client.post(
        f"/v1/products/{other_product.id}/quality-assessments", json={}, headers=books.admin
    )
    await refused_evidence(
        books, aid, "assessment_id", kind="quality_assessment", assessment_id=theirs.json()["id"]
    )
    independent = await books.independent_assessment()
    self_check = await client.post(
        f"/v1/products/{books.product.id}/quality-assessments", json={}, headers=books.key
    )
    assert self_check.status_code == 201 and self_check.json()["self_check"] is True
    await refused_evidence(
        books, aid, "assessment_id", kind="quality_assessment",
        assessment_id=self_check.json()["id"],
    )  # fmt: skip
    await refused_evidence(books, aid, "assessment_id", assessment_id=str(uuid.uuid4()))
    # An asset naming no product has no assessment to rest on.
    await refused_evidence(books, second["id"], "assessment_id", assessment_id=independent)
    await books.ok(await books.cost(aid, kind="quality_assessment", assessment_id=independent))

    # A certificate another merchant holds; one that does not exist; a malformed number.
    registry = await Registry().setup(client, session)
    certificate = await registry.registered()
    await refused_evidence(
        books, aid, "certificate_number", certificate_number=certificate["certificate_number"]
    )
    await refused_evidence(books, aid, "certificate_number", certificate_number="2" * 17)
    await refused_evidence(books, aid, "certificate_number", certificate_number="12345")
    # Anything else is no evidence at all.
    await refused_evidence(books, aid, "invoice_number", invoice_number="No. 0001")


async def test_cost_items_and_movements_keep_to_the_rules(books: Books) -> None:
    asset = await books.asset(source="developed")
    aid = asset["id"]
    await refused_evidence(books, aid, "phase")  # a developed asset's item needs its phase
    plain = await books.asset(name="外购")
    await refused_evidence(books, plain["id"], "phase", phase="research")
    await refused_evidence(books, aid, "incurred_on", phase="research", incurred_on="1989-12-31")
    await refused_evidence(books, aid, "incurred_on", phase="research", incurred_on="2999-01-01")
    await refused_evidence(books, aid, "amount", phase="research", amount="-5.00")
    # Issue 27: the table's CHECK (amount > 0) answered 0.00 with a 500.
    before = await snapshot(books)
    for zero in ("0", "0.00", "0000000000000.0"):
        retry_safe = {**books.key, "Idempotency-Key": str(uuid.uuid4())}
        answer = await books.cost(aid, retry_safe, phase="research", amount=zero)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["loc"] == ["body", "amount"]
    assert await snapshot(books) == before
    await refused_evidence(books, aid, "amount", phase="research", amount="１００")  # not ASCII
    await refused_evidence(books, aid, "kind", phase="research", kind="bribes")

    # Only research so far: nothing to capitalise.
    await books.ok(await books.cost(aid, phase="research", incurred_on="2025-01-05"))
    empty = await books.move(aid, "capitalise", memo=MEMO, date="2025-02-01", useful_life_months=12)
    assert empty.status_code == 409
    await books.ok(await books.cost(aid, phase="development", incurred_on="2025-03-05"))
    early = await books.move(aid, "capitalise", memo=MEMO, date="2025-03-01", useful_life_months=12)
    assert early.status_code == 422 and early.json()["errors"][0]["loc"] == ["body", "date"]
    both = await books.move(aid, "capitalise", memo=MEMO, date="2025-03-31", useful_life_months=12,
                            indefinite=True)  # fmt: skip
    assert both.status_code == 422
    residual = await books.move(aid, "capitalise", memo=MEMO, date="2025-03-31",
                                useful_life_months=12, residual_value="1000.00")  # fmt: skip
    assert residual.status_code == 422
    assert (await snapshot(books))[2] == 0

    done = await books.ok(
        await books.move(aid, "capitalise", memo=MEMO, date="2025-03-31", useful_life_months=12)
    )
    again = await books.move(aid, "capitalise", memo=MEMO, date="2025-04-30", useful_life_months=12)
    assert again.status_code == 409 and again.json()["current_status"] == "capitalised"
    late_cost = await books.cost(aid, phase="development", incurred_on="2025-04-01")
    assert late_cost.status_code == 409
    back_dated = await books.move(aid, "impair", date="2025-03-30", recoverable_amount="1.00")
    assert back_dated.status_code == 422
    partial = await books.move(aid, "dispose", date="2025-05-01", fraction="0.5")
    assert partial.status_code == 422
    for bad in ({"date": "2025-05-01", "fraction": "1.5"}, {"date": "2025-05-01", "fraction": "0"},
                {"date": "2025-05-01", "fraction": "1e0"}, {"date": "not a date"}):  # fmt: skip
        assert (await books.move(aid, "dispose", **bad)).status_code == 422, bad
    assert (await books.move(aid, "derecognise", date="2025-05-01")).status_code == 422  # reason
    shown = (await books.client.get(f"/v1/data-assets/{aid}", headers=books.key)).json()
    assert shown["version"] == done["version"] and len(shown["movements"]) == 1
    assert len(shown["cost_items"]) == 2


async def test_stale_writes_are_refused(books: Books) -> None:
    asset = await books.asset()
    aid = asset["id"]
    etag = f'"{asset["version"]}"'
    changed = await books.client.patch(
        f"/v1/data-assets/{aid}", json={"description": "更新说明"},
        headers={**books.key, "If-Match": etag},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] != etag
    stale = await books.client.post(
        f"/v1/data-assets/{aid}/costs",
        json={"kind": "taxes", "amount": "1.00", "incurred_on": "2025-01-01"},
        headers={**books.key, "If-Match": etag},
    )
    assert stale.status_code == 412
    null_name = await books.client.patch(
        f"/v1/data-assets/{aid}", json={"name": None}, headers=books.key
    )
    assert null_name.status_code == 422
    reclassed = await books.client.patch(
        f"/v1/data-assets/{aid}", json={"asset_class": "inventory"}, headers=books.key
    )
    assert reclassed.status_code == 422
    assert await books.count("data_asset_cost_item") == 0


async def test_a_cost_item_racing_capitalise_is_in_the_cost_or_refused(books: Books) -> None:
    for _ in range(4):
        asset = await books.asset()
        aid = asset["id"]
        await books.ok(await books.cost(aid, amount="1000.00"))
        capitalised, late = await asyncio.gather(
            books.move(aid, "capitalise", date="2025-02-01", useful_life_months=10),
            books.cost(aid, amount="234.00", incurred_on="2025-01-20"),
        )
        assert capitalised.status_code == 200, capitalised.text
        assert late.status_code in (201, 409), late.text
        shown = (await books.client.get(f"/v1/data-assets/{aid}", headers=books.key)).json()
        gathered = sum(float(i["amount"]) for i in shown["cost_items"])
        assert float(shown["original_cost"]) == gathered
        assert float(shown["movements"][0]["effects"]["cost"]) == gathered


async def test_two_items_racing_on_one_trade_never_exceed_it(books: Books) -> None:
    trade = await books.trade("1000.00")
    first, second = await books.asset(), await books.asset(name="另一资产")
    answers = await asyncio.gather(
        books.cost(first["id"], amount="700.00", incurred_on="2025-03-01", trade_id=trade["id"]),
        books.cost(second["id"], amount="700.00", incurred_on="2025-03-01", trade_id=trade["id"]),
    )
    assert sorted(a.status_code for a in answers) == [201, 422]
    assert await books.count("data_asset_cost_item") == 1


@pytest.mark.parametrize("month", ["1989-12", "2101-01", "9999-12", "0000-01"])
@pytest.mark.parametrize("parameter", ["from", "to", "through"])
async def test_months_in_queries_are_bounded(books: Books, month: str, parameter: str) -> None:
    """Issue 27: `from=1990-01&to=9999-12` was a 500; months run from 1990-01 to 2100-12
    (app/core/clock.py QueryMonth), else 422 naming the parameter."""
    asset = await books.capitalised("1200.00", "2025-01-10", 12)
    if parameter == "through":
        answer = await books.client.get(
            f"/v1/data-assets/{asset['id']}/schedule", params={"through": month}, headers=books.key
        )
    else:
        months = {"from": "1990-01", "to": "2100-12", parameter: month}
        answer = await books.disclosure(months["from"], months["to"])
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["errors"][0]["loc"] == ["query", parameter]
    assert parameter in answer.json()["detail"]


async def test_months_at_the_bounds_are_answered(books: Books) -> None:
    asset = await books.capitalised("1200.00", "2025-01-10", 12)
    whole = await books.disclosure("1990-01", "2100-12")
    assert whole.status_code == 200, whole.text
    assert whole.json()["intangible"]["total"]["cost_closing"] == "1200.00"
    schedule = await books.client.get(
        f"/v1/data-assets/{asset['id']}/schedule", params={"through": "2100-12"}, headers=books.key
    )
    assert schedule.status_code == 200, schedule.text


async def test_queries_are_checked(books: Books) -> None:
    asset = await books.capitalised("1200.00", "2025-01-10", 12)
    client, key = books.client, books.key
    for params in ({"through": "2025-13"}, {"through": "25-01"}, {"through": "1980-01"},
                   {"through": "2999-01"}, {"thru": "2025-01"}):  # fmt: skip
        answer = await client.get(
            f"/v1/data-assets/{asset['id']}/schedule", params=params, headers=key
        )
        assert answer.status_code == 422, params
    for first, last in (("2025-12", "2025-01"), ("2025-00", "2025-01"), ("1989-12", "2025-01")):
        assert (await books.disclosure(first, last)).status_code == 422
    assert (await books.disclosure("2100-12", "2100-12")).status_code == 200
    unknown = await client.get(
        f"/v1/merchants/{uuid.uuid4()}/data-asset-disclosure",
        params={"from": "2025-01", "to": "2025-12"},
        headers=books.admin,
    )
    assert unknown.status_code == 404
    listed = await client.get("/v1/data-assets", params={"status": "sold"}, headers=key)
    assert listed.status_code == 422


@pytest.mark.parametrize("role", [Role.operator, Role.auditor])
async def test_staff_see_every_merchants_books(
    books: Books, session: AsyncSession, role: Role
) -> None:
    await books.asset()
    await books.asset(headers=books.other_key, name="X 的资产")
    staff = auth(await make_key(session, role))
    listed = await books.client.get("/v1/data-assets", params={"limit": 1}, headers=staff)
    assert len(listed.json()["items"]) == 1 and listed.json()["next_cursor"]
    rest = await books.client.get(
        "/v1/data-assets",
        params={"limit": 1, "cursor": listed.json()["next_cursor"]},
        headers=staff,
    )
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None


async def test_a_sham_large_purchase_backs_no_cost_until_an_operator_confirms_it(
    books: Books, client: httpx.AsyncClient
) -> None:
    """Attack (two merchants): the seller reports an off-venue sale above
    SHUSHANG_LARGE_TRADE_AMOUNT to its accomplice, who confirms it and books it as the
    purchase price of a data asset. A counterparty's word is not enough for a large trade,
    in the books as in valuations and statistics: refused until an operator confirms."""
    asset = await books.asset()
    sham = await books.trade("20000000.00", headers=books.seller_key)
    confirmed = await client.post(
        f"/v1/transactions/{sham['id']}/events",
        json={"type": "confirmed"},
        headers=idempotent(books.key),
    )
    assert confirmed.status_code == 201, confirmed.text
    await refused_evidence(
        books,
        asset["id"],
        "trade_id",
        kind="purchase_price",
        amount="20000000.00",
        incurred_on="2025-03-01",
        trade_id=sham["id"],
    )
    by_operator = await client.post(
        f"/v1/transactions/{sham['id']}/events",
        json={"type": "confirmed"},
        headers=idempotent(books.admin),
    )
    assert by_operator.status_code == 201, by_operator.text
    booked = await books.cost(
        asset["id"],
        kind="purchase_price",
        amount="20000000.00",
        incurred_on="2025-03-01",
        trade_id=sham["id"],
    )
    assert booked.status_code == 201, booked.text


async def test_a_certificate_suspended_for_core_data_backs_no_cost(
    books: Books, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """Core data has no certificate in use: once the product is reclassified `core`, its
    suspended certificate is no evidence for a cost item."""
    registry = await Registry().setup(client, session)
    registry.holder, registry.holder_key, registry.product = (
        books.merchant,
        books.key,
        books.product,
    )
    certificate = await registry.registered()
    asset = await books.asset(product_id=str(books.product.id))
    made_core = await client.patch(
        f"/v1/products/{books.product.id}",
        json={"classification": "core", "classification_level": None},
        headers=books.key,
    )
    assert made_core.status_code == 200, made_core.text
    await refused_evidence(
        books,
        asset["id"],
        "certificate_number",
        kind="rights_verification",
        certificate_number=certificate["certificate_number"],
    )


async def test_workbook_text_is_never_a_formula(books: Books) -> None:
    """Issue 27: an asset named `=HYPERLINK(…)` arrived in the disclosure workbook as a live
    formula. Every text cell is now text, neutralised as the CSV export's (app/core/cells.py)."""
    name = '=HYPERLINK("http://evil.example/steal","点此查看")'
    typed = {name, "+1", "-2+3", "@SUM(A1)"}  # a name takes no TAB or CR, a description does
    retry_safe = {**books.key, "Idempotency-Key": str(uuid.uuid4())}
    for n, text in enumerate(sorted(typed)):
        asset = await books.asset(name=text, description="\t\r"[n % 2] + text)
        await books.ok(await books.cost(asset["id"], retry_safe | {"Idempotency-Key": str(n)}))
        await books.ok(
            await books.move(
                asset["id"], "capitalise", {**books.key, "Idempotency-Key": f"c{n}"},
                date="2025-01-31", useful_life_months=120,
            )
        )  # fmt: skip
    xlsx = await books.disclosure("2025-01", "2025-12", Accept=workbook.MEDIA_TYPE)
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["content-type"] == workbook.MEDIA_TYPE
    book = load_workbook(io.BytesIO(xlsx.content))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS), cell.value
                    texts.append(cell.value)
    lives = book["使用寿命及摊销方法"]
    names = {row[0].value for row in lives.iter_rows(min_row=workbook.FIRST_ROW)}
    assert names == {"'" + t for t in typed}
    significant = book["重要单项数据资源无形资产"]
    described = {row[1].value for row in significant.iter_rows(min_row=workbook.FIRST_ROW)}
    # The description as typed, CR included: lxml writes a CR in text as `&#13;`, which
    # reads back as a CR (et_xmlfile wrote it raw, and XML reads a raw CR as a line feed).
    assert described == {"'" + "\t\r"[n % 2] + t for n, t in enumerate(sorted(typed))}
    assert "'" + name in texts


async def test_a_control_character_the_workbook_cannot_hold_is_replaced(books: Books) -> None:
    """A description may hold U+0001 (JSON carries it), XLSX cannot: openpyxl raised, and the
    disclosure workbook was a 500. It is shown as U+FFFD."""
    asset = await books.asset(description="港口\x01数据")
    await books.ok(
        await books.cost(asset["id"], {**books.key, "Idempotency-Key": str(uuid.uuid4())})
    )
    await books.ok(
        await books.move(
            asset["id"], "capitalise", {**books.key, "Idempotency-Key": str(uuid.uuid4())},
            date="2025-01-31", useful_life_months=120,
        )
    )  # fmt: skip
    xlsx = await books.disclosure("2025-01", "2025-12", Accept=workbook.MEDIA_TYPE)
    assert xlsx.status_code == 200, xlsx.text
    significant = load_workbook(io.BytesIO(xlsx.content))["重要单项数据资源无形资产"]
    assert significant[f"B{workbook.FIRST_ROW}"].value == "港口\ufffd数据"
