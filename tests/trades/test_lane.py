"""The trade lane (app/trades/lane.py) answers as the documented route does.

Well-formed requests to record a trade skip FastAPI; the others go on to the route. Either
way the caller sees the same statuses, problems and headers, and a trade is recorded once.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import Driver, driver_of
from app.core.errors import Forbidden
from app.core.roles import Role
from app.core.tokens import hash_token
from app.trades.recorder import Answer, GroupCommitter, Submission
from app.trades.schemas import TradeCreate
from app.trades.service import request_hash
from tests.factories import auth, make_key
from tests.trades.conftest import Parties

# FastAPI reads any application/*+json body as JSON; the lane takes only application/json,
# so this content type shows what the route does with a request the lane passes on.
ROUTE_ONLY = "application/merge-patch+json"


async def _post(
    parties: Parties, headers: dict[str, str], content_type: str = "application/json", **body: str
) -> httpx.Response:
    import json

    return await parties.client.post(
        "/v1/transactions",
        content=json.dumps(parties.body(**body)),
        headers={"Content-Type": content_type, **headers},
    )


async def test_the_lane_and_the_route_record_alike(parties: Parties, session: AsyncSession) -> None:
    key = {**parties.admin, "Idempotency-Key": "lane-1"}
    first = await _post(parties, key)
    assert first.status_code == 201, first.text
    assert first.headers["Location"] == f"/v1/transactions/{first.json()['id']}"
    assert first.headers["X-Request-ID"]
    assert "Idempotent-Replayed" not in first.headers

    # The same key and body through the route: the lane's first answer, replayed.
    replay = await _post(parties, key, ROUTE_ONLY)
    assert replay.status_code == 201 and replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"
    # And the other way round: the route records, the lane replays.
    other = {**parties.admin, "Idempotency-Key": "route-1"}
    by_route = await _post(parties, other, ROUTE_ONLY, amount="10.00")
    assert by_route.status_code == 201, by_route.text
    by_lane = await _post(parties, other, amount="10.00")
    assert by_lane.json() == by_route.json() and by_lane.headers["Idempotent-Replayed"] == "true"
    mismatch = await _post(parties, other, amount="11.00")
    assert mismatch.status_code == 422
    assert mismatch.json()["type"] == "urn:shushang:problem:idempotency-key-reused"

    assert [by_route.json()["leaf_index"], first.json()["leaf_index"]] == [1, 0]
    stored = await session.execute(text("SELECT count(*) FROM trade"))
    assert stored.scalar_one() == 2


async def test_the_lane_and_the_route_store_who_reported_alike(
    parties: Parties, session: AsyncSession
) -> None:
    """A merchant key's off-venue report names its merchant as the reporter and is
    unconfirmed, whichever way it came; an operator's recording names no reporter."""
    answers = {}
    for caller, name in ((parties.seller_key, "seller"), (parties.admin, "operator")):
        for content_type in ("application/json", ROUTE_ONLY):
            answer = await _post(
                parties, {**caller, "Idempotency-Key": str(uuid.uuid4())}, content_type
            )
            assert answer.status_code == 201, answer.text
            answers[(name, content_type)] = answer.json()
    rows = dict(
        (
            await session.execute(
                text("SELECT id::text, reported_by_merchant_id FROM trade"),
            )
        ).all()
    )
    for (name, _), trade in answers.items():
        reporter = parties.seller.id if name == "seller" else None
        assert rows[trade["id"]] == reporter
        assert trade["reported_by_merchant_id"] == (reporter and str(reporter))
        assert trade["confirmed"] is (name == "operator")


async def test_the_lane_refuses_as_the_route_does(
    parties: Parties, session: AsyncSession, app: FastAPI
) -> None:
    revoked_key = await make_key(session, Role.operator)
    await session.execute(
        text("UPDATE api_key SET revoked_at = now() WHERE token_hash = :h"),
        {"h": hash_token(revoked_key)},
    )
    await session.commit()
    assessor = auth(await make_key(session, Role.assessor))
    cases = [
        (auth(revoked_key), {}, 401, "unauthorized"),
        (parties.auditor, {}, 403, "forbidden"),
        (assessor, {}, 403, "forbidden"),
        (parties.seller_key, {"on_venue": "true"}, 403, "forbidden"),  # not its off-venue sale
        (parties.admin, {"venue_code": "NOWHERE"}, 404, "not-found"),
        (parties.admin, {"buyer_merchant_id": str(parties.seller.id)}, 422, "validation-failed"),
    ]
    for headers, fields, status, slug in cases:
        for content_type in ("application/json", ROUTE_ONLY):
            answer = await parties.client.post(
                "/v1/transactions",
                json={**parties.body(), **fields, "on_venue": fields.get("on_venue") == "true"},
                headers={
                    **headers,
                    "Content-Type": content_type,
                    "Idempotency-Key": str(uuid.uuid4()),
                    "Accept-Language": "zh-CN",
                },
            )
            assert answer.status_code == status, (fields, content_type, answer.text)
            problem = answer.json()
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["Content-Language"] == "zh-CN"
            assert problem["type"] == f"urn:shushang:problem:{slug}"
            assert problem["instance"] == "/v1/transactions"
            if status == 401:
                assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await session.execute(text("SELECT count(*) FROM trade"))).scalar_one() == 0
    # Made-up venue codes leave no queue or writer behind.
    assert app.state.committer._waiting == {} and app.state.committer._writers == {}


async def test_malformed_requests_get_the_routes_answers(parties: Parties) -> None:
    client = parties.client
    bad_token = {"Authorization": "Bearer shs_op_not-a-key-that-exists-anywhere"}
    # The key is checked before the body, as for every route.
    unknown = await client.post(
        "/v1/transactions", json={"amount": "x"}, headers={**bad_token, "Idempotency-Key": "k"}
    )
    assert unknown.status_code == 401
    invalid = await client.post(
        "/v1/transactions",
        json=parties.body(amount="0"),
        headers={**parties.admin, "Idempotency-Key": "k"},
    )
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["loc"] == ["body", "amount"]
    broken = await client.post(
        "/v1/transactions",
        content=b'{"venue_code": ',
        headers={**parties.admin, "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    too_long = await parties.record(key="k" * 256)
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    no_key = await client.post("/v1/transactions", json=parties.body(), headers=parties.admin)
    assert no_key.status_code == 400


async def test_the_lane_applies_the_rate_limit(settings: Settings, session: AsyncSession) -> None:
    from app.main import create_app

    strict = create_app(settings.model_copy(update={"rate_limit_per_minute": 2}))
    transport = httpx.ASGITransport(app=strict)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            parties = await Parties().setup(client, session)
            answers = [(await parties.record()).status_code for _ in range(3)]
            assert answers == [201, 201, 429]
    finally:
        await strict.state.engine.dispose()


async def waiting_for_locks(raw: Driver, count: int) -> None:
    """Until `count` other connections wait for a lock (at most 10 s)."""
    for _ in range(200):
        await raw.execute("SELECT pg_stat_clear_snapshot()")  # else read once a transaction
        waiting = await raw.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} connections never waited for the lock")


async def test_a_failed_batch_is_retried_one_by_one_with_every_check_again(
    parties: Parties, app: FastAPI, session: AsyncSession
) -> None:
    """Two processes (two committers) record the same Idempotency-Key; the loser's batch
    fails on the key's primary key and is retried trade by trade. The retry answers the
    key with the winner's trade, and the auditor in the other batch is refused either way."""
    engine = app.state.engine
    here, there = (GroupCommitter(engine, None, Decimal("10000000.00")) for _ in range(2))
    data = TradeCreate.model_validate(parties.body(venue_code="HZDEX"))

    def submission(headers: dict[str, str], key: str) -> Submission:
        token = headers["Authorization"].removeprefix("Bearer ")
        return Submission(data, key, request_hash(data), hash_token(token), None)

    # Hold the venue's head so that both batches read their facts before either commits.
    async with engine.connect() as blocker:
        raw = await driver_of(blocker)
        async with raw.transaction():
            await raw.execute(
                "INSERT INTO ledger_head (venue_code, size) VALUES ('HZDEX', 0)"
                " ON CONFLICT DO NOTHING"
            )
            await raw.fetchval("SELECT size FROM ledger_head WHERE venue_code = 'HZDEX' FOR UPDATE")
            winner = asyncio.create_task(here.record(submission(parties.admin, "shared")))
            await waiting_for_locks(raw, 1)
            losers = [
                asyncio.create_task(there.record(submission(parties.auditor, "auditor's"))),
                asyncio.create_task(there.record(submission(parties.admin, "shared"))),
            ]
            await waiting_for_locks(raw, 2)
    # The head row's lock goes to either waiter; the other's batch fails on the key.
    first = await winner
    refused, second = await asyncio.gather(*losers, return_exceptions=True)
    assert isinstance(refused, Forbidden), refused
    assert isinstance(second, Answer), second
    recorded, replayed = sorted([first, second], key=lambda answer: answer.replayed)
    assert (recorded.status, recorded.replayed) == (201, False)
    assert (replayed.status, replayed.replayed) == (201, True)
    assert replayed.trade_id == recorded.trade_id
    assert (await session.execute(text("SELECT count(*) FROM trade"))).scalar_one() == 1


async def test_the_lane_answers_any_request_as_the_route_would(
    parties: Parties, session: AsyncSession
) -> None:
    """Requests of every kind, good and bad, sent once as the lane takes them and once as
    only the route does: the same status and problem type each time, and as many trades."""
    import json
    import random

    revoked = await make_key(session, Role.operator)
    await session.execute(
        text("UPDATE api_key SET revoked_at = now() WHERE token_hash = :h"),
        {"h": hash_token(revoked)},
    )
    await session.commit()
    callers = [
        parties.admin,
        parties.seller_key,
        parties.auditor,
        auth(revoked),
        {"Authorization": "Bearer shs_op_" + "x" * 43},  # looks like a key, is none
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Basic YWxhZGRpbjpvcGVu"},
        {},
    ]
    variants: dict[str, list[object]] = {
        "venue_code": ["OTC", "HZDEX", "NOWHERE", "otc", 7],
        "on_venue": [False, True, "yes"],
        "amount": ["12.34", "0", "-1", "1000000000000.01", 12, "abc", "9.999"],
        "buyer_merchant_id": [str(parties.buyer.id), str(parties.seller.id), str(uuid.uuid4())],
        "listing_id": [None, str(uuid.uuid4()), "nope"],
        "occurred_at": ["2026-11-20T10:00:00+08:00", "2026-11-20T10:00:00", "yesterday"],
        "term": [None, "12 个月", "x" * 101],
        "surprise": [None, "an extra field"],
    }
    keys: list[str | None] = ["", "k" * 255, "k" * 256, None]  # None: fresh each time
    # Each variant alone (the rest valid), each caller, each key; then random mixtures.
    cases: list[tuple[dict[str, object], dict[str, str], str | None]] = [
        ({name: value}, parties.admin, None)
        for name, values in variants.items()
        for value in values
        if value is not None
    ]
    cases += [({}, caller, None) for caller in callers]
    cases += [({}, parties.admin, key) for key in keys]
    rng = random.Random(20261124)
    for _ in range(60):
        changed = {n: rng.choice(v) for n, v in variants.items() if rng.random() < 0.2}
        caller = parties.admin if rng.random() < 0.5 else rng.choice(callers)
        cases.append((changed, caller, rng.choice(keys) if rng.random() < 0.2 else None))
    seen: set[int] = set()
    recorded = 0
    for changed, caller, key in cases:
        body = {**parties.body(), **{n: v for n, v in changed.items() if v is not None}}
        answers = []
        for content_type in ("application/json", ROUTE_ONLY):
            headers = {**caller, "Content-Type": content_type}
            if key != "":
                headers["Idempotency-Key"] = key or str(uuid.uuid4())
            answer = await parties.client.post(
                "/v1/transactions", content=json.dumps(body), headers=headers
            )
            problem = answer.json().get("type") if answer.status_code >= 400 else None
            answers.append((answer.status_code, problem))
            recorded += answer.status_code == 201 and "Idempotent-Replayed" not in answer.headers
        seen.add(answers[0][0])
        assert answers[0] == answers[1], (body, caller, key, answers)
    assert {201, 400, 401, 403, 404, 422} <= seen, seen
    stored = await session.execute(text("SELECT count(*) FROM trade"))
    assert stored.scalar_one() == recorded
