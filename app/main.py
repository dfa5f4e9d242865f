"""The application: `create_app()` wires routers, middleware, error handlers and the lifespan."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from app.assessments.router import router as assessments_router
from app.assets.journal_router import router as data_asset_journal_router
from app.assets.router import disclosures as data_asset_disclosures_router
from app.assets.router import restatements as data_asset_restatements_router
from app.assets.router import router as data_assets_router
from app.audit import refusals
from app.audit.router import router as audit_router
from app.auth.repository import principal_on
from app.auth.router import me as me_router
from app.auth.router import router as api_keys_router
from app.catalog.router import router as catalog_router
from app.certificates.router import documents as certificate_documents_router
from app.certificates.router import pages as certificate_pages_router
from app.contracts.router import router as contracts_router
from app.core import errors
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_sessionmaker
from app.core.etags import ConditionalRequests
from app.core.ratelimit import AddressLimits, Rate, prune_forever
from app.fees.router import router as fee_waivers_router
from app.firsts.router import router as firsts_router
from app.ip.expiry import sweep_forever
from app.ip.router import certificates as certificates_router
from app.ip.router import router as ip_router
from app.ledger.freshness import refresh_forever
from app.ledger.router import logs_router as ledger_logs_router
from app.ledger.router import router as ledger_router
from app.ledger.signing import signer_of
from app.listings.router import router as listings_router
from app.merchants.router import router as merchants_router
from app.ops.router import router as ops_router
from app.outbox.router import router as events_router
from app.products.router import router as products_router
from app.programmes.router import claims_router as programme_claims_router
from app.programmes.router import router as programmes_router
from app.samples.router import router as samples_router
from app.samples.upload import ENVELOPE_BYTES, UPLOAD_PATH
from app.statements.router import router as statements_router
from app.stats.router import router as stats_router
from app.trades.imports import PATH as IMPORTS_PATH
from app.trades.lane import TradeLane
from app.trades.recorder import GroupCommitter
from app.trades.router import router as trades_router
from app.venues.router import router as venues_router
from app.web import auth, idempotency, problems
from app.web.cors import Cors
from app.web.deps import known_query_parameters
from app.web.docs import add_docs
from app.web.middleware import (
    AddressRateLimitMiddleware,
    BodyLimitMiddleware,
    HeadMiddleware,
    RequestContextMiddleware,
)
from app.web.openapi_docs import COMMON_ERRORS, Problem
from app.web.replica import ReadReplica, stop
from app.web.routing import skip_by_prefix
from app.webhooks.delivery import deliver_forever
from app.webhooks.router import router as webhooks_router
from app.wiring import register as register_wiring

API_DESCRIPTION = """
Shushang (数商) is the back end of a data exchange: it registers data merchants, lists
their data products on exchange venues, assesses and values them, registers their data
intellectual property, and keeps a tamper-evident, per-venue ledger of every trade.

Authenticate with an API key: `Authorization: Bearer shs_…`. Errors are RFC 9457
`application/problem+json`; `title` and `detail` follow `Accept-Language` (`zh` or English).
Lists are keyset-paged: `?limit=` (1–200) and `?cursor=` from `next_cursor`.
"""


def create_app(settings: Settings | None = None, database_url: str | None = None) -> FastAPI:
    """The ASGI app. `database_url` overrides the settings (the embedded server's URL)."""
    settings = settings or get_settings()
    register_wiring()
    url = database_url or settings.database_url
    if not url:
        raise RuntimeError(
            "No database URL: set DATABASE_URL, or start through `shushang serve`, "
            "which starts the embedded PostgreSQL."
        )
    engine = create_engine(settings, url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What exists now (modules, routes, schemas, the pool) lives as long as the process:
        # out of the collector's full passes, which would otherwise stop every request for
        # tens of milliseconds (the p99 of recording trades).
        app.openapi()
        gc.freeze()
        workers = [
            asyncio.create_task(sweep_forever(app.state.sessionmaker)),
            asyncio.create_task(deliver_forever(app.state.sessionmaker, settings)),
            asyncio.create_task(
                refresh_forever(app.state.sessionmaker, lambda: signer_of(app.state), settings)
            ),
        ]
        if settings.rate_limit_per_minute > 0 or settings.anonymous_rate_limit_per_minute > 0:
            workers.append(asyncio.create_task(prune_forever(engine)))
        if app.state.replica.configured:
            workers.append(asyncio.create_task(app.state.replica.watch_forever()))
        yield
        for worker in workers:
            await stop(worker)
        await app.state.replica.dispose()
        await engine.dispose()

    app = FastAPI(
        title="Shushang",
        version="1.0.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # app/web/docs.py serves them without a CDN
        dependencies=[Depends(known_query_parameters)],
        redoc_url=None,
        openapi_tags=[
            {"name": "venues", "description": "Exchange venues (交易场所)."},
            {"name": "merchants", "description": "Data merchants (数商)."},
            {"name": "products", "description": "Data products (数据产品) and the catalog."},
            {"name": "catalog", "description": "Catalog cards and product pages for front ends."},
            {"name": "samples", "description": "Sample files of products, for assessment."},
            {"name": "assessments", "description": "Quality, compliance and valuation results."},
            {"name": "listings", "description": "Products listed (挂牌) on venues."},
            {
                "name": "ip-registrations",
                "description": "Data IP registration (数据知识产权登记) and certificates.",
            },
            {"name": "events", "description": "What changed, for clients that poll."},
            {"name": "webhooks", "description": "Events pushed to your URL, signed."},
            {"name": "transactions", "description": "Trades and their events; never changed."},
            {"name": "ledger", "description": "Per-venue Merkle logs (RFC 9162), for auditors."},
            {"name": "stats", "description": "The exchange at a glance."},
            {
                "name": "statements",
                "description": "Monthly statements (对账单) of a merchant at a venue.",
            },
            {"name": "api-keys", "description": "API keys and roles."},
            {"name": "audit", "description": "The audit trail of every change."},
            {"name": "operations", "description": "Health, readiness and metrics."},
        ],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.key_rate = Rate.of(settings.rate_limit_per_minute)
    auth.install(app.state, principal_on)  # the key lookup of the routes' dependencies
    # Read-only routes read here while it is usable (app/web/replica.py, app.web.deps.ReadSession).
    app.state.replica = ReadReplica(settings, engine, settings.read_database_url)
    app.state.signer = None  # loaded (or created) on first use: app/ledger/signing.py
    app.state.committer = GroupCommitter(
        app.state.engine, app.state.key_rate, settings.large_trade_amount
    )

    problems.install(app)
    # Innermost: the body limit and the request context apply to the lane's requests too.
    app.add_middleware(TradeLane, committer=app.state.committer)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.json_max_bytes,
        body_timeout_seconds=settings.request_body_timeout_seconds,
        upload_max_bytes=settings.upload_max_bytes,
        upload_path=UPLOAD_PATH,
        upload_envelope=ENVELOPE_BYTES,
        larger={IMPORTS_PATH: settings.import_max_bytes},
    )
    app.add_middleware(
        AddressRateLimitMiddleware,
        limits=AddressLimits.per_minute(engine, settings.anonymous_rate_limit_per_minute),
        engine=engine,
        key_rate=app.state.key_rate,
        lookup=principal_on,
    )
    app.add_middleware(
        ConditionalRequests,
        public_max_age=settings.public_max_age_seconds,
        venues_max_age=settings.venues_max_age_seconds,
    )
    app.add_middleware(HeadMiddleware)
    if settings.cors_origins:
        # Inside the request context (its X-Request-ID reaches a preflight's answer too);
        # outside everything that could refuse a preflight for want of a key or a body.
        app.add_middleware(Cors, origins=settings.cors_origins)
    app.add_middleware(RequestContextMiddleware, finished=refusals.record)

    add_docs(app)
    app.include_router(ops_router)
    for router in (
        venues_router,
        fee_waivers_router,
        merchants_router,
        firsts_router,
        products_router,
        catalog_router,
        samples_router,
        assessments_router,
        contracts_router,  # before `/v1/listings/{id}/{action}`, which would match
        listings_router,
        ip_router,
        certificate_documents_router,  # before `/{number}`, which `{number}.pdf` would match
        certificates_router,
        data_assets_router,
        data_asset_disclosures_router,
        data_asset_restatements_router,
        data_asset_journal_router,
        statements_router,
        certificate_pages_router,
        stats_router,
        programmes_router,
        programme_claims_router,
        trades_router,
        ledger_router,
        ledger_logs_router,
        api_keys_router,
        me_router,
        audit_router,
        events_router,
        webhooks_router,
    ):
        app.include_router(router, responses=COMMON_ERRORS)
    idempotency.describe(app.routes)
    skip_by_prefix(app)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(problem_schema.pop("$defs", {}))
            components["Problem"] = problem_schema
            _problem_for_validation_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _problem_for_validation_errors(schema: dict[str, Any]) -> None:
    """FastAPI documents 422 as its own JSON shape; ours is a problem+json."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = {
                    "description": "Validation failed; `errors` lists each field",
                    "content": {
                        errors.PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    },
                }
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and the worker processes of `shushang serve`."""
    return create_app()
