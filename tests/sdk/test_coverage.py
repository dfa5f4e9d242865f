"""Every operation of the committed OpenAPI document has its SDK method, every SDK method is an
operation (or a named client-side helper), and the blocking client has exactly the async one's
methods with the same signatures.

A new operation: `make sdk-models`, one method in sdk/shushang_sdk/resources.py, `make
sdk-models` again (its blocking twin), and a row in OPERATIONS."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shushang_sdk import AsyncClient, Client

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = json.loads((ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))

# "METHOD /path" (and the value of a path parameter that names the step) → the SDK's method.
OPERATIONS = {
    "GET /healthz": "healthz",
    "GET /readyz": "readyz",
    "GET /metrics": "metrics",
    "GET /v1/venues": "venues.list",
    "POST /v1/venues": "venues.create",
    "GET /v1/venues/{code}": "venues.get",
    "GET /v1/venues/{code}/negative-list": "venues.get_negative_list",
    "PUT /v1/venues/{code}/negative-list": "venues.replace_negative_list",
    "GET /v1/venues/{code}/negative-list/versions": "venues.list_negative_list_versions",
    "GET /v1/venues/{code}/fee-waivers": "venues.list_fee_waivers",
    "POST /v1/venues/{code}/fee-waivers": "venues.create_fee_waiver",
    "GET /v1/venues/{code}/fee-waivers/{waiver_id}": "venues.get_fee_waiver",
    "POST /v1/venues/{code}/fee-waivers/{waiver_id}/end": "venues.end_fee_waiver",
    "POST /v1/listings/{listing_id}/negotiations": "contracts.request_negotiation",
    "GET /v1/negotiations": "contracts.list_negotiations",
    "GET /v1/negotiations/{negotiation_id}": "contracts.get_negotiation",
    "POST /v1/negotiations/{negotiation_id}/offer": "contracts.offer",
    "POST /v1/negotiations/{negotiation_id}/accept": "contracts.accept",
    "POST /v1/negotiations/{negotiation_id}/agree": "contracts.agree",
    "POST /v1/negotiations/{negotiation_id}/verify": "contracts.verify",
    "POST /v1/negotiations/{negotiation_id}/finalize": "contracts.finalize",
    "POST /v1/negotiations/{negotiation_id}/terminate": "contracts.terminate",
    "GET /v1/agreements/{agreement_id}": "contracts.get_agreement",
    "POST /v1/merchants": "merchants.create",
    "GET /v1/merchants": "merchants.list",
    "GET /v1/merchants/{merchant_id}": "merchants.get",
    "GET /v1/merchants/{merchant_id}/firsts": "merchants.firsts",
    "GET /v1/merchants/{merchant_id}/data-asset-disclosure": "merchants.get_data_asset_disclosure",
    "POST /v1/merchants/{merchant_id}/data-asset-periods": "merchants.close_data_asset_periods",
    "GET /v1/merchants/{merchant_id}/data-asset-periods": "merchants.data_asset_periods",
    "POST /v1/data-assets/{asset_id}/restatements": "data_assets.restate",
    "GET /v1/data-assets/{asset_id}/restatements": "data_assets.restatements",
    "GET /v1/data-asset-restatements/{restatement_id}": "data_assets.get_restatement",
    "POST /v1/data-asset-restatements/{restatement_id}/approve": "data_assets.approve_restatement",
    "POST /v1/data-asset-restatements/{restatement_id}/reject": "data_assets.reject_restatement",
    "GET /v1/merchants/{merchant_id}/data-asset-journal": "merchants.get_data_asset_journal",
    "GET /v1/merchants/{merchant_id}/statements/{month}": "merchants.get_statement",
    "GET /v1/merchants/{merchant_id}/data-asset-accounts": "merchants.get_data_asset_accounts",
    "PUT /v1/merchants/{merchant_id}/data-asset-accounts": "merchants.put_data_asset_accounts",
    "GET /v1/catalog": "catalog.list",
    "POST /v1/transactions/imports": "transactions.import_trades",
    "GET /v1/catalog/{listing_id}": "catalog.get",
    "GET /v1/me": "me",
    "POST /v1/data-assets": "data_assets.create",
    "GET /v1/data-assets": "data_assets.list",
    "GET /v1/data-assets/{asset_id}": "data_assets.get",
    "PATCH /v1/data-assets/{asset_id}": "data_assets.update",
    "POST /v1/data-assets/{asset_id}/costs": "data_assets.add_cost",
    "POST /v1/data-assets/{asset_id}/capitalise": "data_assets.capitalise",
    "POST /v1/data-assets/{asset_id}/dispose": "data_assets.dispose",
    "POST /v1/data-assets/{asset_id}/derecognise": "data_assets.derecognise",
    "POST /v1/data-assets/{asset_id}/impair": "data_assets.impair",
    "POST /v1/data-assets/{asset_id}/write-down": "data_assets.write_down",
    "POST /v1/data-assets/{asset_id}/reverse-write-down": "data_assets.reverse_write_down",
    "POST /v1/data-assets/{asset_id}/revise": "data_assets.revise",
    "POST /v1/data-assets/{asset_id}/reclassify": "data_assets.reclassify",
    "GET /v1/data-assets/{asset_id}/schedule": "data_assets.get_schedule",
    "GET /v1/ledgers": "ledger.logs",
    "GET /v1/ledgers/{venue_code}/checkpoint": "ledger.checkpoint",
    "POST /v1/ledgers/{venue_code}/cosignatures": "ledger.add_cosignatures",
    "GET /v1/certificates/{number}.pdf": "certificates.download_pdf",
    "GET /verify/certificates/{number}": "certificates.verification_page",
    "GET /v1/ledgers/{venue_code}/verifier-key": "ledger.verifier_key",
    "GET /v1/ledgers/{venue_code}/leaf-hashes": "ledger.leaf_hashes",
    "GET /v1/ledgers/{venue_code}/tile/{level}/{path}": "ledger.tile",
    "GET /v1/ledgers/{venue_code}/tile/entries/{path}": "ledger.entry_bundle",
    "PATCH /v1/merchants/{merchant_id}": "merchants.update",
    "POST /v1/products": "products.create",
    "GET /v1/products": "products.list",
    "GET /v1/products/{product_id}": "products.get",
    "PATCH /v1/products/{product_id}": "products.update",
    "GET /v1/products/{product_id}/revisions": "products.list_revisions",
    "GET /v1/products/{product_id}/revisions/{number}": "products.get_revision",
    "POST /v1/products/{product_id}/samples": "samples.upload",
    "GET /v1/products/{product_id}/samples": "samples.list",
    "GET /v1/products/{product_id}/samples/{sample_id}": "samples.get",
    "GET /v1/products/{product_id}/samples/{sample_id}/content": "samples.download",
    "POST /v1/products/{product_id}/quality-assessments": "assessments.run_quality_assessment",
    "GET /v1/products/{product_id}/quality-assessments": "assessments.list_quality_assessments",
    "GET /v1/products/{product_id}/quality-assessments/{assessment_id}":
        "assessments.get_quality_assessment",
    "POST /v1/products/{product_id}/compliance-assessments":
        "assessments.run_compliance_assessment",
    "GET /v1/products/{product_id}/compliance-assessments":
        "assessments.list_compliance_assessments",
    "GET /v1/products/{product_id}/compliance-assessments/{assessment_id}":
        "assessments.get_compliance_assessment",
    "POST /v1/products/{product_id}/valuations": "assessments.run_valuation",
    "GET /v1/products/{product_id}/valuations": "assessments.list_valuations",
    "GET /v1/products/{product_id}/valuations/{assessment_id}": "assessments.get_valuation",
    "POST /v1/listings": "listings.create",
    "GET /v1/listings": "listings.list",
    "GET /v1/listings/{listing_id}": "listings.get",
    "GET /v1/listings/{listing_id}/events": "listings.list_events",
    "POST /v1/listings/{listing_id}/{action} submit": "listings.submit",
    "POST /v1/listings/{listing_id}/{action} approve": "listings.approve",
    "POST /v1/listings/{listing_id}/{action} reject": "listings.reject",
    "POST /v1/listings/{listing_id}/{action} suspend": "listings.suspend",
    "POST /v1/listings/{listing_id}/{action} resume": "listings.resume",
    "POST /v1/listings/{listing_id}/{action} delist": "listings.delist",
    "POST /v1/ip-registrations": "ip_registrations.apply",
    "GET /v1/ip-registrations": "ip_registrations.list",
    "GET /v1/ip-registrations/{registration_id}": "ip_registrations.get",
    "POST /v1/ip-registrations/{registration_id}/examine": "ip_registrations.examine",
    "POST /v1/ip-registrations/{registration_id}/reject": "ip_registrations.reject",
    "POST /v1/ip-registrations/{registration_id}/objections": "ip_registrations.raise_objection",
    "POST /v1/ip-registrations/{registration_id}/objections/{objection_id}/{decision} uphold":
        "ip_registrations.uphold_objection",
    "POST /v1/ip-registrations/{registration_id}/objections/{objection_id}/{decision} dismiss":
        "ip_registrations.dismiss_objection",
    "POST /v1/ip-registrations/{registration_id}/grant": "ip_registrations.grant",
    "POST /v1/ip-registrations/{registration_id}/renew": "ip_registrations.renew",
    "POST /v1/ip-registrations/{registration_id}/change": "ip_registrations.change",
    "POST /v1/ip-registrations/{registration_id}/transfer": "ip_registrations.transfer",
    "POST /v1/ip-registrations/{registration_id}/license": "ip_registrations.license",
    "POST /v1/ip-registrations/{registration_id}/pledge": "ip_registrations.pledge",
    "POST /v1/ip-registrations/{registration_id}/release": "ip_registrations.release",
    "POST /v1/ip-registrations/{registration_id}/pledges/{pledge_id}/confirm":
        "ip_registrations.confirm_pledge",
    "POST /v1/ip-registrations/{registration_id}/pledges/{pledge_id}/withdraw":
        "ip_registrations.withdraw_pledge",
    "POST /v1/ip-registrations/{registration_id}/pledges/{pledge_id}/consent":
        "ip_registrations.consent_to_step",
    "POST /v1/ip-registrations/{registration_id}/reinstate": "ip_registrations.reinstate",
    "POST /v1/ip-registrations/{registration_id}/cancel": "ip_registrations.cancel",
    "POST /v1/ip-registrations/{registration_id}/revoke": "ip_registrations.revoke",
    "GET /v1/certificates/{number}": "certificates.verify",
    "GET /v1/stats/overview": "stats.overview",
    "GET /v1/stats/policy": "stats.policy",
    "POST /v1/transactions": "transactions.record",
    "GET /v1/transactions": "transactions.list",
    "GET /v1/transactions/export": "transactions.export",
    "GET /v1/transactions/{trade_id}": "transactions.get",
    "POST /v1/transactions/{trade_id}/events": "transactions.add_event",
    "GET /v1/ledgers/{venue_code}/tree-head": "ledger.tree_head",
    "GET /v1/ledgers/{venue_code}/entries/{index}": "ledger.entry",
    "GET /v1/ledgers/{venue_code}/proofs/inclusion": "ledger.inclusion_proof",
    "GET /v1/ledgers/{venue_code}/proofs/consistency": "ledger.consistency_proof",
    "POST /v1/api-keys": "api_keys.create",
    "GET /v1/api-keys": "api_keys.list",
    "DELETE /v1/api-keys/{key_id}": "api_keys.revoke",
    "GET /v1/audit-events": "audit_events.list",
    "GET /v1/events": "events.list",
    "POST /v1/webhooks": "webhooks.create",
    "GET /v1/webhooks": "webhooks.list",
    "GET /v1/webhooks/{webhook_id}": "webhooks.get",
    "PATCH /v1/webhooks/{webhook_id}": "webhooks.update",
    "DELETE /v1/webhooks/{webhook_id}": "webhooks.delete",
    "GET /v1/webhooks/{webhook_id}/deliveries": "webhooks.list_deliveries",
    "POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry": "webhooks.retry_delivery",
    "GET /v1/programmes": "programmes.list",
    "POST /v1/programmes": "programmes.create",
    "GET /v1/programmes/{programme_code}": "programmes.get",
    "GET /v1/programmes/{programme_code}/eligible": "programmes.list_eligible",
    "POST /v1/programmes/{programme_code}/claims": "programmes.claim",
    "GET /v1/programmes/{programme_code}/claims": "programmes.list_claims",
    "GET /v1/programmes/{programme_code}/summary": "programmes.summary",
    "GET /v1/programme-claims/{claim_id}": "programmes.get_claim",
    "POST /v1/programme-claims/{claim_id}/{decision} approve": "programmes.approve_claim",
    "POST /v1/programme-claims/{claim_id}/{decision} reject": "programmes.reject_claim",
    "POST /v1/programme-claims/{claim_id}/{decision} pay": "programmes.pay_claim",
}  # fmt: skip

# Methods that are no operation of their own: verification on the client.
HELPERS = {
    "ledger.verified_head",
    "ledger.verified_checkpoint",
    "ledger.verify_leaf",
    "ledger.verify_transaction",
    "ledger.verify_consistency",
    "ledger.audit",
    "merchants.download_data_asset_disclosure",  # the disclosure's XLSX form
    "merchants.download_data_asset_journal",  # the journal's CSV and XLSX forms
    "merchants.download_statement",  # the statement's XLSX and PDF forms
    "programmes.download_summary",  # the summary's XLSX form
}


def _enum_of(parameter: dict[str, Any]) -> list[str] | None:
    schema = parameter["schema"]
    if "$ref" in schema:
        schema = DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema.get("enum")


def api_operations() -> Iterator[str]:
    """Each operation, and each value of a path parameter that is an enumeration (a step)."""
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            steps = [
                values
                for p in operation.get("parameters", [])
                if p["in"] == "path" and (values := _enum_of(p)) is not None
            ]
            if not steps:
                yield f"{method.upper()} {path}"
            for value in steps[0] if steps else []:
                yield f"{method.upper()} {path} {value}"


def sdk_methods(client: object) -> dict[str, Any]:
    """`resource.method` (or `method` on the client) → the bound method, public ones only."""
    found: dict[str, Any] = {}
    for name, value in vars(client).items():
        if name.startswith("_"):
            continue
        for method in dir(value):
            if not method.startswith("_") and callable(getattr(value, method)):
                found[f"{name}.{method}"] = getattr(value, method)
    for method in dir(type(client)):
        if not method.startswith("_") and method not in {"close", "aclose"}:
            found[method] = getattr(client, method)
    return found


@pytest.fixture(scope="module")
def clients() -> Iterator[tuple[AsyncClient, Client]]:
    sync = Client("http://127.0.0.1:9", "key")
    yield AsyncClient("http://127.0.0.1:9", "key"), sync
    sync.close()


def test_every_operation_has_a_method(clients: tuple[AsyncClient, Client]) -> None:
    methods = sdk_methods(clients[0])
    without = [op for op in api_operations() if op not in OPERATIONS]
    assert without == [], f"operations of openapi.json without an SDK method: {without}"
    missing = {op: m for op, m in OPERATIONS.items() if m not in methods}
    assert missing == {}, f"the mapping names methods the SDK lacks: {missing}"
    gone = sorted(set(OPERATIONS) - set(api_operations()))
    assert gone == [], f"the mapping names operations openapi.json lacks: {gone}"


def test_every_method_is_an_operation(clients: tuple[AsyncClient, Client]) -> None:
    methods = set(sdk_methods(clients[0]))
    listed = set(OPERATIONS.values())
    # Each `list…` has its `iter…`, which follows the cursors of the same operation.
    iterators = {
        m.replace(".list", ".iter", 1) for m in listed if m.split(".")[-1].startswith("list")
    }
    assert iterators <= methods, f"lists without an iter twin: {sorted(iterators - methods)}"
    strays = sorted(methods - listed - iterators - HELPERS)
    assert strays == [], f"SDK methods that are no operation of openapi.json: {strays}"


def _shape(method: Any) -> list[tuple[str, Any, Any, str]]:
    """A signature with the async/blocking differences (awaitables, iterators) taken out."""
    signature = inspect.signature(method)
    words = {"AsyncIterator": "Iterator", "AsyncBaseTransport": "BaseTransport"}
    shape = []
    for p in [*signature.parameters.values()]:
        annotation = str(p.annotation)
        for a, b in words.items():
            annotation = annotation.replace(a, b)
        shape.append((p.name, p.kind, p.default, annotation))
    returned = str(signature.return_annotation)
    for a, b in words.items():
        returned = returned.replace(a, b)
    return [*shape, ("return", None, None, returned)]


def test_the_blocking_client_has_the_async_ones_methods(
    clients: tuple[AsyncClient, Client],
) -> None:
    asynchronous, blocking = (sdk_methods(c) for c in clients)
    assert sorted(asynchronous) == sorted(blocking)
    for name, method in asynchronous.items():
        assert _shape(method) == _shape(blocking[name]), name
        assert inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(
            method
        ) or name.split(".")[-1].startswith("iter"), f"{name} of AsyncClient blocks"  # fmt: skip
        assert not inspect.iscoroutinefunction(blocking[name]), f"{name} of Client awaits"
    assert _shape(AsyncClient.__init__) == _shape(Client.__init__)
