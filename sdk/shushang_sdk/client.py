"""`AsyncClient` and `Client`: one API key, one base URL, every resource."""

from __future__ import annotations

import os
from types import TracebackType
from typing import Self

import httpx

from shushang_sdk import resources as r
from shushang_sdk._blocking import Blocking, Loop, blocking, blocking_iter
from shushang_sdk._transport import Transport
from shushang_sdk.verify import TrustedKeys

DEFAULT_URL = "http://127.0.0.1:8000"


class AsyncClient:
    """`AsyncClient(base_url, api_key)`; both default to SHUSHANG_URL and SHUSHANG_API_KEY.

    Reads, and trade recording (with its Idempotency-Key), are retried up to `max_retries`
    times on connection errors, 429 (after Retry-After) and 503, backing off exponentially
    from `backoff` seconds. `trusted_keys` are the ledger keys verification trusts."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        trusted_keys: TrustedKeys | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._transport = Transport(
            base_url or os.environ.get("SHUSHANG_URL", DEFAULT_URL),
            api_key if api_key is not None else os.environ.get("SHUSHANG_API_KEY"),
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            transport=transport,
        )
        t = self._transport
        self.venues = r.Venues(t)
        self.api_keys = r.ApiKeys(t)
        self.merchants = r.Merchants(t)
        self.products = r.Products(t)
        self.assessments = r.Assessments(t)
        self.listings = r.Listings(t)
        self.transactions = r.Transactions(t)
        self.ledger = r.Ledger(t, dict(trusted_keys or {}))
        self.ip_registrations = r.IpRegistrations(t)
        self.certificates = r.Certificates(t)
        self.webhooks = r.Webhooks(t)
        self.events = r.Events(t)

    async def aclose(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class Venues(Blocking[r.Venues]):
    get = blocking(r.Venues.get)
    list = blocking_iter(r.Venues.list)


class ApiKeys(Blocking[r.ApiKeys]):
    create = blocking(r.ApiKeys.create)
    list = blocking_iter(r.ApiKeys.list)
    revoke = blocking(r.ApiKeys.revoke)


class Merchants(Blocking[r.Merchants]):
    create = blocking(r.Merchants.create)
    get = blocking(r.Merchants.get)
    list = blocking_iter(r.Merchants.list)
    update = blocking(r.Merchants.update)


class Products(Blocking[r.Products]):
    create = blocking(r.Products.create)
    get = blocking(r.Products.get)
    list = blocking_iter(r.Products.list)
    update = blocking(r.Products.update)
    upload_sample = blocking(r.Products.upload_sample)
    samples = blocking_iter(r.Products.samples)
    revisions = blocking_iter(r.Products.revisions)


class Assessments(Blocking[r.Assessments]):
    quality = blocking(r.Assessments.quality)
    compliance = blocking(r.Assessments.compliance)
    valuation = blocking(r.Assessments.valuation)
    list = blocking_iter(r.Assessments.list)


class Listings(Blocking[r.Listings]):
    create = blocking(r.Listings.create)
    get = blocking(r.Listings.get)
    list = blocking_iter(r.Listings.list)
    events = blocking_iter(r.Listings.events)
    submit = blocking(r.Listings.submit)
    approve = blocking(r.Listings.approve)
    reject = blocking(r.Listings.reject)
    suspend = blocking(r.Listings.suspend)
    resume = blocking(r.Listings.resume)
    delist = blocking(r.Listings.delist)


class Transactions(Blocking[r.Transactions]):
    record = blocking(r.Transactions.record)
    add_event = blocking(r.Transactions.add_event)
    get = blocking(r.Transactions.get)
    list = blocking_iter(r.Transactions.list)
    export = blocking(r.Transactions.export)


class Ledger(Blocking[r.Ledger]):
    tree_head = blocking(r.Ledger.tree_head)
    checkpoint = blocking(r.Ledger.checkpoint)
    verifier_key = blocking(r.Ledger.verifier_key)
    verified_checkpoint = blocking(r.Ledger.verified_checkpoint)
    leaf_hashes = blocking(r.Ledger.leaf_hashes)
    audit = blocking(r.Ledger.audit)
    entry = blocking(r.Ledger.entry)
    inclusion_proof = blocking(r.Ledger.inclusion_proof)
    consistency_proof = blocking(r.Ledger.consistency_proof)
    verified_head = blocking(r.Ledger.verified_head)
    verify_leaf = blocking(r.Ledger.verify_leaf)
    verify_transaction = blocking(r.Ledger.verify_transaction)
    verify_consistency = blocking(r.Ledger.verify_consistency)

    @property
    def trusted_keys(self) -> TrustedKeys:
        return self._inner.trusted_keys

    @trusted_keys.setter
    def trusted_keys(self, keys: TrustedKeys) -> None:
        self._inner.trusted_keys = keys


class IpRegistrations(Blocking[r.IpRegistrations]):
    apply = blocking(r.IpRegistrations.apply)
    get = blocking(r.IpRegistrations.get)
    list = blocking_iter(r.IpRegistrations.list)
    step = blocking(r.IpRegistrations.step)
    examine = blocking(r.IpRegistrations.examine)
    grant = blocking(r.IpRegistrations.grant)
    object = blocking(r.IpRegistrations.object)
    decide_objection = blocking(r.IpRegistrations.decide_objection)


class Certificates(Blocking[r.Certificates]):
    get = blocking(r.Certificates.get)


class Webhooks(Blocking[r.Webhooks]):
    create = blocking(r.Webhooks.create)
    get = blocking(r.Webhooks.get)
    list = blocking_iter(r.Webhooks.list)
    update = blocking(r.Webhooks.update)
    delete = blocking(r.Webhooks.delete)
    deliveries = blocking_iter(r.Webhooks.deliveries)
    retry = blocking(r.Webhooks.retry)


class Events(Blocking[r.Events]):
    list = blocking_iter(r.Events.list)


class Client:
    """The blocking client: the same resources and methods as `AsyncClient`, returning
    results and iterators instead of awaitables. Close it (or use `with`)."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        trusted_keys: TrustedKeys | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._loop = Loop()
        self._async = self._loop.call(
            lambda: _make(base_url, api_key, timeout, max_retries, backoff, trusted_keys, transport)
        )
        inner, loop = self._async, self._loop
        self.venues = Venues(inner.venues, loop)
        self.api_keys = ApiKeys(inner.api_keys, loop)
        self.merchants = Merchants(inner.merchants, loop)
        self.products = Products(inner.products, loop)
        self.assessments = Assessments(inner.assessments, loop)
        self.listings = Listings(inner.listings, loop)
        self.transactions = Transactions(inner.transactions, loop)
        self.ledger = Ledger(inner.ledger, loop)
        self.ip_registrations = IpRegistrations(inner.ip_registrations, loop)
        self.certificates = Certificates(inner.certificates, loop)
        self.webhooks = Webhooks(inner.webhooks, loop)
        self.events = Events(inner.events, loop)

    def close(self) -> None:
        self._loop.call(self._async.aclose)
        self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


async def _make(
    base_url: str | None,
    api_key: str | None,
    timeout: float,
    max_retries: int,
    backoff: float,
    trusted_keys: TrustedKeys | None,
    transport: httpx.AsyncBaseTransport | None,
) -> AsyncClient:
    """The async client, made on the loop that will run it (httpx binds to it)."""
    return AsyncClient(
        base_url,
        api_key,
        timeout=timeout,
        max_retries=max_retries,
        backoff=backoff,
        trusted_keys=trusted_keys,
        transport=transport,
    )
