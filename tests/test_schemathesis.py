"""schemathesis over the whole API: no 5xx, and no response that breaks its own schema.

The cases come from the committed `openapi/openapi.json` (tests/test_openapi.py keeps it
equal to the app's; SHUSHANG_FUZZ_SPEC names another, e.g. one just written by
`shushang openapi`) and go over HTTP to the app served by uvicorn in a background thread.

Random ids only ever meet "not found", so the module builds one world (the demo catalog,
trades, API keys, objections, webhook subscriptions with deliveries) and the authenticated
run puts real ids of the right kind in the path, the body and the ledger proofs' sizes of
three examples out of four: the handlers behind the lookups get fuzzed too. The world lives
for the module (the per-test reset is off here) and is wiped when the module ends. No rate
limiter runs (the test settings turn both off), and the module checks that none answered.

`make fuzz` runs the same with more examples (SHUSHANG_FUZZ_EXAMPLES, SHUSHANG_FUZZ_STATEFUL).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.pool import NullPool

from app.core.config import Settings
from app.core.db import create_engine, create_sessionmaker
from app.core.roles import Role
from app.demo.loader import Loaded
from tests.factories import make_key
from tests.snapshot import Snapshot

SPEC = Path(
    os.environ.get("SHUSHANG_FUZZ_SPEC")
    or Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded so `make test` stays fast; `make fuzz` sets 40 or more, a release run 500 or more.
EXAMPLES = int(os.environ.get("SHUSHANG_FUZZ_EXAMPLES", "25"))
STATEFUL = int(os.environ.get("SHUSHANG_FUZZ_STATEFUL", "10"))
FUZZ = hypothesis.settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck)
)

# JSON Lines bodies (the bulk import of trades) are text: sent as generated.
schemathesis.serializer.alias(["application/x-ndjson", "application/jsonl"], "text/plain")
schema = schemathesis.openapi.from_path(str(SPEC))
PATHS = json.loads(SPEC.read_text("utf-8"))["paths"]
OPERATIONS = {
    f"{method.upper()} {path}"
    for path, item in PATHS.items()
    for method in item
    if method in ("get", "put", "post", "patch", "delete")
}
# Operations that take an Idempotency-Key (recording a trade; the steps that change money or
# title, which answer 428 without it or If-Match): the runs send a fresh one, so that the
# fuzzing gets past it to the handlers.
KEYED = {
    f"{method.upper()} {path}"
    for path, item in PATHS.items()
    for method, operation in item.items()
    if isinstance(operation, dict)
    and any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
}

# Answers per operation ("GET /v1/products/{product_id}" -> status -> count), per run.
STATUSES: dict[str, defaultdict[str, Counter[int]]] = {
    run: defaultdict(Counter) for run in ("operator", "anonymous", "stateful")
}
# Statuses that say the request never got to the operation's own logic.
NOT_REACHED = {401, 403, 404, 405, 429}


# --- the world -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _reset_database() -> None:
    """The world is built once for the module: no reset between its tests (see
    `_reset_after_module`)."""


@pytest.fixture(scope="module", autouse=True)
async def _reset_after_module(database_url: str, reset_sql: str) -> AsyncIterator[None]:
    """Wipe the world when the module ends, so the modules after it start clean. Set up
    before the live server, so it runs after the server (and what it does after a response)
    has stopped."""
    yield
    connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
    try:
        await connection.execute(reset_sql)
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:  # the session's, with one change
    """Webhooks may go to the loopback receiver below."""
    return settings.model_copy(update={"webhooks_allow_private_urls": True})


class _Receiver(BaseHTTPRequestHandler):
    """Takes every webhook delivery with 204."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()
    thread.join(timeout=10)


@dataclass
class World:
    """Real ids of the world. `values` maps an operation's path template to consistent sets
    of its path parameters (a sample id with its own product's id, a leaf index with its
    venue); `destroyed` does the same for DELETE, with objects nobody else needs. The other
    fields fill the ids that request bodies carry."""

    url: str
    token: str  # the caller's operator key: nothing in the world names it
    values: dict[str, list[dict[str, Any]]]
    destroyed: dict[str, list[dict[str, Any]]]
    merchants: list[str]
    products: list[str]
    venues: list[str]
    listed: list[dict[str, Any]]  # listing_id, venue_code, merchant_id, product_id
    pledges: list[str]
    samples: dict[str, list[str]]  # product id -> its samples
    ledger_sizes: dict[str, int]  # venue -> leaves in its ledger, when the world was built
    statement_venues: dict[str, list[str]]  # month -> the venues of its trades
    parties: dict[str, str]  # operation -> the key of the party whose step it is

    def key_for(self, case: schemathesis.Case) -> str:
        return self.parties.get(f"{case.method.upper()} {case.path}", self.token)

    def fill(self, case: schemathesis.Case) -> None:
        """Put real ids in the path and the body of three examples out of four, chosen by
        the generated values (so a failing example replays the same); the fourth keeps its
        random ids, so "not found" stays fuzzed too. `action` and `decision` stay as
        generated."""
        generated = {"path": case.path_parameters or {}, "body": case.body}
        digest = zlib.crc32(json.dumps(generated, sort_keys=True, default=str).encode())
        if digest % 4 == 0:
            return  # (without a key a step is 428: that stays fuzzed too)
        if f"{case.method.upper()} {case.path}" in KEYED:
            # A fresh key, and no made-up If-Match (a stale one is 412 before the handler;
            # it stays fuzzed in the fourth case above).
            kept = {k: v for k, v in (case.headers or {}).items() if k.lower() != "if-match"}
            case.headers = {**kept, "Idempotency-Key": str(uuid4())}
        pick = digest // 4
        pool = (self.destroyed if case.method.upper() == "DELETE" else self.values).get(case.path)
        if pool and case.path_parameters:
            case.path_parameters = {**case.path_parameters, **pool[pick % len(pool)]}
        if isinstance(case.body, dict):
            case.body = self._body(case.path, dict(case.body), case.path_parameters or {}, pick)
        if case.path.endswith("/statements/{month}") and isinstance(case.query, dict):
            venues = self.statement_venues.get(str((case.path_parameters or {}).get("month")))
            if venues and pick % 4:  # a venue the month has trades at, mostly
                case.query = {**case.query, "venue_code": venues[pick % len(venues)]}
        size = self.ledger_sizes.get((case.path_parameters or {}).get("venue_code", ""), 0)
        if case.path.startswith("/v1/ledgers/{venue_code}/proofs/") and case.query and size:
            # Tree sizes this ledger has had, and a leaf in the smaller tree.
            larger = 1 + (pick >> 3) % size
            smaller = 1 + (pick >> 11) % larger
            if "tree_size" in case.query:
                case.query = {**case.query, "tree_size": larger, "index": smaller - 1}
            else:
                case.query = {**case.query, "first": smaller, "second": larger}

    def _body(self, path: str, body: dict[str, Any], params: dict[str, Any], pick: int) -> Any:
        def one(items: list[Any], salt: int = 0) -> Any:
            return items[(pick + salt) % len(items)]

        if path == "/v1/programmes" and pick % 2:
            # Rules across fields (kinds of first, a window, region prefixes) that the schema
            # cannot say: half the examples get them right and reach the handler's end.
            body.update(
                {"code": f"FUZZ-{pick % 10**8}", "region_codes": ["3301"], "from": "2025-01-01",
                 "to": "2027-12-31", "firsts": {"registered": "100.00"},
                 "cap_per_merchant": "100.00", "budget": "1000.00"}
            )  # fmt: skip
            body.pop("tiers", None)
            return body
        if path == "/v1/venues/{code}/fee-waivers" and pick % 2:
            body.update(
                {"kind": "period", "percent": "50", "from": "2026-01-01", "to": "2026-12-31",
                 "cap_per_merchant": "100.00"}
            )  # fmt: skip
            for key in ("tier", "region_codes"):
                body.pop(key, None)
            return body
        if path == "/v1/transactions":
            listing = one(self.listed)
            seller = listing["merchant_id"] if body.get("on_venue") else one(self.merchants)
            body["seller_merchant_id"] = seller
            body["buyer_merchant_id"] = one([m for m in self.merchants if m != seller], 1)
            if body.get("on_venue"):
                body["venue_code"] = listing["venue_code"]
                body["listing_id"] = listing["listing_id"]
                if body.get("product_id") is not None:
                    body["product_id"] = listing["product_id"]
            return body
        for key in ("merchant_id", "to_merchant_id", "licensee_merchant_id"):
            if key in body:
                body[key] = one(self.merchants)
        if "product_id" in body:
            body["product_id"] = one(self.products)
        if "venue_code" in body:
            body["venue_code"] = one(self.venues)
        if "pledge_id" in body and self.pledges:
            body["pledge_id"] = one(self.pledges)
        if body.get("sample_id") is not None and self.samples.get(params.get("product_id", "")):
            body["sample_id"] = one(self.samples[params["product_id"]])
        return body


def _load(settings: Settings, demo: Snapshot) -> tuple[str, str]:
    """The demo catalog (the session's one load, restored: tests/conftest.py), and two
    operator keys: one builds the world, one calls."""

    async def run() -> tuple[str, str]:
        connection = await asyncpg.connect(settings.database_url.replace("+asyncpg", "", 1))
        try:
            await demo.restore(connection)
        finally:
            await connection.close()
        engine = create_engine(settings, settings.database_url, poolclass=NullPool)
        try:
            factory = create_sessionmaker(engine)
            async with factory() as session:
                builder = await make_key(session, Role.operator, name="fuzz: builds the world")
                caller = await make_key(session, Role.operator, name="fuzz: calls")
            return builder, caller
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _add_through_the_api(
    api: httpx.Client, rows: dict[str, list[Any]], receiver: str
) -> dict[str, str]:
    """What the demo lacks, made as a client would: webhook subscriptions (first, so the
    rest makes deliveries), API keys, trades on listed listings, objections."""
    for n in range(3):
        _created(
            api.post(
                "/v1/webhooks",
                json={"url": receiver, "event_types": ["*"], "description": f"fuzz {n}"},
            )
        )
    for n in range(3):
        _created(api.post("/v1/api-keys", json={"role": "auditor", "name": f"fuzz victim {n}"}))
    merchants = [r["id"] for r in rows["merchant"]]
    venues_done: set[str] = set()
    for listing in rows["listed"]:
        if listing["venue_code"] in venues_done:
            continue
        venues_done.add(listing["venue_code"])
        buyer = next(m for m in merchants if m != listing["merchant_id"])
        for n in range(2):
            body = {
                "venue_code": listing["venue_code"],
                "on_venue": True,
                "listing_id": listing["listing_id"],
                "seller_merchant_id": str(listing["merchant_id"]),
                "buyer_merchant_id": str(buyer),
                "amount": f"{12000 + n}.00",
                "contract_digest": hashlib.sha256(
                    f"{listing['listing_id']}{n}".encode()
                ).hexdigest(),
                "occurred_at": "2026-11-01T10:00:00+08:00",
            }
            _created(
                api.post(
                    "/v1/transactions",
                    json=body,
                    headers={"Idempotency-Key": f"fuzz-{listing['listing_id']}-{n}"},
                )
            )
    # A contract negotiation on the first listed listing, agreed (so an agreement exists).
    listing = rows["listed"][0]
    buyer = next(m for m in merchants if m != listing["merchant_id"])

    def merchant_key(merchant_id: Any, name: str) -> dict[str, str]:
        made = _created(
            api.post(
                "/v1/api-keys",
                json={"role": "merchant", "name": name, "merchant_id": str(merchant_id)},
            )
        )
        return {"Authorization": f"Bearer {made['token']}"}

    consumer = merchant_key(buyer, "fuzz buyer")
    provider = merchant_key(listing["merchant_id"], "fuzz provider")
    negotiation = _created(
        api.post(
            f"/v1/listings/{listing['listing_id']}/negotiations",
            json={"rights": ["use"], "purpose": "模型训练", "term_end": "2027-12-31"},
            headers=consumer,
        )
    )
    agreed = api.post(
        f"/v1/negotiations/{negotiation['id']}/agree",
        headers={**provider, "Idempotency-Key": "fuzz-agree"},
    )
    assert agreed.status_code == 200, agreed.text
    # A negotiation's steps are its parties' (DOMAIN.md "Negotiation"): the operator's run
    # takes each with the key of the party whose step it is, so the handlers are reached.
    parties = {
        f"POST /v1/negotiations/{{negotiation_id}}/{step}": key["Authorization"][7:]
        for key, steps in (
            (consumer, ("accept", "verify", "terminate")),
            (provider, ("offer", "agree", "finalize")),
        )
        for step in steps
    }
    parties["POST /v1/listings/{listing_id}/negotiations"] = consumer["Authorization"][7:]
    for n, registration in enumerate(rows["in_notice"]):
        _created(
            api.post(
                f"/v1/ip-registrations/{registration['id']}/objections",
                json={"kind": ("other", "ownership")[n % 2], "grounds": "该数据的来源另有权利人。"},
                headers={"Idempotency-Key": f"fuzz-objection-{registration['id']}"},
            )
        )
    return parties


QUERIES = {
    "merchant": "SELECT id FROM merchant ORDER BY id",
    "listed": "SELECT id AS listing_id, venue_code, merchant_id, product_id FROM listing"
    " WHERE status = 'listed' ORDER BY id",
    "pledge": "SELECT id FROM ip_pledge ORDER BY id",
    "pledge_of": "SELECT id AS pledge_id, registration_id FROM ip_pledge ORDER BY id",
    "listing": "SELECT id FROM listing ORDER BY id",
    "in_notice": "SELECT id FROM ip_registration WHERE status = 'publicizing' ORDER BY id",
    "registration": "SELECT id FROM ip_registration ORDER BY id",
    "certificate": "SELECT certificate_number AS number FROM ip_registration"
    " WHERE certificate_number IS NOT NULL ORDER BY 1",
    "objection": "SELECT id AS objection_id, registration_id FROM ip_objection ORDER BY id",
    # Products with something to show first: listed, sampled, assessed ones.
    "product": "SELECT p.id FROM product p ORDER BY p.id IN (SELECT product_id FROM listing)"
    " DESC, p.id LIMIT 60",
    "revision": "SELECT product_id, number FROM product_revision"
    " WHERE product_id IN (SELECT product_id FROM listing) ORDER BY 1, 2",
    "sample": "SELECT product_id, id AS sample_id FROM product_sample ORDER BY 1, 2",
    "assessment": "SELECT product_id, id AS assessment_id, kind FROM assessment ORDER BY 1, 2",
    "venue": "SELECT code FROM venue ORDER BY code",
    "fee_waiver": "SELECT venue_code AS code, id AS waiver_id FROM fee_waiver ORDER BY id",
    "asset": "SELECT id AS asset_id FROM data_asset ORDER BY id",
    "asset_holder": "SELECT DISTINCT merchant_id FROM data_asset ORDER BY 1",
    "ledger": "SELECT venue_code, size FROM ledger_head WHERE size > 0 ORDER BY venue_code",
    "trade": "SELECT id AS trade_id FROM trade ORDER BY id",
    # A seller's statement months, and the venue of each (a query parameter, set below).
    "statement": "SELECT DISTINCT seller_merchant_id AS merchant_id, to_char(occurred_at"
    " AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, venue_code FROM trade ORDER BY 1, 2, 3",
    "key": "SELECT id AS key_id FROM api_key WHERE name LIKE 'fuzz victim %' ORDER BY id",
    "webhook": "SELECT id AS webhook_id FROM webhook_subscription ORDER BY created_at",
    "delivery": "SELECT subscription_id AS webhook_id, id AS delivery_id"
    " FROM webhook_delivery ORDER BY created_at",
    "programme": "SELECT code AS programme_code FROM programme ORDER BY code",
    "claim": "SELECT id AS claim_id FROM programme_claim ORDER BY id",
    "negotiation": "SELECT id AS negotiation_id FROM negotiation ORDER BY id",
    "agreement": "SELECT id AS agreement_id FROM agreement ORDER BY id",
}


async def _rows(database_url: str) -> dict[str, list[dict[str, Any]]]:
    connection = await asyncpg.connect(database_url.replace("+asyncpg", "", 1))
    try:
        found = {name: await connection.fetch(sql) for name, sql in QUERIES.items()}
    finally:
        await connection.close()
    return {
        name: [{k: str(v) if isinstance(v, UUID) else v for k, v in row.items()} for row in rows]
        for name, rows in found.items()
    }


def _values(rows: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Path template -> consistent real path parameters (for reads and changes; for deletes)."""

    def ids(name: str, column: str) -> list[dict[str, Any]]:
        return [{column: r.get(column, r.get("id"))} for r in rows[name]]

    def of_kind(kind: str) -> list[dict[str, Any]]:
        return [
            {"product_id": r["product_id"], "assessment_id": r["assessment_id"]}
            for r in rows["assessment"]
            if r["kind"] == kind
        ]

    venues = [{"code": r["code"]} for r in rows["venue"]]
    ledgers = [{"venue_code": r["venue_code"]} for r in rows["ledger"]]
    leaves = [
        {"venue_code": r["venue_code"], "index": i}
        for r in rows["ledger"]
        for i in range(min(int(r["size"]), 20))
    ]
    webhooks = ids("webhook", "webhook_id")
    values: dict[str, list[dict[str, Any]]] = {
        "/v1/merchants/{merchant_id}": ids("merchant", "merchant_id"),
        "/v1/merchants/{merchant_id}/firsts": ids("merchant", "merchant_id"),
        "/v1/products/{product_id}/revisions/{number}": rows["revision"],
        "/v1/products/{product_id}/samples/{sample_id}": rows["sample"],
        "/v1/products/{product_id}/samples/{sample_id}/content": rows["sample"],
        "/v1/products/{product_id}/quality-assessments/{assessment_id}": of_kind("quality"),
        "/v1/products/{product_id}/compliance-assessments/{assessment_id}": of_kind("compliance"),
        "/v1/products/{product_id}/valuations/{assessment_id}": of_kind("valuation"),
        "/v1/listings/{listing_id}": ids("listing", "listing_id"),
        "/v1/listings/{listing_id}/events": ids("listing", "listing_id"),
        "/v1/listings/{listing_id}/{action}": ids("listing", "listing_id"),
        "/v1/ip-registrations/{registration_id}/objections/{objection_id}/{decision}": rows[
            "objection"
        ],
        **{
            f"/v1/ip-registrations/{{registration_id}}/pledges/{{pledge_id}}/{step}": rows[
                "pledge_of"
            ]
            for step in ("confirm", "withdraw", "consent")
        },
        "/v1/certificates/{number}": rows["certificate"],
        "/v1/certificates/{number}.pdf": rows["certificate"],
        "/verify/certificates/{number}": rows["certificate"],
        "/v1/catalog/{listing_id}": [{"listing_id": r["listing_id"]} for r in rows["listed"]],
        **{
            f"/v1/merchants/{{merchant_id}}/data-asset-{noun}": rows["asset_holder"]
            for noun in ("disclosure", "journal", "accounts", "periods")
        },
        "/v1/merchants/{merchant_id}/statements/{month}": [
            {"merchant_id": r["merchant_id"], "month": r["month"]} for r in rows["statement"]
        ],
        "/v1/transactions/{trade_id}": rows["trade"],
        "/v1/venues/{code}/fee-waivers/{waiver_id}": rows["fee_waiver"],
        "/v1/venues/{code}/fee-waivers/{waiver_id}/end": rows["fee_waiver"],
        "/v1/transactions/{trade_id}/events": rows["trade"],
        "/v1/ledgers/{venue_code}/entries/{index}": leaves,
        "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry": rows["delivery"],
        "/v1/listings/{listing_id}/negotiations": ids("listing", "listing_id"),
        "/v1/agreements/{agreement_id}": rows["agreement"],
        **{
            f"/v1/negotiations/{{negotiation_id}}{step}": rows["negotiation"]
            for step in ("", "/offer", "/accept", "/agree", "/verify", "/finalize", "/terminate")
        },
    }
    for path in OPERATIONS:
        template = path.split(" ", 1)[1]
        if template in values:
            continue
        if template.startswith("/v1/venues/{code}"):
            values[template] = venues
        elif template.startswith("/v1/ledgers/{venue_code}"):
            values[template] = ledgers + venues_as_ledgers(venues)
        elif template.startswith("/v1/products/{product_id}"):
            values[template] = ids("product", "product_id")
        elif template.startswith("/v1/ip-registrations/{registration_id}"):
            values[template] = ids("registration", "registration_id")
        elif template.startswith("/v1/data-assets/{asset_id}"):
            values[template] = ids("asset", "asset_id")
        elif template.startswith("/v1/webhooks/{webhook_id}"):
            values[template] = webhooks[:1]  # the others are for DELETE
        elif template.startswith("/v1/programmes/{programme_code}"):
            values[template] = rows["programme"]
        elif template.startswith("/v1/programme-claims/{claim_id}"):
            values[template] = ids("claim", "claim_id")
    destroyed = {
        # Never the caller's key, nor the one that made the webhooks: they would stop.
        "/v1/api-keys/{key_id}": rows["key"],
        "/v1/webhooks/{webhook_id}": webhooks[1:],
    }
    return values, destroyed


def venues_as_ledgers(venues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"venue_code": v["code"]} for v in venues]


def _wait_for_deliveries(database_url: str) -> None:
    """Deliveries are queued by the live app's worker, a moment after the events."""
    deadline = time.monotonic() + 20
    while not asyncio.run(_rows(database_url))["delivery"]:
        assert time.monotonic() < deadline, "no webhook delivery was queued"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def world(
    live_url: str,
    settings: Settings,
    database_url: str,
    receiver: str,
    _demo_snapshot: tuple[Snapshot, Loaded],
) -> World:
    builder, caller = _load(settings, _demo_snapshot[0])
    with httpx.Client(
        base_url=live_url, headers={"Authorization": f"Bearer {builder}"}, timeout=30
    ) as api:
        parties = _add_through_the_api(api, asyncio.run(_rows(database_url)), receiver)
    _wait_for_deliveries(database_url)
    rows = asyncio.run(_rows(database_url))
    assert rows["trade"] and rows["objection"] and rows["certificate"] and rows["delivery"]
    values, destroyed = _values(rows)
    statement_venues: dict[str, list[str]] = defaultdict(list)
    for row in rows["statement"]:
        statement_venues[row["month"]].append(row["venue_code"])
    samples: dict[str, list[str]] = defaultdict(list)
    for row in rows["sample"]:
        samples[row["product_id"]].append(row["sample_id"])
    return World(
        url=live_url,
        token=caller,
        values=values,
        destroyed=destroyed,
        merchants=[r["id"] for r in rows["merchant"]],
        products=[r["id"] for r in rows["product"]],
        venues=[r["code"] for r in rows["venue"]],
        listed=rows["listed"],
        pledges=[r["id"] for r in rows["pledge"]],
        samples=samples,
        ledger_sizes={r["venue_code"]: r["size"] for r in rows["ledger"]},
        statement_venues=statement_venues,
        parties=parties,
    )


# --- the runs --------------------------------------------------------------------------


def _call(case: schemathesis.Case, url: str, run: str, token: str | None = None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = case.call(base_url=url, headers=headers)
    STATUSES[run][f"{case.method.upper()} {case.path}"][response.status_code] += 1
    case.validate_response(response, checks=CHECKS, headers=headers)


@schema.parametrize()
@FUZZ
def test_api_conforms_to_its_schema(case: schemathesis.Case, world: World) -> None:
    world.fill(case)
    _call(case, world.url, "operator", world.key_for(case))


@schema.parametrize()
@hypothesis.settings(FUZZ, max_examples=max(5, EXAMPLES // 5))
def test_anonymous_calls_conform_too(case: schemathesis.Case, world: World) -> None:
    _call(case, world.url, "anonymous")


def test_stateful_workflows_conform(world: World) -> None:
    """Sequences of calls chained by the links schemathesis infers (a created resource's id
    feeds the operations on it): no 5xx, no schema violation along the way."""
    base = schema.as_state_machine()
    calls: list[str] = []

    class Workflow(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            headers = {"Authorization": f"Bearer {world.token}"}
            if f"{case.method.upper()} {case.path}" in KEYED:
                headers["Idempotency-Key"] = str(uuid4())
            return {"base_url": world.url, "headers": headers}

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            status = getattr(response, "status_code", 0)
            STATUSES["stateful"][f"{case.method.upper()} {case.path}"][status] += 1
            calls.append(f"{case.method} {case.path} {status}")

        def validate_response(
            self, response: object, case: schemathesis.Case, **kwargs: object
        ) -> None:
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL,
            stateful_step_count=5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert len(calls) >= 20, calls  # the workflows did run, through many operations
    assert len({c.rsplit(" ", 1)[0] for c in calls}) >= 5


def _table(statuses: dict[str, Counter[int]]) -> str:
    return "\n".join(
        f"{op}: {dict(sorted(statuses.get(op, Counter()).items()))}" for op in sorted(OPERATIONS)
    )


def test_the_fuzzing_reached_the_handlers() -> None:
    """No answer came from a rate limiter, and the authenticated run got past the lookups:
    nearly every operation had an answer that is neither "not found" nor a refusal."""
    limited = {
        (run, op): n
        for run, statuses in STATUSES.items()
        for op, counts in statuses.items()
        if (n := counts[429])
    }
    assert not limited, limited
    operator = STATUSES["operator"]
    print("\n" + _table(operator))  # `pytest -s` shows what each operation answered
    if left_out := sorted(OPERATIONS - set(operator)):
        pytest.skip(f"the authenticated run left out {left_out}")
    unreached = sorted(op for op in OPERATIONS if set(operator[op]) <= NOT_REACHED)
    assert len(unreached) <= len(OPERATIONS) // 20, "\n".join(unreached) + "\n" + _table(operator)
    succeeded = [op for op in OPERATIONS if any(200 <= s < 300 for s in operator[op])]
    assert len(succeeded) >= len(OPERATIONS) * 3 // 4, _table(operator)
