"""`shushang demo` shows the product: every search the documentation shows finds cards, every
application domain has some, the grades (computed from the samples) run from A to D, tags
are whole words, and every venue's log holds on-venue trades recorded as the API records
them, so that the whole ledger verifies."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments import quality
from app.core.roles import Role
from app.demo import catalog, loader
from app.ledger.verify import verify_logs
from app.products.schemas import Domain
from app.wiring import register
from tests.factories import auth, make_key

ROOT = Path(__file__).resolve().parents[2]

# Every catalog search the documentation shows: words of the docs (README.md, docs/,
# examples/) that show it, and the query a front end sends for it. A search word the docs
# gain is missing here until it is added (`test_every_documented_search_is_listed`); one they
# lose fails the snippet's check.
DOCUMENTED: list[tuple[str, dict[str, str]]] = [
    # README, Quickstart: the first look at the catalog once the demo is loaded
    ("/v1/catalog' --data-urlencode 'q=交通' -d limit=5", {"q": "交通", "limit": "5"}),
    # docs/operators.md, "Search": the search with facets
    ("--data-urlencode 'q=交易' --data-urlencode 'domain=finance'",
     {"q": "交易", "domain": "finance"}),
    # ... and a Chinese substring of two characters
    ("据交 finds 杭州数据交易指数", {"q": "据交"}),
    # docs/sdk.md, the merchant's script
    ('products.iter(q="交通", venue_code="HZDEX")', {"q": "交通", "venue_code": "HZDEX"}),
    # examples/catalog_fetch.py, as docs/sdk.md runs it, and its default words
    ("catalog_fetch.py 交通", {"q": "交通"}),
    ('sys.argv[1] if len(sys.argv) > 1 else "数据"', {"q": "数据"}),
    # docs/frontend.md, "A working page": the catalog page's fetch
    ("/v1/catalog?limit=20&sort=newest", {"limit": "20", "sort": "newest"}),
]  # fmt: skip
_CJK = "[\u4e00-\u9fff]+"
# How the docs write a search's words: `q=交易`, `q="交通"`, `catalog_fetch.py 交通`, `据交 finds`.
_SEARCHES = re.compile(
    rf"\bq=['\"]?({_CJK})|catalog_fetch\.py \[?({_CJK})|({_CJK}) finds [\u4e00-\u9fff]"
)


def _documentation() -> str:
    files = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "examples").rglob("*.py")]
    return "\n".join(path.read_text(encoding="utf-8") for path in sorted(files))


def test_every_documented_search_is_listed() -> None:
    docs = _documentation()
    shown = {word for match in _SEARCHES.finditer(docs) for word in match.groups() if word}
    assert shown, "the documentation shows no search any more: this test finds none"
    assert shown <= {query.get("q") for _, query in DOCUMENTED}
    for snippet, _ in DOCUMENTED:
        assert snippet in docs, f"the docs no longer show {snippet!r}: update DOCUMENTED"


@pytest.mark.parametrize("profile", catalog.PROFILES, ids=lambda p: p.grade)
def test_each_sample_profile_grades_as_named(profile: catalog.SampleProfile) -> None:
    """The grades are the assessment's, computed from samples kept well or badly: each way of
    keeping one gives its grade, whatever the seed and the day."""
    names = catalog.SAMPLE_COLUMNS
    facts = quality.ProductFacts(
        delivery_modes=["api"],
        schema=catalog.SAMPLE_SCHEMA if profile.documented else None,
        service_level="工作日响应",
    )
    for seed in range(40):
        today = date(2026, 1, 1) + timedelta(days=seed * 17)
        csv = catalog.sample_csv(random.Random(seed), "杭州", profile, today)
        rows = [[v or None for v in line.split(",")] for line in csv.splitlines()[1:]]
        assert quality.assess(names, rows, facts, today).grade == profile.grade


async def test_the_demo_shows_the_product(
    session: AsyncSession, client: httpx.AsyncClient, demo_world: loader.Loaded
) -> None:
    loaded = demo_world  # the session's one load from empty (tests/conftest.py)

    for snippet, query in DOCUMENTED:
        cards = (await client.get("/v1/catalog", params=query)).json()["items"]
        assert cards, f"the catalog finds nothing for {snippet!r} ({query})"
        if "q" in query:  # the docs' searches are of products, which the public sees listed
            found = (await client.get("/v1/products", params=query)).json()["items"]
            assert found, f"/v1/products finds nothing for {snippet!r} ({query})"
    page = (await client.get("/v1/catalog", params={"limit": 200, "facets": "true"})).json()
    cards = page["items"]
    assert len(cards) == loaded.listings
    assert set(page["facets"]["domain"]) == {d.value for d in Domain}
    for domain in Domain:
        answer = await client.get("/v1/catalog", params={"domain": domain.value, "limit": 1})
        assert answer.json()["items"], f"no card in {domain.value}"

    # Graded by an assessor from their samples, A to D.
    grades = Counter(card["quality"]["grade"] for card in cards)
    assert set(grades) == {"A", "B", "C", "D"}, grades
    # Tags are whole words: the product's subject as its name says it, and its domain's word.
    for card in cards:
        product = card["product"]
        subjects = {s for d in product["domains"] for s in catalog.DOMAIN_SUBJECTS[Domain(d)]}
        assert any(tag in subjects and tag in product["name"] for tag in product["tags"])
        assert catalog.DOMAIN_WORDS[Domain(product["domains"][0])] in product["tags"]

    # Every venue's log holds on-venue trades, recorded as the API records them.
    on_venue = (
        await session.execute(
            text("SELECT venue_code, count(*) FROM trade WHERE on_venue GROUP BY venue_code")
        )
    ).all()
    assert dict(on_venue) == dict.fromkeys(loader.VENUES, 3)
    assert loaded.trades == 3 * len(loader.VENUES)
    # ZJBDEX waives a seller's first on-venue trade: the demo's first trades there show it.
    assert loaded.fee_waivers == 1
    waived = await session.execute(
        text("SELECT count(*) FROM trade WHERE venue_code = 'ZJBDEX' AND fee_waiver_id IS NOT NULL")
    )
    assert waived.scalar_one() >= 1
    operator = auth(await make_key(session, Role.operator))
    card = next(c for c in cards if c["listing"]["venue_code"] == "HZDEX")
    seller = (await client.get(f"/v1/catalog/{card['listing']['id']}")).json()["product"]
    buyer = (
        await session.execute(
            text("SELECT id FROM merchant WHERE id <> :seller ORDER BY id LIMIT 1"),
            {"seller": seller["merchant_id"]},
        )
    ).scalar_one()
    answer = await client.post(
        "/v1/transactions",
        json={
            "venue_code": "HZDEX",
            "on_venue": True,
            "listing_id": card["listing"]["id"],
            "seller_merchant_id": seller["merchant_id"],
            "buyer_merchant_id": str(buyer),
            "amount": "1000.00",
            "contract_digest": "ab" * 32,
            "occurred_at": "2026-11-01T10:00:00+08:00",
        },
        headers={**operator, "Idempotency-Key": str(uuid4())},
    )
    assert answer.status_code == 201, answer.text
    through_api = UUID(answer.json()["id"])
    demo_trade = (
        await session.execute(
            text(
                "SELECT id FROM trade WHERE venue_code = 'HZDEX' AND id <> :api ORDER BY id LIMIT 1"
            ),
            {"api": through_api},
        )
    ).scalar_one()

    async def shapes(trade_id: UUID) -> tuple[object, ...]:
        """What a trade's recording left: the keys of its outbox event, audit event and leaf."""
        event = await session.scalar(
            text(
                "SELECT data FROM outbox_event WHERE type = 'trade.recorded' AND subject_id = :id"
            ),
            {"id": str(trade_id)},
        )
        audit = await session.scalar(
            text("SELECT details FROM audit_event WHERE action = 'trade.record'"
                 " AND resource_id = :id"),
            {"id": str(trade_id)},
        )  # fmt: skip
        leaf = (
            await session.execute(
                text("SELECT kind, entry FROM ledger_entry WHERE ref_id = :id"), {"id": trade_id}
            )
        ).one()
        return sorted(event), sorted(audit), leaf.kind, sorted(json.loads(leaf.entry))

    assert await shapes(demo_trade) == await shapes(through_api)
    register()
    verified = await verify_logs(session)
    assert {v.venue_code for v in verified} >= {*loader.VENUES, "OTC", "IPR", "FIN"}
    assert all(not v.problems for v in verified), [v.problems for v in verified if v.problems]
