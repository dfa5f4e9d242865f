"""`AsyncClient` and its resources: one method per operation of the API, named as the API
names it (transitions one method each). The blocking `Client` (`_sync.py`) is generated from
this file by `make sdk-models`: edit here, then regenerate.

Bodies and query parameters are keyword arguments typed by `shushang_sdk.params` (a misspelt
keyword or a wrong type is a mypy error); answers are `shushang_sdk.models`, each with its
`meta` (ETag, request id, replayed). `list…` returns one page (`next_cursor`), `iter…` every
item, following the cursors. `version=` sends If-Match: the change is refused (412) if
someone changed the resource since you read that version.

Adding an operation: `make sdk-models`, then one method here (and `make sdk-models` again for
its blocking twin), then a row in tests/sdk/test_coverage.py."""

from __future__ import annotations

import json as _json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, Unpack, overload
from uuid import UUID

import httpx

from shushang_sdk import leaves, merkle, verify
from shushang_sdk import models as m
from shushang_sdk import params as p
from shushang_sdk._model import Download, Json, Meta
from shushang_sdk._transport import AsyncTransport, if_match, path, step_headers
from shushang_sdk._transport import _model as model_of
from shushang_sdk.errors import ShushangError, VerificationFailed

DEFAULT_URL = "http://127.0.0.1:8000"
Id = UUID | str
Version = int | str | None
Key = str | None  # an Idempotency-Key; None: a fresh one


class _Resource:
    def __init__(self, transport: AsyncTransport, /) -> None:
        self._t = transport


class Venues(_Resource):
    async def list(self, **query: Unpack[p.ListVenuesQuery]) -> m.PageVenueOut:
        return await self._t.model(m.PageVenueOut, "GET", "/v1/venues", params=query)

    def iter(self, **query: Unpack[p.ListVenuesQuery]) -> AsyncIterator[m.VenueOut]:
        return self._t.iterate(m.PageVenueOut, "/v1/venues", query)

    async def create(self, **body: Unpack[p.VenueCreate]) -> m.VenueOut:
        return await self._t.model(m.VenueOut, "POST", "/v1/venues", json=body)

    async def get(self, code: str, /) -> m.VenueOut:
        return await self._t.model(m.VenueOut, "GET", path("/v1/venues/{}", code))

    async def get_negative_list(self, code: str, /) -> m.NegativeListOut:
        url = path("/v1/venues/{}/negative-list", code)
        return await self._t.model(m.NegativeListOut, "GET", url)

    async def replace_negative_list(
        self, code: str, /, *, version: Version = None, **body: Unpack[p.NegativeListIn]
    ) -> m.NegativeListOut:
        url = path("/v1/venues/{}/negative-list", code)
        return await self._t.model(
            m.NegativeListOut, "PUT", url, json=body, headers=if_match(version)
        )

    async def list_negative_list_versions(
        self, code: str, /, **query: Unpack[p.ListNegativeListVersionsQuery]
    ) -> m.PageNegativeListOut:
        url = path("/v1/venues/{}/negative-list/versions", code)
        return await self._t.model(m.PageNegativeListOut, "GET", url, params=query)

    def iter_negative_list_versions(
        self, code: str, /, **query: Unpack[p.ListNegativeListVersionsQuery]
    ) -> AsyncIterator[m.NegativeListOut]:
        url = path("/v1/venues/{}/negative-list/versions", code)
        return self._t.iterate(m.PageNegativeListOut, url, query)

    async def create_fee_waiver(
        self, code: str, /, **body: Unpack[p.FeeWaiverCreate]
    ) -> m.FeeWaiverOut:
        """A waiver rule of the venue (operator); `from` is a keyword: pass
        `**{"from": "2026-01-01"}`."""
        url = path("/v1/venues/{}/fee-waivers", code)
        return await self._t.model(m.FeeWaiverOut, "POST", url, json=body)

    async def list_fee_waivers(
        self, code: str, /, **query: Unpack[p.ListFeeWaiversQuery]
    ) -> m.PageFeeWaiverOut:
        url = path("/v1/venues/{}/fee-waivers", code)
        return await self._t.model(m.PageFeeWaiverOut, "GET", url, params=query)

    def iter_fee_waivers(
        self, code: str, /, **query: Unpack[p.ListFeeWaiversQuery]
    ) -> AsyncIterator[m.FeeWaiverOut]:
        url = path("/v1/venues/{}/fee-waivers", code)
        return self._t.iterate(m.PageFeeWaiverOut, url, query)

    async def get_fee_waiver(self, code: str, waiver_id: Id, /) -> m.FeeWaiverOut:
        url = path("/v1/venues/{}/fee-waivers/{}", code, waiver_id)
        return await self._t.model(m.FeeWaiverOut, "GET", url)

    async def end_fee_waiver(
        self, code: str, waiver_id: Id, /, **body: Unpack[p.FeeWaiverEnd]
    ) -> m.FeeWaiverOut:
        """Bring the rule's last day forward to `to` (operator)."""
        url = path("/v1/venues/{}/fee-waivers/{}/end", code, waiver_id)
        return await self._t.model(m.FeeWaiverOut, "POST", url, json=body)


class ApiKeys(_Resource):
    async def create(self, **body: Unpack[p.ApiKeyCreate]) -> m.ApiKeyCreated:
        """An API key; its `token` is in this answer only."""
        return await self._t.model(m.ApiKeyCreated, "POST", "/v1/api-keys", json=body)

    async def list(self, **query: Unpack[p.ListApiKeysQuery]) -> m.PageApiKeyOut:
        return await self._t.model(m.PageApiKeyOut, "GET", "/v1/api-keys", params=query)

    def iter(self, **query: Unpack[p.ListApiKeysQuery]) -> AsyncIterator[m.ApiKeyOut]:
        return self._t.iterate(m.PageApiKeyOut, "/v1/api-keys", query)

    async def revoke(self, key_id: Id, /) -> Meta:
        return await self._t.empty("DELETE", path("/v1/api-keys/{}", key_id))


class Merchants(_Resource):
    async def create(self, **body: Unpack[p.MerchantCreate]) -> m.MerchantOut:
        return await self._t.model(m.MerchantOut, "POST", "/v1/merchants", json=body)

    async def list(self, **query: Unpack[p.ListMerchantsQuery]) -> m.MerchantPage:
        """The directory: each merchant in full (`profile: "full"`) if your key may see its
        record (operators, auditors, the merchant itself), else its public profile."""
        return await self._t.model(m.MerchantPage, "GET", "/v1/merchants", params=query)

    def iter(
        self, **query: Unpack[p.ListMerchantsQuery]
    ) -> AsyncIterator[m.MerchantOut | m.MerchantPublic]:
        return self._t.iterate(m.MerchantPage, "/v1/merchants", query)

    async def get(self, merchant_id: Id, /) -> m.MerchantOut | m.MerchantPublic:
        """The merchant's record if your key may see it (`profile: "full"`), else its public
        profile (`profile: "public"`)."""
        response = await self._t.send("GET", path("/v1/merchants/{}", merchant_id))
        if response.json().get("profile") == "full":
            return model_of(m.MerchantOut, response)
        return model_of(m.MerchantPublic, response)

    async def firsts(self, merchant_id: Id, /) -> m.FirstsOut:
        """The merchant's firsts (首登记, 首挂牌, 首交易, …) as its records stand: the public
        kinds for anyone, all of them for the merchant's key, operators and auditors. A first
        with a `log` and `leaf_index` is proven with `ledger.verify_leaf`."""
        url = path("/v1/merchants/{}/firsts", merchant_id)
        return await self._t.model(m.FirstsOut, "GET", url)

    async def get_data_asset_disclosure(
        self, merchant_id: Id, /, **query: Unpack[p.GetDisclosureQuery]
    ) -> m.Disclosure:
        """The 财会〔2023〕11号 disclosure tables of `from`…`to` (YYYY-MM), as JSON."""
        url = path("/v1/merchants/{}/data-asset-disclosure", merchant_id)
        return await self._t.model(m.Disclosure, "GET", url, params=query)

    async def download_data_asset_disclosure(
        self, merchant_id: Id, /, **query: Unpack[p.GetDisclosureQuery]
    ) -> Download:
        """The same tables as an XLSX workbook (one sheet per table)."""
        url = path("/v1/merchants/{}/data-asset-disclosure", merchant_id)
        response = await self._t.bytes("GET", url, params=query, headers={"Accept": XLSX})
        return Download.of(response)

    async def close_data_asset_periods(
        self,
        merchant_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.PeriodCloseCreate],
    ) -> m.PeriodCloseOut:
        """Close the merchant's months through `through` (YYYY-MM); one Idempotency-Key
        across the SDK's retries, so a retried close closes once."""
        url = path("/v1/merchants/{}/data-asset-periods", merchant_id)
        headers = step_headers(version, idempotency_key)
        return await self._t.model(m.PeriodCloseOut, "POST", url, json=dict(body), headers=headers)

    async def data_asset_periods(self, merchant_id: Id, /) -> tuple[m.PeriodCloseOut, ...]:
        """The merchant's closes, oldest first, each with its report's SHA-256 and leaf."""
        url = path("/v1/merchants/{}/data-asset-periods", merchant_id)
        response = await self._t.bytes("GET", url)
        return tuple(m.PeriodCloseOut.model_validate(c) for c in response.json())

    async def get_data_asset_journal(
        self, merchant_id: Id, /, **query: Unpack[p.GetJournalQuery]
    ) -> m.Journal:
        """The data-asset journal (记账凭证) of `from`…`to` (YYYY-MM), as JSON."""
        url = path("/v1/merchants/{}/data-asset-journal", merchant_id)
        return await self._t.model(m.Journal, "GET", url, params=query)

    async def download_data_asset_journal(
        self, merchant_id: Id, /, **query: Unpack[p.GetJournalQuery]
    ) -> Download:
        """The same vouchers as CSV or XLSX (`format="csv"` or `"xlsx"`), in the column layout
        accounting software imports."""
        url = path("/v1/merchants/{}/data-asset-journal", merchant_id)
        response = await self._t.bytes("GET", url, params=query)
        return Download.of(response)

    async def get_statement(
        self, merchant_id: Id, month: str, /, **query: Unpack[p.GetStatementQuery]
    ) -> m.Statement:
        """The merchant's monthly statement (对账单) at `venue_code` for `month` (YYYY-MM): its
        trades, adjustments, totals and `content_sha256`; a closed month never changes."""
        url = path("/v1/merchants/{}/statements/{}", merchant_id, month)
        return await self._t.model(m.Statement, "GET", url, params=query)

    async def download_statement(
        self, merchant_id: Id, month: str, /, **query: Unpack[p.GetStatementQuery]
    ) -> Download:
        """The same statement as XLSX or PDF (`format="xlsx"` or `"pdf"`)."""
        url = path("/v1/merchants/{}/statements/{}", merchant_id, month)
        response = await self._t.bytes("GET", url, params=query)
        return Download.of(response)

    async def get_data_asset_accounts(self, merchant_id: Id, /) -> m.Accounts:
        """The chart the merchant's journal is written on."""
        url = path("/v1/merchants/{}/data-asset-accounts", merchant_id)
        return await self._t.model(m.Accounts, "GET", url)

    async def put_data_asset_accounts(
        self, merchant_id: Id, /, accounts: p.AccountsChange
    ) -> m.Accounts:
        """Map the journal's default codes to the merchant's own: `{"1701": {"code": …,
        "name": …}}`, the whole mapping."""
        url = path("/v1/merchants/{}/data-asset-accounts", merchant_id)
        return await self._t.model(m.Accounts, "PUT", url, json=dict(accounts))

    async def update(
        self, merchant_id: Id, /, *, version: Version = None, **body: Unpack[p.MerchantUpdate]
    ) -> m.MerchantOut:
        url = path("/v1/merchants/{}", merchant_id)
        return await self._t.model(
            m.MerchantOut, "PATCH", url, json=body, headers=if_match(version)
        )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Catalog(_Resource):
    """The public catalog: cards of listed listings and product pages, one request each."""

    async def list(self, **query: Unpack[p.ListCardsQuery]) -> m.CatalogPage:
        return await self._t.model(m.CatalogPage, "GET", "/v1/catalog", params=query)

    def iter(self, **query: Unpack[p.ListCardsQuery]) -> AsyncIterator[m.CatalogCard]:
        return self._t.iterate(m.CatalogPage, "/v1/catalog", query)

    async def get(self, listing_id: Id, /) -> m.CatalogProductPage:
        """A product page: the card, the product's public fields, its other listings."""
        url = path("/v1/catalog/{}", listing_id)
        return await self._t.model(m.CatalogProductPage, "GET", url)


class DataAssets(_Resource):
    """The data-asset register (数据资产入表): a merchant's own books. Cost items and
    movements send an Idempotency-Key (`idempotency_key=`, else a fresh one) kept across
    the SDK's retries, so a retried movement is booked once; `version=` adds If-Match."""

    async def create(self, **body: Unpack[p.DataAssetCreate]) -> m.DataAssetDetail:
        return await self._t.model(m.DataAssetDetail, "POST", "/v1/data-assets", json=body)

    async def list(self, **query: Unpack[p.ListAssetsQuery]) -> m.PageDataAssetOut:
        return await self._t.model(m.PageDataAssetOut, "GET", "/v1/data-assets", params=query)

    def iter(self, **query: Unpack[p.ListAssetsQuery]) -> AsyncIterator[m.DataAssetOut]:
        return self._t.iterate(m.PageDataAssetOut, "/v1/data-assets", query)

    async def get(self, asset_id: Id, /) -> m.DataAssetDetail:
        return await self._t.model(m.DataAssetDetail, "GET", path("/v1/data-assets/{}", asset_id))

    async def update(
        self, asset_id: Id, /, *, version: Version = None, **body: Unpack[p.DataAssetChange]
    ) -> m.DataAssetDetail:
        url = path("/v1/data-assets/{}", asset_id)
        return await self._t.model(
            m.DataAssetDetail, "PATCH", url, json=body, headers=if_match(version)
        )

    async def _move(
        self,
        asset_id: Id,
        step: str,
        body: Mapping[str, Any],
        version: Version,
        idempotency_key: str | None,
    ) -> m.DataAssetDetail:
        url = path("/v1/data-assets/{}/{}", asset_id, step)
        headers = step_headers(version, idempotency_key)
        return await self._t.model(m.DataAssetDetail, "POST", url, json=dict(body), headers=headers)

    async def add_cost(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.CostItemCreate],
    ) -> m.DataAssetDetail:
        return await self._move(asset_id, "costs", body, version, idempotency_key)

    async def capitalise(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.Capitalise],
    ) -> m.DataAssetDetail:
        return await self._move(asset_id, "capitalise", body, version, idempotency_key)

    async def dispose(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.Dispose],
    ) -> m.DataAssetDetail:
        return await self._move(asset_id, "dispose", body, version, idempotency_key)

    async def derecognise(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.Derecognise],
    ) -> m.DataAssetDetail:
        return await self._move(asset_id, "derecognise", body, version, idempotency_key)

    async def impair(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.Impair],
    ) -> m.DataAssetDetail:
        return await self._move(asset_id, "impair", body, version, idempotency_key)

    async def write_down(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.WriteDown],
    ) -> m.DataAssetDetail:
        return await self._move(asset_id, "write-down", body, version, idempotency_key)

    async def reverse_write_down(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.WriteDown],
    ) -> m.DataAssetDetail:
        return await self._move(asset_id, "reverse-write-down", body, version, idempotency_key)

    async def revise(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.Revise],
    ) -> m.DataAssetDetail:
        return await self._move(asset_id, "revise", body, version, idempotency_key)

    async def reclassify(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.Reclassify],
    ) -> m.DataAssetDetail:
        """重分类: inventory ↔ intangible at the carrying amount, provisions with it."""
        return await self._move(asset_id, "reclassify", body, version, idempotency_key)

    async def get_schedule(
        self, asset_id: Id, /, **query: Unpack[p.GetScheduleQuery]
    ) -> m.ScheduleOut:
        url = path("/v1/data-assets/{}/schedule", asset_id)
        return await self._t.model(m.ScheduleOut, "GET", url, params=query)

    async def restate(
        self,
        asset_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.RestatementCreate],
    ) -> m.RestatementOut:
        """Restate a closed month (`period`, `reason`, `entry`): an operator's applies at
        once, a merchant's waits for an operator's approval."""
        url = path("/v1/data-assets/{}/restatements", asset_id)
        headers = step_headers(version, idempotency_key)
        return await self._t.model(m.RestatementOut, "POST", url, json=dict(body), headers=headers)

    async def restatements(self, asset_id: Id, /) -> tuple[m.RestatementOut, ...]:
        """The asset's restatements, oldest first, in every state."""
        url = path("/v1/data-assets/{}/restatements", asset_id)
        response = await self._t.bytes("GET", url)
        return tuple(m.RestatementOut.model_validate(r) for r in response.json())

    async def get_restatement(self, restatement_id: Id, /) -> m.RestatementOut:
        url = path("/v1/data-asset-restatements/{}", restatement_id)
        return await self._t.model(m.RestatementOut, "GET", url)

    async def approve_restatement(
        self, restatement_id: Id, /, *, version: Version = None, idempotency_key: Key = None
    ) -> m.RestatementOut:
        """An operator applies a merchant's pending restatement."""
        url = path("/v1/data-asset-restatements/{}/approve", restatement_id)
        headers = step_headers(version, idempotency_key)
        return await self._t.model(m.RestatementOut, "POST", url, headers=headers)

    async def reject_restatement(
        self,
        restatement_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.RestatementDecision],
    ) -> m.RestatementOut:
        """An operator rejects a merchant's pending restatement (`reason` optional)."""
        url = path("/v1/data-asset-restatements/{}/reject", restatement_id)
        headers = step_headers(version, idempotency_key)
        return await self._t.model(m.RestatementOut, "POST", url, json=dict(body), headers=headers)


class Products(_Resource):
    async def create(self, **body: Unpack[p.ProductCreate]) -> m.ProductOut:
        return await self._t.model(m.ProductOut, "POST", "/v1/products", json=body)

    async def list(self, **query: Unpack[p.ListProductsQuery]) -> m.ProductPage:
        """One page of the catalogue; `q` searches Chinese full text, ranked."""
        return await self._t.model(m.ProductPage, "GET", "/v1/products", params=query)

    def iter(self, **query: Unpack[p.ListProductsQuery]) -> AsyncIterator[m.ProductOut]:
        return self._t.iterate(m.ProductPage, "/v1/products", query)

    async def get(self, product_id: Id, /) -> m.ProductOut:
        return await self._t.model(m.ProductOut, "GET", path("/v1/products/{}", product_id))

    async def update(
        self, product_id: Id, /, *, version: Version = None, **body: Unpack[p.ProductUpdate]
    ) -> m.ProductOut:
        """A new revision; `version=` the revision you read (or its ETag)."""
        url = path("/v1/products/{}", product_id)
        return await self._t.model(m.ProductOut, "PATCH", url, json=body, headers=if_match(version))

    async def list_revisions(
        self, product_id: Id, /, **query: Unpack[p.ListRevisionsQuery]
    ) -> m.PageRevisionOut:
        url = path("/v1/products/{}/revisions", product_id)
        return await self._t.model(m.PageRevisionOut, "GET", url, params=query)

    def iter_revisions(
        self, product_id: Id, /, **query: Unpack[p.ListRevisionsQuery]
    ) -> AsyncIterator[m.RevisionOut]:
        return self._t.iterate(
            m.PageRevisionOut, path("/v1/products/{}/revisions", product_id), query
        )

    async def get_revision(self, product_id: Id, number: int, /) -> m.RevisionOut:
        url = path("/v1/products/{}/revisions/{}", product_id, number)
        return await self._t.model(m.RevisionOut, "GET", url)


class Samples(_Resource):
    async def upload(
        self, product_id: Id, file: str | Path | IO[bytes], /, *, filename: str | None = None
    ) -> m.SampleOut:
        """Upload a CSV or JSON Lines sample from a path or a binary file object (streamed
        from the file). Answers rows, columns, inferred types and SHA-256."""
        if isinstance(file, str | Path):
            with Path(file).open("rb") as stream:
                return await self._upload(product_id, stream, filename or Path(file).name)
        name = filename or str(getattr(file, "name", None) or "sample.csv")
        return await self._upload(product_id, file, name)

    async def _upload(self, product_id: Id, stream: IO[bytes], name: str, /) -> m.SampleOut:
        kind = "application/x-ndjson" if name.endswith((".jsonl", ".ndjson")) else "text/csv"
        url = path("/v1/products/{}/samples", product_id)
        files = {"file": (Path(name).name, stream, kind)}
        return await self._t.model(m.SampleOut, "POST", url, files=files)

    async def list(self, product_id: Id, /, **query: Unpack[p.ListSamplesQuery]) -> m.PageSampleOut:
        url = path("/v1/products/{}/samples", product_id)
        return await self._t.model(m.PageSampleOut, "GET", url, params=query)

    def iter(
        self, product_id: Id, /, **query: Unpack[p.ListSamplesQuery]
    ) -> AsyncIterator[m.SampleOut]:
        return self._t.iterate(m.PageSampleOut, path("/v1/products/{}/samples", product_id), query)

    async def get(self, product_id: Id, sample_id: Id, /) -> m.SampleOut:
        url = path("/v1/products/{}/samples/{}", product_id, sample_id)
        return await self._t.model(m.SampleOut, "GET", url)

    async def download(self, product_id: Id, sample_id: Id, /) -> Download:
        """The sample's file as uploaded (its bytes, type and name)."""
        url = path("/v1/products/{}/samples/{}/content", product_id, sample_id)
        return Download.of(await self._t.bytes("GET", url))


class Assessments(_Resource):
    async def run_quality_assessment(
        self, product_id: Id, /, **body: Unpack[p.QualityRequest]
    ) -> m.QualityAssessmentOut:
        url = path("/v1/products/{}/quality-assessments", product_id)
        return await self._t.model(m.QualityAssessmentOut, "POST", url, json=body)

    async def list_quality_assessments(
        self, product_id: Id, /, **query: Unpack[p.ListQualityAssessmentsQuery]
    ) -> m.PageQualityAssessmentOut:
        url = path("/v1/products/{}/quality-assessments", product_id)
        return await self._t.model(m.PageQualityAssessmentOut, "GET", url, params=query)

    def iter_quality_assessments(
        self, product_id: Id, /, **query: Unpack[p.ListQualityAssessmentsQuery]
    ) -> AsyncIterator[m.QualityAssessmentOut]:
        url = path("/v1/products/{}/quality-assessments", product_id)
        return self._t.iterate(m.PageQualityAssessmentOut, url, query)

    async def get_quality_assessment(
        self, product_id: Id, assessment_id: Id, /
    ) -> m.QualityAssessmentOut:
        url = path("/v1/products/{}/quality-assessments/{}", product_id, assessment_id)
        return await self._t.model(m.QualityAssessmentOut, "GET", url)

    async def run_compliance_assessment(
        self, product_id: Id, /, **body: Unpack[p.ComplianceRequest]
    ) -> m.ComplianceAssessmentOut:
        """`venue_code` (default: every venue) and the assessor's statements."""
        url = path("/v1/products/{}/compliance-assessments", product_id)
        return await self._t.model(m.ComplianceAssessmentOut, "POST", url, json=body)

    async def list_compliance_assessments(
        self, product_id: Id, /, **query: Unpack[p.ListComplianceAssessmentsQuery]
    ) -> m.PageComplianceAssessmentOut:
        url = path("/v1/products/{}/compliance-assessments", product_id)
        return await self._t.model(m.PageComplianceAssessmentOut, "GET", url, params=query)

    def iter_compliance_assessments(
        self, product_id: Id, /, **query: Unpack[p.ListComplianceAssessmentsQuery]
    ) -> AsyncIterator[m.ComplianceAssessmentOut]:
        url = path("/v1/products/{}/compliance-assessments", product_id)
        return self._t.iterate(m.PageComplianceAssessmentOut, url, query)

    async def get_compliance_assessment(
        self, product_id: Id, assessment_id: Id, /
    ) -> m.ComplianceAssessmentOut:
        url = path("/v1/products/{}/compliance-assessments/{}", product_id, assessment_id)
        return await self._t.model(m.ComplianceAssessmentOut, "GET", url)

    @overload
    async def run_valuation(
        self, product_id: Id, /, **body: Unpack[p.CostValuation]
    ) -> m.ValuationOut: ...
    @overload
    async def run_valuation(
        self, product_id: Id, /, **body: Unpack[p.IncomeValuation]
    ) -> m.ValuationOut: ...
    @overload
    async def run_valuation(
        self, product_id: Id, /, **body: Unpack[p.MarketValuation]
    ) -> m.ValuationOut: ...
    async def run_valuation(self, product_id: Id, /, **body: Any) -> m.ValuationOut:
        """`method="cost"`, `"income"` or `"market"`, and that method's inputs."""
        url = path("/v1/products/{}/valuations", product_id)
        return await self._t.model(m.ValuationOut, "POST", url, json=body)

    async def list_valuations(
        self, product_id: Id, /, **query: Unpack[p.ListValuationsQuery]
    ) -> m.PageValuationOut:
        url = path("/v1/products/{}/valuations", product_id)
        return await self._t.model(m.PageValuationOut, "GET", url, params=query)

    def iter_valuations(
        self, product_id: Id, /, **query: Unpack[p.ListValuationsQuery]
    ) -> AsyncIterator[m.ValuationOut]:
        url = path("/v1/products/{}/valuations", product_id)
        return self._t.iterate(m.PageValuationOut, url, query)

    async def get_valuation(self, product_id: Id, assessment_id: Id, /) -> m.ValuationOut:
        url = path("/v1/products/{}/valuations/{}", product_id, assessment_id)
        return await self._t.model(m.ValuationOut, "GET", url)


class Listings(_Resource):
    async def create(self, **body: Unpack[p.ListingCreate]) -> m.ListingOut:
        return await self._t.model(m.ListingOut, "POST", "/v1/listings", json=body)

    async def list(self, **query: Unpack[p.ListListingsQuery]) -> m.PageListingOut:
        return await self._t.model(m.PageListingOut, "GET", "/v1/listings", params=query)

    def iter(self, **query: Unpack[p.ListListingsQuery]) -> AsyncIterator[m.ListingOut]:
        return self._t.iterate(m.PageListingOut, "/v1/listings", query)

    async def get(self, listing_id: Id, /) -> m.ListingOut:
        return await self._t.model(m.ListingOut, "GET", path("/v1/listings/{}", listing_id))

    async def list_events(
        self, listing_id: Id, /, **query: Unpack[p.ListListingEventsQuery]
    ) -> m.PageListingEventOut:
        url = path("/v1/listings/{}/events", listing_id)
        return await self._t.model(m.PageListingEventOut, "GET", url, params=query)

    def iter_events(
        self, listing_id: Id, /, **query: Unpack[p.ListListingEventsQuery]
    ) -> AsyncIterator[m.ListingEventOut]:
        url = path("/v1/listings/{}/events", listing_id)
        return self._t.iterate(m.PageListingEventOut, url, query)

    async def _step(
        self, listing_id: Id, action: str, reason: str | None, version: Version, /
    ) -> m.ListingOut:
        url = path("/v1/listings/{}/{}", listing_id, action)
        body = {"reason": reason} if reason is not None else {}
        return await self._t.model(m.ListingOut, "POST", url, json=body, headers=if_match(version))

    async def submit(
        self, listing_id: Id, /, *, reason: str | None = None, version: Version = None
    ) -> m.ListingOut:
        """Conflict with `missing` naming every unmet gate, if any."""
        return await self._step(listing_id, "submit", reason, version)

    async def approve(
        self, listing_id: Id, /, *, reason: str | None = None, version: Version = None
    ) -> m.ListingOut:
        return await self._step(listing_id, "approve", reason, version)

    async def reject(
        self, listing_id: Id, /, *, reason: str, version: Version = None
    ) -> m.ListingOut:
        return await self._step(listing_id, "reject", reason, version)

    async def suspend(
        self, listing_id: Id, /, *, reason: str, version: Version = None
    ) -> m.ListingOut:
        return await self._step(listing_id, "suspend", reason, version)

    async def resume(
        self, listing_id: Id, /, *, reason: str | None = None, version: Version = None
    ) -> m.ListingOut:
        return await self._step(listing_id, "resume", reason, version)

    async def delist(
        self, listing_id: Id, /, *, reason: str, version: Version = None
    ) -> m.ListingOut:
        return await self._step(listing_id, "delist", reason, version)


class Transactions(_Resource):
    async def record(
        self, *, idempotency_key: str | None = None, **body: Unpack[p.TradeCreate]
    ) -> m.TradeOut:
        """Record a trade. The SDK sets an Idempotency-Key (or uses yours) and keeps it across
        its retries, so a retried request never records a second trade; `meta.replayed` says
        the server answered from an earlier request with that key."""
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        return await self._t.model(
            m.TradeOut, "POST", "/v1/transactions", json=body, headers=headers
        )

    async def import_trades(
        self, lines: Iterable[Mapping[str, Any]], /, **query: Unpack[p.ImportTradesQuery]
    ) -> m.ImportAnswer:
        """Bulk import (operators): each line a trade's fields plus its own `idempotency_key`,
        sent as JSON Lines; one result per line, in order (`created`, `replayed` or
        `refused` with its problem). Sending the same lines again replays what was applied."""
        body = b"".join(
            _json.dumps(dict(line), ensure_ascii=False, default=str).encode() + b"\n"
            for line in lines
        )
        headers = {"Content-Type": "application/x-ndjson"}
        return await self._t.model(
            m.ImportAnswer,
            "POST",
            "/v1/transactions/imports",
            params=query,
            content=body,
            headers=headers,
        )

    async def list(self, **query: Unpack[p.ListTradesQuery]) -> m.PageTradeOut:
        return await self._t.model(m.PageTradeOut, "GET", "/v1/transactions", params=query)

    def iter(self, **query: Unpack[p.ListTradesQuery]) -> AsyncIterator[m.TradeOut]:
        return self._t.iterate(m.PageTradeOut, "/v1/transactions", query)

    async def export(self, target: str | Path, /, **query: Unpack[p.ExportTradesQuery]) -> int:
        """Stream the CSV export (UTF-8 with BOM) into the file `target`; the bytes written."""
        return await self._t.stream_to(target, "/v1/transactions/export", query)

    async def get(self, trade_id: Id, /) -> m.TradeDetail:
        return await self._t.model(m.TradeDetail, "GET", path("/v1/transactions/{}", trade_id))

    async def add_event(
        self,
        trade_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.TradeEventCreate],
    ) -> m.TradeEventOut:
        """`type`: confirmed, delivered, settled, disputed, refunded or cancelled. Sends an
        Idempotency-Key (yours or a fresh one) kept across the SDK's retries, so a retried
        event is appended once; `version=` (the trade's ETag, `meta.etag` of `get`) adds
        If-Match."""
        url = path("/v1/transactions/{}/events", trade_id)
        headers = step_headers(version, idempotency_key)
        return await self._t.model(m.TradeEventOut, "POST", url, json=body, headers=headers)


class Contracts(_Resource):
    """Contract negotiations (DSP states) and their agreements: a buyer requests on a
    listing, the listing's merchant offers, agrees and finalizes, the buyer accepts and
    verifies; either terminates. Each step sends an Idempotency-Key (yours or a fresh one)
    kept across the SDK's retries; `version=` (the negotiation's ETag) adds If-Match."""

    async def request_negotiation(
        self, listing_id: Id, /, **body: Unpack[p.OfferIn]
    ) -> m.NegotiationOut:
        """Request a contract on a listed listing with an offer (`rights`, `purpose`,
        `term_end`)."""
        url = path("/v1/listings/{}/negotiations", listing_id)
        return await self._t.model(m.NegotiationOut, "POST", url, json=body)

    async def list_negotiations(
        self, **query: Unpack[p.ListNegotiationsQuery]
    ) -> m.PageNegotiationSummary:
        return await self._t.model(
            m.PageNegotiationSummary, "GET", "/v1/negotiations", params=query
        )

    def iter_negotiations(
        self, **query: Unpack[p.ListNegotiationsQuery]
    ) -> AsyncIterator[m.NegotiationSummary]:
        return self._t.iterate(m.PageNegotiationSummary, "/v1/negotiations", query)

    async def get_negotiation(self, negotiation_id: Id, /) -> m.NegotiationOut:
        url = path("/v1/negotiations/{}", negotiation_id)
        return await self._t.model(m.NegotiationOut, "GET", url)

    async def _step(
        self,
        negotiation_id: Id,
        step: str,
        version: Version,
        idempotency_key: Key,
        body: Mapping[str, Any] | None = None,
    ) -> m.NegotiationOut:
        url = path("/v1/negotiations/{}/{}", negotiation_id, step)
        headers = step_headers(version, idempotency_key)
        return await self._t.model(m.NegotiationOut, "POST", url, json=body, headers=headers)

    async def offer(
        self,
        negotiation_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.OfferChange],
    ) -> m.NegotiationOut:
        """The provider offers the terms in force, or new ones (`rights`, `purpose` and
        `term_end` together, as keywords)."""
        return await self._step(negotiation_id, "offer", version, idempotency_key, body or None)

    async def accept(
        self, negotiation_id: Id, /, *, version: Version = None, idempotency_key: Key = None
    ) -> m.NegotiationOut:
        return await self._step(negotiation_id, "accept", version, idempotency_key)

    async def agree(
        self, negotiation_id: Id, /, *, version: Version = None, idempotency_key: Key = None
    ) -> m.NegotiationOut:
        """The provider agrees: the agreement is made and signed (`agreement_id`)."""
        return await self._step(negotiation_id, "agree", version, idempotency_key)

    async def verify(
        self, negotiation_id: Id, /, *, version: Version = None, idempotency_key: Key = None
    ) -> m.NegotiationOut:
        return await self._step(negotiation_id, "verify", version, idempotency_key)

    async def finalize(
        self, negotiation_id: Id, /, *, version: Version = None, idempotency_key: Key = None
    ) -> m.NegotiationOut:
        return await self._step(negotiation_id, "finalize", version, idempotency_key)

    async def terminate(
        self, negotiation_id: Id, /, *, version: Version = None, idempotency_key: Key = None
    ) -> m.NegotiationOut:
        return await self._step(negotiation_id, "terminate", version, idempotency_key)

    async def get_agreement(self, agreement_id: Id, /) -> m.AgreementOut:
        """The agreement: its ODRL `document`, `sha256`, the venue's `signature`."""
        url = path("/v1/agreements/{}", agreement_id)
        return await self._t.model(m.AgreementOut, "GET", url)


class Ledger(_Resource):
    """Reading a log (a venue's, `IPR` the IP registry's, `FIN` the data-asset register's) and
    verifying it on the client.

    `trusted_keys` (key id → hex public key) are the only thing verification trusts; pass
    the exchange's published key (see `shushang_sdk.verify.trust`), never one read from the
    answer being checked."""

    def __init__(self, transport: AsyncTransport, trusted_keys: verify.TrustedKeys, /) -> None:
        super().__init__(transport)
        self.trusted_keys = trusted_keys

    async def logs(self) -> list[Json]:
        """Every log the exchange serves (`GET /v1/ledgers`), by name: `{log, tree_size}`
        each (the size unsigned: `verified_checkpoint` gives the signed one)."""
        found: Json = await self._t.json("GET", "/v1/ledgers")
        items: list[Json] = found["items"]
        return items

    async def tree_head(self, /, venue: str) -> Json:
        found: Json = await self._t.json("GET", f"/v1/ledgers/{venue}/tree-head")
        return found

    async def checkpoint(self, /, log: str) -> str:
        """The log's checkpoint, a C2SP signed note (unverified: see `verified_checkpoint`)."""
        return (await self._t.send("GET", f"/v1/ledgers/{log}/checkpoint")).text

    async def add_cosignatures(self, /, log: str, **body: Unpack[p.CosignaturesIn]) -> Json:
        """Operators: store witnesses' cosignatures of the log's latest checkpoint (the note
        with the witness lines appended); the answer names those taken."""
        url = path("/v1/ledgers/{}/cosignatures", log)
        return await self._t.json("POST", url, json=body)

    async def tile(self, /, log: str, level: int, tile_path: str) -> bytes:
        """A C2SP tlog-tiles hash tile (`tile_path` as the spec writes it: `x001/234` or
        `000.p/7`): 32-byte hashes, full tiles cacheable forever."""
        url = path("/v1/ledgers/{}/tile/{}/", log, level) + tile_path
        return (await self._t.bytes("GET", url)).content

    async def entry_bundle(self, /, log: str, tile_path: str) -> bytes:
        """A tile of entries (operators and auditors: a bundle mixes many parties' trades)."""
        url = path("/v1/ledgers/{}/tile/entries/", log) + tile_path
        return (await self._t.bytes("GET", url)).content

    async def verifier_key(self, /, log: str) -> str:
        """The log's signed-note verifier key, as the server shows it. Trusting it is trusting
        the server: compare it with the one the exchange publishes."""
        return (await self._t.send("GET", f"/v1/ledgers/{log}/verifier-key")).text.strip()

    async def entry(self, /, venue: str, index: int) -> Json:
        """Leaf `index`: with `entry` if your key may read its contents, else only
        `{index, leaf_hash}`."""
        found: Json = await self._t.json("GET", f"/v1/ledgers/{venue}/entries/{index}")
        return found

    async def leaf_hashes(self, /, log: str, start: int, end: int) -> list[Json]:
        """The leaf hashes of [start, end) (at most 1 000)."""
        found: Json = await self._t.json(
            "GET", f"/v1/ledgers/{log}/leaf-hashes", params={"start": start, "end": end}
        )
        items: list[Json] = found["items"]
        return items

    async def inclusion_proof(self, /, venue: str, index: int, tree_size: int) -> Json:
        found: Json = await self._t.json(
            "GET",
            f"/v1/ledgers/{venue}/proofs/inclusion",
            params={"index": index, "tree_size": tree_size},
        )
        return found

    async def consistency_proof(self, /, venue: str, first: int, second: int) -> Json:
        found: Json = await self._t.json(
            "GET",
            f"/v1/ledgers/{venue}/proofs/consistency",
            params={"first": first, "second": second},
        )
        return found

    async def verified_checkpoint(self, /, log: str) -> verify.Checkpoint:
        """The log's checkpoint, its signature checked against a trusted key and its origin
        against `log`: its size and root are what the log signed."""
        return verify.open_checkpoint(await self.checkpoint(log), self.trusted_keys, log)

    async def verified_head(self, /, venue: str) -> Json:
        """The log's latest tree head, verified: its checkpoint signed by a trusted key and of
        this log, the JSON head signed too and saying the same. Proofs are then checked
        against the signed root."""
        head = await self.tree_head(venue)
        verify.verify_tree_head(head, self.trusted_keys, log=venue)
        if "checkpoint" not in head:
            return head
        signed = verify.open_checkpoint(head["checkpoint"], self.trusted_keys, venue)
        if signed.tree_size != head["tree_size"] or signed.root_hash.hex() != head["root_hash"]:
            raise VerificationFailed("the JSON head and its checkpoint differ")
        verified = Json(
            {**head, "tree_size": signed.tree_size, "root_hash": signed.root_hash.hex()}
        )
        verified.meta = head.meta
        return verified

    async def verify_leaf(self, /, venue: str, index: int, head: Mapping[str, Any]) -> Json:
        """Entry `index`, proven included in the tree of the (verified) `head`."""
        entry = await self.entry(venue, index)
        if "entry" not in entry:
            raise VerificationFailed(
                f"entry {index} of {venue}: its contents are not shown to this key"
            )
        proof = await self.inclusion_proof(venue, index, head["tree_size"])
        verify.verify_inclusion(entry, proof, head)
        return entry

    async def verify_transaction(
        self, /, trade_id: Id, head: Mapping[str, Any] | None = None
    ) -> Json:
        """Fetch the trade, its ledger entry, an inclusion proof and a signed head, and check
        them all: the entry is this trade as recorded, field by field, it is in the signed
        tree, and a trusted key signed that tree. Returns the verified entry;
        VerificationFailed if not."""
        trade: Json = await self._t.json("GET", f"/v1/transactions/{trade_id}")
        venue, index = trade["venue_code"], trade["leaf_index"]
        if head is None or head["venue_code"] != venue or head["tree_size"] <= index:
            head = await self.verified_head(venue)
        entry = await self.verify_leaf(venue, index, head)
        leaves.compare(f"trade {trade['id']}", leaves.trade_entry(trade), entry["entry"])
        return entry

    async def verify_consistency(
        self, venue: str, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> None:
        """The (verified) new head extends the (verified) old one."""
        if old["tree_size"] == 0 or old["tree_size"] == new["tree_size"]:
            if old["tree_size"] == new["tree_size"] and old["root_hash"] != new["root_hash"]:
                raise VerificationFailed("two heads of one size with different roots")
            return
        proof = await self.consistency_proof(venue, old["tree_size"], new["tree_size"])
        verify.verify_consistency(old, new, proof)

    async def audit(
        self,
        /,
        log: str,
        since: date | None = None,
        until: date | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> LogAudit:
        """Verify a whole log against its checkpoint: every leaf hash (their root must be the
        signed root), and every leaf of every kind whose contents this key may read (its
        entry hashes to its leaf, and says what the record it names says today, field by
        field). `since` and `until` (Asia/Shanghai dates, inclusive) choose which leaves'
        records are compared; every hash is checked whatever they say."""
        signed = await self.verified_checkpoint(log)
        result = LogAudit(signed)
        size = signed.tree_size
        hashes: list[bytes] = []
        for start in range(0, size, LEAF_HASH_PAGE):
            page = await self.leaf_hashes(log, start, min(size, start + LEAF_HASH_PAGE))
            hashes.extend(bytes.fromhex(item["leaf_hash"]) for item in page)
        if len(hashes) != size or merkle.root(hashes) != signed.root_hash:
            raise VerificationFailed(
                f"the leaf hashes of {log} do not make the signed root of size {size}"
            )
        records = _Records(self._t)
        read: list[tuple[int, Mapping[str, Any]]] = []
        compared: dict[int, str] = {}
        for index in range(size):
            if progress is not None:
                progress(index, size)
            shown = await self.entry(log, index)
            if "entry" not in shown:
                result.hidden += 1
                continue
            try:
                if verify.verify_entry(shown) != hashes[index]:
                    raise VerificationFailed(f"entry {index}: not the leaf the log signed")
                entry = shown["entry"]
                read.append((index, entry))
                day = leaves.leaf_day(entry)
                if day is not None and (
                    (since is not None and day < since) or (until is not None and day > until)
                ):
                    result.skipped += 1
                    continue
                kind = await records.check(log, index, shown)
            except (VerificationFailed, ShushangError) as exc:
                result.failures.append((index, str(exc)))
                continue
            result.verified[kind] = result.verified.get(kind, 0) + 1
            compared[index] = kind
        # What no single record shows: the restatements hold together with the whole log.
        for index, why in leaves.cross_check(log, read):
            if index in compared:
                kind = compared.pop(index)
                result.verified[kind] -= 1
                if not result.verified[kind]:
                    del result.verified[kind]
                result.failures.append((index, why))
        result.failures.sort(key=lambda failure: failure[0])
        if progress is not None:
            progress(size, size)
        return result


LEAF_HASH_PAGE = 1000


@dataclass
class LogAudit:
    """What `Ledger.audit` found: the verified checkpoint, how many leaves of each kind were
    compared with their records, hidden from the key, or outside the dates, and failures."""

    checkpoint: verify.Checkpoint
    verified: dict[str, int] = field(default_factory=dict)
    hidden: int = 0
    skipped: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Verified: something was, and nothing failed. An empty log, or one whose every
        leaf was hidden or out of the dates, proves nothing."""
        return bool(self.verified) and not self.failures


class _Records:
    """The records that leaves name, each fetched once (a trade serves its events too, a
    data asset its cost items and movements, a merchant's list of closes every close)."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._t = transport
        self._fetched: dict[str, Any] = {}

    async def _record(self, url: str) -> Any:
        """The JSON the API shows at `url`: an object, or a list (a merchant's closes)."""
        if url not in self._fetched:
            self._fetched[url] = (await self._t.bytes("GET", url)).json()
        return self._fetched[url]

    async def check(self, log: str, index: int, shown: Mapping[str, Any]) -> str:
        """Compare the leaf's entry with its record (`leaves.KINDS` says which record, and
        how): the kind checked."""
        where = f"{log} leaf {index}"
        entry = shown["entry"]
        kind = leaves.kind_of(entry, where)
        if shown.get("kind", kind.ledger_kind) != kind.ledger_kind:
            raise VerificationFailed(
                f"{where}: an entry of type {kind.type} served as a leaf of kind {shown['kind']}"
            )
        record = await self._record(kind.record(entry))
        leaves.check(where, log, index, kind, record, entry)
        return kind.type


class IpRegistrations(_Resource):
    """Data IP registration (数据知识产权登记): one method per step of the API. Every step
    sends an Idempotency-Key (`idempotency_key=`, else a fresh one) kept across the SDK's
    retries, so a retried step is done once; `version=` adds If-Match."""

    async def apply(self, **body: Unpack[p.IpRegistrationCreate]) -> m.IpRegistrationDetail:
        return await self._t.model(
            m.IpRegistrationDetail, "POST", "/v1/ip-registrations", json=body
        )

    async def list(self, **query: Unpack[p.ListRegistrationsQuery]) -> m.PageIpRegistrationOut:
        return await self._t.model(
            m.PageIpRegistrationOut, "GET", "/v1/ip-registrations", params=query
        )

    def iter(self, **query: Unpack[p.ListRegistrationsQuery]) -> AsyncIterator[m.IpRegistrationOut]:
        return self._t.iterate(m.PageIpRegistrationOut, "/v1/ip-registrations", query)

    async def get(self, registration_id: Id, /) -> m.IpRegistrationDetail:
        url = path("/v1/ip-registrations/{}", registration_id)
        return await self._t.model(m.IpRegistrationDetail, "GET", url)

    async def _step(
        self, registration_id: Id, action: str, body: Any, version: Version, key: Key, /
    ) -> m.IpRegistrationDetail:
        url = path("/v1/ip-registrations/{}/{}", registration_id, action)
        headers = step_headers(version, key)
        return await self._t.model(m.IpRegistrationDetail, "POST", url, json=body, headers=headers)

    async def examine(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.Examination],
    ) -> m.IpRegistrationDetail:
        """`decision="accept"` starts the public notice; `"reject"` needs a `reason`."""
        return await self._step(registration_id, "examine", body, version, idempotency_key)

    async def reject(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.ReasonBody],
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "reject", body, version, idempotency_key)

    async def raise_objection(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.ObjectionCreate],
    ) -> m.ObjectionOut:
        url = path("/v1/ip-registrations/{}/objections", registration_id)
        headers = step_headers(version, idempotency_key)
        return await self._t.model(m.ObjectionOut, "POST", url, json=body, headers=headers)

    async def _decide(
        self,
        registration_id: Id,
        objection_id: Id,
        decision: str,
        reason: str | None,
        version: Version,
        key: Key,
        /,
    ) -> m.IpRegistrationDetail:
        url = path(
            "/v1/ip-registrations/{}/objections/{}/{}", registration_id, objection_id, decision
        )
        body = {"reason": reason} if reason is not None else None
        headers = step_headers(version, key)
        return await self._t.model(m.IpRegistrationDetail, "POST", url, json=body, headers=headers)

    async def uphold_objection(
        self,
        registration_id: Id,
        objection_id: Id,
        /,
        *,
        reason: str,
        version: Version = None,
        idempotency_key: Key = None,
    ) -> m.IpRegistrationDetail:
        """Uphold it: the registration is rejected, for `reason`."""
        return await self._decide(
            registration_id, objection_id, "uphold", reason, version, idempotency_key
        )

    async def dismiss_objection(
        self,
        registration_id: Id,
        objection_id: Id,
        /,
        *,
        reason: str | None = None,
        version: Version = None,
        idempotency_key: Key = None,
    ) -> m.IpRegistrationDetail:
        """Dismiss it; dismissing the last open one resumes the public notice."""
        return await self._decide(
            registration_id, objection_id, "dismiss", reason, version, idempotency_key
        )

    async def grant(
        self, registration_id: Id, /, *, version: Version = None, idempotency_key: Key = None
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "grant", None, version, idempotency_key)

    async def renew(
        self, registration_id: Id, /, *, version: Version = None, idempotency_key: Key = None
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "renew", None, version, idempotency_key)

    async def change(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.IpChange],
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "change", body, version, idempotency_key)

    async def transfer(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.Transfer],
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "transfer", body, version, idempotency_key)

    async def license(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.LicenceCreate],
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "license", body, version, idempotency_key)

    async def pledge(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.PledgeCreate],
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "pledge", body, version, idempotency_key)

    async def release(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.Release],
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "release", body, version, idempotency_key)

    async def _pledge_step(
        self,
        registration_id: Id,
        pledge_id: Id,
        action: str,
        body: Any,
        version: Version,
        key: Key,
        /,
    ) -> m.IpRegistrationDetail:
        url = path("/v1/ip-registrations/{}/pledges/{}/{}", registration_id, pledge_id, action)
        headers = step_headers(version, key)
        return await self._t.model(m.IpRegistrationDetail, "POST", url, json=body, headers=headers)

    async def confirm_pledge(
        self,
        registration_id: Id,
        pledge_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
    ) -> m.IpRegistrationDetail:
        """The pledgee's key (or an operator) puts an applied pledge in force."""
        return await self._pledge_step(
            registration_id, pledge_id, "confirm", None, version, idempotency_key
        )

    async def withdraw_pledge(
        self,
        registration_id: Id,
        pledge_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
    ) -> m.IpRegistrationDetail:
        """The holder withdraws a pledge still applied for."""
        return await self._pledge_step(
            registration_id, pledge_id, "withdraw", None, version, idempotency_key
        )

    async def consent_to_step(
        self,
        registration_id: Id,
        pledge_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.ConsentCreate],
    ) -> m.IpRegistrationDetail:
        """An operator records the pledgee's consent to one transfer, cancel or licence."""
        return await self._pledge_step(
            registration_id, pledge_id, "consent", body, version, idempotency_key
        )

    async def reinstate(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.OptionalReason],
    ) -> m.IpRegistrationDetail:
        """An operator lifts a suspension (core data) after review."""
        return await self._step(registration_id, "reinstate", body, version, idempotency_key)

    async def cancel(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.OptionalReason],
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "cancel", body, version, idempotency_key)

    async def revoke(
        self,
        registration_id: Id,
        /,
        *,
        version: Version = None,
        idempotency_key: Key = None,
        **body: Unpack[p.ReasonBody],
    ) -> m.IpRegistrationDetail:
        return await self._step(registration_id, "revoke", body, version, idempotency_key)


class Certificates(_Resource):
    async def verify(self, number: str, /) -> m.CertificateOut:
        """Verify a certificate (no key needed): holder, status, validity today, …"""
        return await self._t.model(m.CertificateOut, "GET", path("/v1/certificates/{}", number))

    async def download_pdf(self, number: str, /) -> Download:
        """The 数据知识产权登记证书 as a PDF, with a QR code to its verification page."""
        url = path("/v1/certificates/{}", number) + ".pdf"
        return Download.of(await self._t.bytes("GET", url))

    async def verification_page(self, number: str, /) -> str:
        """The HTML page that verifies the certificate in a browser (its QR code's target)."""
        return (await self._t.bytes("GET", path("/verify/certificates/{}", number))).text


class Programmes(_Resource):
    """Incentive programmes on merchants' firsts, their eligible merchants, claims and the
    bureau's summary (申报汇总表)."""

    async def list(self, **query: Unpack[p.ListProgrammesQuery]) -> m.PageProgrammeOut:
        return await self._t.model(m.PageProgrammeOut, "GET", "/v1/programmes", params=query)

    def iter(self, **query: Unpack[p.ListProgrammesQuery]) -> AsyncIterator[m.ProgrammeOut]:
        return self._t.iterate(m.PageProgrammeOut, "/v1/programmes", query)

    async def create(self, **body: Unpack[p.ProgrammeCreate]) -> m.ProgrammeOut:
        """Define a programme (operator)."""
        return await self._t.model(m.ProgrammeOut, "POST", "/v1/programmes", json=body)

    async def get(self, programme_code: str, /) -> m.ProgrammeOut:
        return await self._t.model(m.ProgrammeOut, "GET", path("/v1/programmes/{}", programme_code))

    async def list_eligible(
        self, programme_code: str, /, **query: Unpack[p.ListEligibleQuery]
    ) -> m.PageEligibleOut:
        """The eligible merchants' firsts, with the amount and the evidence of each."""
        url = path("/v1/programmes/{}/eligible", programme_code)
        return await self._t.model(m.PageEligibleOut, "GET", url, params=query)

    def iter_eligible(
        self, programme_code: str, /, **query: Unpack[p.ListEligibleQuery]
    ) -> AsyncIterator[m.EligibleOut]:
        url = path("/v1/programmes/{}/eligible", programme_code)
        return self._t.iterate(m.PageEligibleOut, url, query)

    async def claim(self, programme_code: str, /, **body: Unpack[p.ClaimCreate]) -> m.ClaimOut:
        """Claim a first: a merchant for itself, an operator for the merchant it names."""
        url = path("/v1/programmes/{}/claims", programme_code)
        return await self._t.model(m.ClaimOut, "POST", url, json=body)

    async def list_claims(
        self, programme_code: str, /, **query: Unpack[p.ListClaimsQuery]
    ) -> m.PageClaimOut:
        url = path("/v1/programmes/{}/claims", programme_code)
        return await self._t.model(m.PageClaimOut, "GET", url, params=query)

    def iter_claims(
        self, programme_code: str, /, **query: Unpack[p.ListClaimsQuery]
    ) -> AsyncIterator[m.ClaimOut]:
        url = path("/v1/programmes/{}/claims", programme_code)
        return self._t.iterate(m.PageClaimOut, url, query)

    async def summary(self, programme_code: str, /) -> m.Summary:
        """申报汇总表 as JSON (operators, auditors)."""
        url = path("/v1/programmes/{}/summary", programme_code)
        return await self._t.model(m.Summary, "GET", url)

    async def download_summary(self, programme_code: str, /) -> Download:
        """申报汇总表 as an XLSX workbook."""
        url = path("/v1/programmes/{}/summary", programme_code)
        response = await self._t.bytes("GET", url, params={"format": "xlsx"})
        return Download.of(response)

    async def get_claim(self, claim_id: Id, /) -> m.ClaimOut:
        return await self._t.model(m.ClaimOut, "GET", path("/v1/programme-claims/{}", claim_id))

    async def _decide(self, claim_id: Id, decision: str, version: Version) -> m.ClaimOut:
        url = path("/v1/programme-claims/{}/{}", claim_id, decision)
        return await self._t.model(m.ClaimOut, "POST", url, headers=if_match(version))

    async def approve_claim(self, claim_id: Id, /, *, version: Version = None) -> m.ClaimOut:
        """Approve an applied claim (operator); 409 `budget_exhausted` or `cap_exceeded`."""
        return await self._decide(claim_id, "approve", version)

    async def reject_claim(self, claim_id: Id, /, *, version: Version = None) -> m.ClaimOut:
        """Reject an applied claim (operator)."""
        return await self._decide(claim_id, "reject", version)

    async def pay_claim(self, claim_id: Id, /, *, version: Version = None) -> m.ClaimOut:
        """Record an approved claim as paid (operator)."""
        return await self._decide(claim_id, "pay", version)


class Stats(_Resource):
    async def overview(self) -> m.Overview:
        return await self._t.model(m.Overview, "GET", "/v1/stats/overview")

    async def policy(self, **query: Unpack[p.PolicyFiguresQuery]) -> m.PolicyFigures:
        """The policy dashboard (no key needed): firsts by city and month, cumulative data-IP
        registrations against the target, the on-venue share, programme spend; a cell of
        fewer than 3 merchants is `suppressed`."""
        return await self._t.model(m.PolicyFigures, "GET", "/v1/stats/policy", params=query)


class AuditEvents(_Resource):
    async def list(self, **query: Unpack[p.ListAuditEventsQuery]) -> m.PageAuditEventOut:
        return await self._t.model(m.PageAuditEventOut, "GET", "/v1/audit-events", params=query)

    def iter(self, **query: Unpack[p.ListAuditEventsQuery]) -> AsyncIterator[m.AuditEventOut]:
        return self._t.iterate(m.PageAuditEventOut, "/v1/audit-events", query)


class Events(_Resource):
    async def list(self, **query: Unpack[p.ListEventsQuery]) -> m.PageEventOut:
        """Events you may see, oldest first; `type` is a type, `group.*` or `*`."""
        return await self._t.model(m.PageEventOut, "GET", "/v1/events", params=query)

    def iter(self, **query: Unpack[p.ListEventsQuery]) -> AsyncIterator[m.EventOut]:
        return self._t.iterate(m.PageEventOut, "/v1/events", query)


class Webhooks(_Resource):
    async def create(self, **body: Unpack[p.WebhookCreate]) -> m.WebhookCreated:
        """The answer carries the `secret` (whsec_…) once: keep it to verify deliveries."""
        return await self._t.model(m.WebhookCreated, "POST", "/v1/webhooks", json=body)

    async def list(self, **query: Unpack[p.ListWebhooksQuery]) -> m.PageWebhookOut:
        return await self._t.model(m.PageWebhookOut, "GET", "/v1/webhooks", params=query)

    def iter(self, **query: Unpack[p.ListWebhooksQuery]) -> AsyncIterator[m.WebhookOut]:
        return self._t.iterate(m.PageWebhookOut, "/v1/webhooks", query)

    async def get(self, webhook_id: Id, /) -> m.WebhookOut:
        return await self._t.model(m.WebhookOut, "GET", path("/v1/webhooks/{}", webhook_id))

    async def update(
        self, webhook_id: Id, /, *, version: Version = None, **body: Unpack[p.WebhookUpdate]
    ) -> m.WebhookOut:
        url = path("/v1/webhooks/{}", webhook_id)
        return await self._t.model(m.WebhookOut, "PATCH", url, json=body, headers=if_match(version))

    async def delete(self, webhook_id: Id, /) -> Meta:
        return await self._t.empty("DELETE", path("/v1/webhooks/{}", webhook_id))

    async def list_deliveries(
        self, webhook_id: Id, /, **query: Unpack[p.ListDeliveriesQuery]
    ) -> m.PageDeliveryOut:
        url = path("/v1/webhooks/{}/deliveries", webhook_id)
        return await self._t.model(m.PageDeliveryOut, "GET", url, params=query)

    def iter_deliveries(
        self, webhook_id: Id, /, **query: Unpack[p.ListDeliveriesQuery]
    ) -> AsyncIterator[m.DeliveryOut]:
        url = path("/v1/webhooks/{}/deliveries", webhook_id)
        return self._t.iterate(m.PageDeliveryOut, url, query)

    async def retry_delivery(self, webhook_id: Id, delivery_id: Id, /) -> m.DeliveryOut:
        url = path("/v1/webhooks/{}/deliveries/{}/retry", webhook_id, delivery_id)
        return await self._t.model(m.DeliveryOut, "POST", url)


class AsyncClient:
    """`AsyncClient(base_url, api_key)`; both default to SHUSHANG_URL and SHUSHANG_API_KEY.

    `accept_language="zh-CN"` has problems' `title`, `detail` and `errors[].msg` in Chinese;
    `headers` are sent with every request. Connection failures and 429 are retried up to
    `max_retries` times, as are 503s and timeouts of reads and of trade recording (whose
    Idempotency-Key is kept across its retries), backing off exponentially from `backoff`
    seconds (or as Retry-After says). `timeout` is in seconds (or an `httpx.Timeout`).
    `trusted_keys` are the ledger keys verification trusts. Close it (`aclose`) or use it as
    a context manager."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        accept_language: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        trusted_keys: verify.TrustedKeys | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._transport = t = AsyncTransport(
            base_url or os.environ.get("SHUSHANG_URL", DEFAULT_URL),
            api_key if api_key is not None else os.environ.get("SHUSHANG_API_KEY"),
            transport=transport,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            accept_language=accept_language,
            headers=headers,
        )
        self.venues = Venues(t)
        self.api_keys = ApiKeys(t)
        self.merchants = Merchants(t)
        self.products = Products(t)
        self.samples = Samples(t)
        self.assessments = Assessments(t)
        self.listings = Listings(t)
        self.transactions = Transactions(t)
        self.ledger = Ledger(t, dict(trusted_keys or {}))
        self.ip_registrations = IpRegistrations(t)
        self.certificates = Certificates(t)
        self.stats = Stats(t)
        self.audit_events = AuditEvents(t)
        self.events = Events(t)
        self.webhooks = Webhooks(t)
        self.catalog = Catalog(t)
        self.data_assets = DataAssets(t)
        self.programmes = Programmes(t)
        self.contracts = Contracts(t)

    async def me(self) -> m.MeOut:
        """Who your key is: its id, role, name and merchant."""
        return await self._transport.model(m.MeOut, "GET", "/v1/me")

    async def healthz(self) -> m.Health:
        """Liveness: the process answers."""
        return await self._transport.model(m.Health, "GET", "/healthz")

    async def readyz(self) -> m.Health:
        """Readiness: the database answers too."""
        return await self._transport.model(m.Health, "GET", "/readyz")

    async def metrics(self) -> str:
        """Prometheus text exposition (a staff key)."""
        return (await self._transport.bytes("GET", "/metrics")).text

    async def aclose(self) -> None:
        await self._transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
