"""Monthly statements (对账单) through HTTP: the month's trades and totals, closing (a closed
month never changes; later changes, back-dated or not, are adjustments of the first open
month), who reads them, and the XLSX and PDF forms.

The server's clock is not moved: a trade "recorded on time" in a past month is one whose
recording time (`created_at`, which the server sets and never changes) the test sets back
in the database (the table is append-only: its trigger is off for that one update), as
if it had been recorded then. Everything else goes through the API."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import rfc8785
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import SHANGHAI
from app.core.roles import Role
from app.statements import closing
from tests.factories import auth, idempotent, make_key, make_merchant
from tests.fees.test_waivers import Desk
from tests.trades.conftest import Parties

VENUE = "HZDEX"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLOSE_DAY = 5  # SHUSHANG_STATEMENT_CLOSE_DAY's default


def first_open_month(now: datetime) -> str:
    """The month whose statement a change recorded `now` lands in, as DOMAIN.md says it."""
    local = now.astimezone(SHANGHAI)
    if local.day >= CLOSE_DAY:
        return f"{local:%Y-%m}"
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year:04d}-{month:02d}"


class World(Parties):
    async def build(self, client: httpx.AsyncClient, session: AsyncSession) -> World:
        await self.setup(client, session)
        self.session = session
        self.other = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
        self.assessor = auth(await make_key(session, Role.assessor))
        return self

    async def trade(
        self, amount: str, occurred_at: str, recorded_at: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """A trade at VENUE, recorded now, or (`recorded_at`) as if recorded then."""
        made = await self.record(
            venue_code=fields.pop("venue_code", VENUE),
            amount=amount,
            occurred_at=occurred_at,
            **fields,
        )
        assert made.status_code == 201, made.text
        if recorded_at is not None:
            # The table refuses updates (append-only), hence the trigger, off for this one.
            await self.session.execute(text("ALTER TABLE trade DISABLE TRIGGER trade_immutable"))
            await self.session.execute(
                text("UPDATE trade SET created_at = :at WHERE id = :id"),
                {"at": datetime.fromisoformat(recorded_at), "id": UUID(made.json()["id"])},
            )
            await self.session.execute(text("ALTER TABLE trade ENABLE TRIGGER trade_immutable"))
            await self.session.commit()
        body: dict[str, Any] = made.json()
        return body

    async def event(self, trade_id: str, kind: str, key: dict[str, str], **body: Any) -> None:
        done = await self.client.post(
            f"/v1/transactions/{trade_id}/events",
            json={"type": kind, **body},
            headers=idempotent(key),
        )
        assert done.status_code == 201, done.text

    async def statement(
        self, month: str, merchant: Any = None, key: dict[str, str] | None = None, **params: Any
    ) -> httpx.Response:
        merchant_id = (merchant or self.seller).id
        return await self.client.get(
            f"/v1/merchants/{merchant_id}/statements/{month}",
            params={"venue_code": VENUE, **params},
            headers=self.admin if key is None else key,
        )


@pytest.fixture
async def world(client: httpx.AsyncClient, session: AsyncSession) -> World:
    return await World().build(client, session)


def _digest(body: dict[str, Any]) -> str:
    rest = {k: v for k, v in body.items() if k != "content_sha256"}
    return hashlib.sha256(rfc8785.dumps(rest)).hexdigest()


def _sum(values: list[str]) -> str:
    return f"{sum((Decimal(v) for v in values), Decimal(0)):.2f}"


async def _march(world: World) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Trades around March 2025, recorded on time: what S sold and what it bought there."""
    sold = [
        await world.trade("1000.00", "2025-03-01T00:00:00+08:00", "2025-03-01T09:00:00+08:00"),
        await world.trade("2345.67", "2025-03-31T23:59:59+08:00", "2025-04-01T09:00:00+08:00"),
    ]
    swapped = {"seller_merchant_id": str(world.buyer.id), "buyer_merchant_id": str(world.seller.id)}
    bought = [
        await world.trade("500.50", "2025-03-15T12:00:00+08:00", "2025-03-15T12:00:01+08:00",
                          **swapped)
    ]  # fmt: skip
    # Not March at VENUE: April in Shanghai (still March in UTC), February, another venue.
    await world.trade("7.00", "2025-04-01T00:00:00+08:00", "2025-04-01T00:00:01+08:00")
    await world.trade("8.00", "2025-02-28T23:59:59+08:00", "2025-03-01T00:00:01+08:00")
    await world.trade("9.00", "2025-03-10T00:00:00+08:00", "2025-03-10T00:00:01+08:00",
                      venue_code="NBSE")  # fmt: skip
    return sold, bought


async def test_totals_equal_the_trades_of_the_month(world: World) -> None:
    sold, bought = await _march(world)
    answer = await world.statement("2025-03")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["merchant_id"] == str(world.seller.id)
    assert (body["venue_code"], body["month"], body["closed"]) == (VENUE, "2025-03", True)
    assert body["closes_at"] == "2025-04-05T00:00:00+08:00"
    rows = {t["trade_id"]: t for t in body["trades"]}
    assert set(rows) == {t["id"] for t in sold + bought}
    assert {rows[t["id"]]["role"] for t in sold} == {"seller"}
    assert {rows[t["id"]]["role"] for t in bought} == {"buyer"}
    for t in sold:
        assert rows[t["id"]]["fee"] == t["fee"] == rows[t["id"]]["fee_before_waiver"]
        assert rows[t["id"]]["waiver"] == "0.00"
    assert {rows[t["id"]]["fee"] for t in bought} == {"0.00"}  # the seller's fee, not S's
    fees = _sum([t["fee"] for t in sold])
    assert Decimal(fees) > 0
    assert body["totals"] == {
        "trades": 3,
        "sold": _sum([t["amount"] for t in sold]),
        "bought": _sum([t["amount"] for t in bought]),
        "fees_before_waiver": fees,
        "waivers": "0.00",
        "fees_due": fees,
        "adjustments_sold": "0.00",
        "adjustments_bought": "0.00",
        "adjustments_fees": "0.00",
        "net_due": fees,
    }
    assert body["adjustments"] == []
    assert body["content_sha256"] == _digest(body)
    # The buyer's side of the same month: what S sold, B bought, and B's own fee.
    theirs = (await world.statement("2025-03", merchant=world.buyer)).json()
    assert theirs["totals"]["bought"] == body["totals"]["sold"]
    assert theirs["totals"]["sold"] == body["totals"]["bought"]
    assert theirs["totals"]["fees_due"] == bought[0]["fee"]


async def test_a_closed_month_never_changes_later_changes_are_adjustments(world: World) -> None:
    kept = await world.trade("1000.00", "2025-03-10T10:00:00+08:00", "2025-03-10T10:00:01+08:00")
    undone = await world.trade("2000.00", "2025-03-11T10:00:00+08:00", "2025-03-11T10:00:01+08:00")
    # Reported by S's key, still unconfirmed when March closed: not in March.
    reported = await world.trade(
        "3000.00", "2025-03-12T10:00:00+08:00", "2025-03-12T10:00:01+08:00",
        headers=world.seller_key,
    )  # fmt: skip
    reported_id = reported["id"]

    before = await world.statement("2025-03")
    assert before.status_code == 200, before.text
    march = before.json()
    assert [t["trade_id"] for t in march["trades"]] == [kept["id"], undone["id"]]
    april = (await world.statement("2025-04")).content

    # After the close: a cancellation back-dated into March, a confirmation, and a trade
    # recorded today but dated in March.
    await world.event(
        undone["id"], "cancelled", world.admin, occurred_at="2025-03-20T00:00:00+08:00"
    )
    await world.event(reported_id, "confirmed", world.buyer_key)
    late = await world.trade("4000.00", "2025-03-25T10:00:00+08:00")
    now = datetime.now(UTC)

    after = await world.statement("2025-03")
    assert after.content == before.content  # the same bytes, the same digest
    assert after.json()["content_sha256"] == march["content_sha256"] == _digest(march)
    assert (await world.statement("2025-04")).content == april  # closed too, and untouched

    month = first_open_month(now)
    current = (await world.statement(month)).json()
    assert current["closed"] is False
    changes = {a["trade_id"]: a for a in current["adjustments"]}
    assert set(changes) == {undone["id"], reported_id, late["id"]}
    assert (changes[undone["id"]]["change"], changes[undone["id"]]["amount"]) == (
        "cancelled",
        "-2000.00",
    )
    assert changes[undone["id"]]["fee"] == f"-{undone['fee']}"
    assert (changes[reported_id]["change"], changes[reported_id]["amount"]) == (
        "confirmed",
        "3000.00",
    )
    assert (changes[late["id"]]["change"], changes[late["id"]]["fee"]) == (
        "recorded",
        late["fee"],
    )
    assert {a["month"] for a in current["adjustments"]} == {"2025-03"}
    fees = _sum([a["fee"] for a in current["adjustments"]])
    totals = current["totals"]
    assert totals["adjustments_fees"] == fees
    assert totals["adjustments_sold"] == "5000.00"  # −2000 + 3000 + 4000
    assert totals["net_due"] == _sum([totals["fees_due"], fees])
    # The buyer sees the same changes as buyer, without fees.
    theirs = (await world.statement(month, merchant=world.buyer)).json()
    assert theirs["totals"]["adjustments_bought"] == "5000.00"
    assert theirs["totals"]["adjustments_fees"] == "0.00"


@pytest.fixture
async def desk(client: httpx.AsyncClient, session: AsyncSession) -> Desk:
    return await Desk().setup(client, session)


async def test_waived_fees_are_on_the_statement(desk: Desk) -> None:
    """A venue's waiver rule (app/fees/): the statement shows each trade's fee before the
    waiver, the waiver and the fee due, as the trade recorded them."""
    now = datetime.now(UTC)
    await desk.rule(kind="period", percent="10", to=f"{now.year + 1}-12-31")
    seller = await desk.seller()
    at = now.astimezone(SHANGHAI).isoformat()
    trades = [await desk.trade(seller, occurred_at=at, amount=a) for a in ("12345.67", "100.00")]
    month = f"{now.astimezone(SHANGHAI):%Y-%m}"
    answer = await desk.client.get(
        f"/v1/merchants/{seller[0]}/statements/{month}",
        params={"venue_code": VENUE},
        headers=desk.admin,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    rows = {t["trade_id"]: t for t in body["trades"]}
    waivers = []
    for trade in trades:
        row = rows[trade["id"]]
        assert (row["fee"], row["fee_before_waiver"]) == (trade["fee"], trade["fee_before_waiver"])
        waiver = Decimal(trade["fee_before_waiver"]) - Decimal(trade["fee"])
        assert Decimal(row["waiver"]) == waiver
        waivers.append(f"{waiver:.2f}")
    totals = body["totals"]
    assert totals["waivers"] == _sum(waivers) and Decimal(totals["waivers"]) > 0
    assert totals["fees_before_waiver"] == _sum([t["fee_before_waiver"] for t in trades])
    assert totals["fees_due"] == _sum([t["fee"] for t in trades]) == totals["net_due"]
    assert totals["fees_due"] == _sum([totals["fees_before_waiver"], f"-{totals['waivers']}"])


async def test_who_reads_a_statement(world: World) -> None:
    await world.trade("1000.00", "2025-03-10T10:00:00+08:00")
    url = f"/v1/merchants/{world.seller.id}/statements/2025-03"
    allowed = {"own": world.seller_key, "operator": world.admin, "auditor": world.auditor}
    for name, key in allowed.items():
        answer = await world.client.get(url, params={"venue_code": VENUE}, headers=key)
        assert answer.status_code == 200, (name, answer.text)
    refused = {"buyer": (world.buyer_key, 404), "other": (world.other, 404),
               "assessor": (world.assessor, 403), "anonymous": ({}, 401)}  # fmt: skip
    for name, (key, status) in refused.items():
        answer = await world.client.get(url, params={"venue_code": VENUE}, headers=key)
        assert answer.status_code == status, (name, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "trades" not in answer.json()
    # The buyer reads its own side, not the seller's (above).
    assert (await world.statement("2025-03", world.buyer, world.buyer_key)).status_code == 200
    bad = [
        ("2025-13", {}), ("2025-3", {}), ("1989-12", {}), ("2101-01", {}), ("march", {}),
        ("2025-03", {"venue_code": "hz"}), ("2025-03", {"format": "csv"}),
        ("2025-03", {"venue_code": None}),
    ]  # fmt: skip
    for month, params in bad:
        query = {k: v for k, v in {"venue_code": VENUE, **params}.items() if v is not None}
        answer = await world.client.get(
            f"/v1/merchants/{world.seller.id}/statements/{month}", params=query,
            headers=world.admin,
        )  # fmt: skip
        assert answer.status_code == 422, (month, params, answer.text)
    assert (await world.statement("2025-03", venue_code="NOSUCH")).status_code == 404
    missing = await world.client.get(
        f"/v1/merchants/{uuid4()}/statements/2025-03",
        params={"venue_code": VENUE},
        headers=world.admin,
    )
    assert missing.status_code == 404


async def test_xlsx_and_pdf_carry_the_json(world: World, tmp_path: Path) -> None:
    sold, _ = await _march(world)
    await world.trade("12.00", "2025-03-05T10:00:00+08:00")  # late: not in March
    await world.session.execute(
        text("UPDATE merchant SET name = '=HYPERLINK(\"x\")数商' WHERE id = :id"),
        {"id": world.seller.id},
    )
    await world.session.commit()
    body = (await world.statement("2025-03")).json()
    answer = await world.statement("2025-03", format="xlsx")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert (await world.statement("2025-03", key={**world.admin, "Accept": XLSX})).content == (
        answer.content
    )  # Accept asks the same, and a closed month's workbook is the same bytes
    book = load_workbook(io.BytesIO(answer.content))
    assert book.sheetnames == ["对账单", "调整", "汇总"]
    sheet = book["对账单"]
    assert [sheet.cell(n, 1).value for n in range(1, 6)] == [
        "编制单位", "对账单位", "期间", "状态", "单位：元",
    ]  # fmt: skip
    assert sheet.cell(3, 2).value == "2025年3月"
    assert sheet.cell(2, 2).value == '\'=HYPERLINK("x")数商'  # inert, not a formula
    assert isinstance(sheet.cell(8, 1).value, datetime)  # a real Excel date
    ids = [sheet.cell(n, 2).value for n in range(8, 8 + len(body["trades"]))]
    assert ids == [t["trade_id"] for t in body["trades"]]
    summary = {book["汇总"].cell(n, 1).value: book["汇总"].cell(n, 2).value for n in range(8, 19)}
    assert f"{summary['本月应付服务费']:.2f}" == body["totals"]["fees_due"]
    assert f"{summary['本月卖出金额']:.2f}" == body["totals"]["sold"]
    assert f"{summary['应付合计']:.2f}" == body["totals"]["net_due"]
    assert summary["本月成交笔数"] == body["totals"]["trades"]
    assert summary["内容摘要(SHA-256)"] == body["content_sha256"]

    pdf = await world.statement("2025-03", key={**world.admin, "Accept": "application/pdf"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert (await world.statement("2025-03", format="pdf")).content == pdf.content
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("no pdftoppm (poppler-utils)")
    document = tmp_path / "statement.pdf"
    document.write_bytes(pdf.content)
    done = subprocess.run(
        [pdftoppm, "-png", "-r", "50", "-f", "1", "-l", "1", str(document), str(tmp_path / "p")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.glob("p*.png"))
    assert len(body["trades"]) == len(sold) + 1


def test_where_a_change_lands() -> None:
    """The boundaries, in Asia/Shanghai: a change recorded before day 5 of a month lands in
    the month before (still open), from 00:00 on day 5 in the month itself."""

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text)

    assert closing.landing_month(at("2026-01-04T23:59:59.999999+08:00"), 5) == "2025-12"
    assert closing.landing_month(at("2026-01-05T00:00:00+08:00"), 5) == "2026-01"
    assert closing.landing_month(at("2026-01-04T16:00:00+00:00"), 5) == "2026-01"  # 00:00 +8
    assert closing.landing_month(at("2026-03-01T00:00:00+08:00"), 1) == "2026-03"
    assert closing.landing_month(at("2026-02-27T23:59:59+08:00"), 28) == "2026-01"
    assert closing.close_of("2100-12", 28) == at("2101-01-28T00:00:00+08:00")
    assert closing.previous_month("1990-01") == "1989-12"
    assert closing.next_month("2025-12") == "2026-01"
    for month in ("2025-01", "2025-12", "2026-02"):
        close = closing.close_of(month, 5)
        assert closing.landing_month(close - closing.SETTLE / 600_000, 5) == month
        assert closing.landing_month(close, 5) == closing.next_month(month)
