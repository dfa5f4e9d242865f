"""The API's resources, one class each, as the async client exposes them; `Client` offers
the same methods blocking (shushang_sdk.client). Bodies and answers are the API's JSON
(`dict`); lists are async iterators that follow the cursors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from pathlib import Path
from typing import IO, Any

import anyio

from shushang_sdk import leaves, merkle, verify
from shushang_sdk._transport import Transport, problem_of
from shushang_sdk.errors import ShushangError, VerificationFailed

JSON = dict[str, Any]


def _if_match(version: int | None) -> dict[str, str] | None:
    return {"If-Match": f'"{version}"'} if version is not None else None


class _Resource:
    def __init__(self, /, transport: Transport) -> None:
        self._t = transport


class Venues(_Resource):
    async def get(self, /, code: str) -> JSON:
        found: JSON = await self._t.json("GET", f"/v1/venues/{code}")
        return found

    def list(self) -> AsyncIterator[JSON]:
        return self._t.pages("/v1/venues")


class ApiKeys(_Resource):
    async def create(self, /, role: str, name: str, merchant_id: str | None = None) -> JSON:
        """An API key; its `token` is in this answer only."""
        body = {"role": role, "name": name, "merchant_id": merchant_id}
        made: JSON = await self._t.json("POST", "/v1/api-keys", json=body)
        return made

    def list(self, /, **filters: Any) -> AsyncIterator[JSON]:
        return self._t.pages("/v1/api-keys", filters)

    async def revoke(self, /, key_id: str) -> None:
        await self._t.send("DELETE", f"/v1/api-keys/{key_id}")


class Merchants(_Resource):
    async def create(self, /, **fields: Any) -> JSON:
        made: JSON = await self._t.json("POST", "/v1/merchants", json=fields)
        return made

    async def get(self, /, merchant_id: str) -> JSON:
        found: JSON = await self._t.json("GET", f"/v1/merchants/{merchant_id}")
        return found

    def list(self, /, **filters: Any) -> AsyncIterator[JSON]:
        """Filters: region, tier, category, third_party_role, dcmm_min, q."""
        return self._t.pages("/v1/merchants", filters)

    async def update(self, /, merchant_id: str, version: int | None = None, **fields: Any) -> JSON:
        """PATCH; pass `version` to refuse (412) if someone changed it meanwhile."""
        changed: JSON = await self._t.json(
            "PATCH", f"/v1/merchants/{merchant_id}", json=fields, headers=_if_match(version)
        )
        return changed


class Products(_Resource):
    async def create(self, /, **fields: Any) -> JSON:
        made: JSON = await self._t.json("POST", "/v1/products", json=fields)
        return made

    async def get(self, /, product_id: str) -> JSON:
        found: JSON = await self._t.json("GET", f"/v1/products/{product_id}")
        return found

    def list(self, /, **filters: Any) -> AsyncIterator[JSON]:
        """Filters: q (Chinese full text), product_type, domain, merchant_id, status, venue…"""
        return self._t.pages("/v1/products", filters)

    async def update(self, /, product_id: str, revision: int | None = None, **fields: Any) -> JSON:
        changed: JSON = await self._t.json(
            "PATCH", f"/v1/products/{product_id}", json=fields, headers=_if_match(revision)
        )
        return changed

    async def upload_sample(
        self, product_id: str, file: str | Path | IO[bytes], filename: str | None = None
    ) -> JSON:
        """Upload a CSV or JSON Lines sample from a path or a binary file object; httpx
        streams it from the file. Answers rows, columns, inferred types and SHA-256."""
        if isinstance(file, str | Path):
            path = Path(file)
            with path.open("rb") as stream:
                return await self._upload(product_id, stream, filename or path.name)
        name = filename or str(getattr(file, "name", None) or "sample.csv")
        return await self._upload(product_id, file, name)

    async def _upload(self, /, product_id: str, stream: IO[bytes], name: str) -> JSON:
        content_type = (
            "application/x-ndjson" if name.endswith((".jsonl", ".ndjson")) else "text/csv"
        )
        made: JSON = await self._t.json(
            "POST",
            f"/v1/products/{product_id}/samples",
            files={"file": (Path(name).name, stream, content_type)},
            repeatable=False,
        )
        return made

    def samples(self, /, product_id: str) -> AsyncIterator[JSON]:
        return self._t.pages(f"/v1/products/{product_id}/samples")

    def revisions(self, /, product_id: str) -> AsyncIterator[JSON]:
        return self._t.pages(f"/v1/products/{product_id}/revisions")


_KINDS = {"quality": "quality-assessments", "compliance": "compliance-assessments",
          "valuation": "valuations"}  # fmt: skip


class Assessments(_Resource):
    async def quality(self, /, product_id: str, **fields: Any) -> JSON:
        return await self._run(product_id, "quality", fields)

    async def compliance(self, /, product_id: str, **fields: Any) -> JSON:
        """Fields: venue_code (defaults to all venues) and the assessor's statements."""
        return await self._run(product_id, "compliance", fields)

    async def valuation(self, /, product_id: str, **fields: Any) -> JSON:
        """Fields: method (`cost`, `income`, `market`) and its inputs (DESIGN.md)."""
        return await self._run(product_id, "valuation", fields)

    async def _run(self, /, product_id: str, kind: str, body: Mapping[str, Any]) -> JSON:
        made: JSON = await self._t.json(
            "POST", f"/v1/products/{product_id}/{_KINDS[kind]}", json=dict(body)
        )
        return made

    def list(self, /, product_id: str, kind: str) -> AsyncIterator[JSON]:
        """kind: quality, compliance or valuation."""
        return self._t.pages(f"/v1/products/{product_id}/{_KINDS[kind]}")


class Listings(_Resource):
    async def create(
        self, /, product_id: str, venue_code: str, price: Mapping[str, Any], **fields: Any
    ) -> JSON:
        body = {"product_id": product_id, "venue_code": venue_code, "price": dict(price), **fields}
        made: JSON = await self._t.json("POST", "/v1/listings", json=body)
        return made

    async def get(self, /, listing_id: str) -> JSON:
        found: JSON = await self._t.json("GET", f"/v1/listings/{listing_id}")
        return found

    def list(self, /, **filters: Any) -> AsyncIterator[JSON]:
        """Filters: product_id, venue_code, merchant_id, status."""
        return self._t.pages("/v1/listings", filters)

    def events(self, /, listing_id: str) -> AsyncIterator[JSON]:
        return self._t.pages(f"/v1/listings/{listing_id}/events")

    async def _step(self, /, listing_id: str, action: str, reason: str | None) -> JSON:
        body = {"reason": reason} if reason else {}
        moved: JSON = await self._t.json("POST", f"/v1/listings/{listing_id}/{action}", json=body)
        return moved

    async def submit(self, /, listing_id: str) -> JSON:
        """Conflict with `missing` naming every unmet gate, if any."""
        return await self._step(listing_id, "submit", None)

    async def approve(self, /, listing_id: str) -> JSON:
        return await self._step(listing_id, "approve", None)

    async def reject(self, /, listing_id: str, reason: str) -> JSON:
        return await self._step(listing_id, "reject", reason)

    async def suspend(self, /, listing_id: str, reason: str) -> JSON:
        return await self._step(listing_id, "suspend", reason)

    async def resume(self, /, listing_id: str) -> JSON:
        return await self._step(listing_id, "resume", None)

    async def delist(self, /, listing_id: str, reason: str) -> JSON:
        return await self._step(listing_id, "delist", reason)


class Transactions(_Resource):
    async def record(self, /, idempotency_key: str | None = None, **fields: Any) -> JSON:
        """Record a trade. The SDK sets an Idempotency-Key (or uses yours) and keeps it
        across its retries, so a retried request never records a second trade."""
        key = idempotency_key or str(uuid.uuid4())
        made: JSON = await self._t.json(
            "POST",
            "/v1/transactions",
            json=fields,
            headers={"Idempotency-Key": key},
            repeatable=True,
        )
        return made

    async def add_event(self, /, trade_id: str, type: str, **fields: Any) -> JSON:
        """confirmed, delivered, settled, disputed, refunded or cancelled."""
        made: JSON = await self._t.json(
            "POST", f"/v1/transactions/{trade_id}/events", json={"type": type, **fields}
        )
        return made

    async def get(self, /, trade_id: str) -> JSON:
        found: JSON = await self._t.json("GET", f"/v1/transactions/{trade_id}")
        return found

    def list(self, /, **filters: Any) -> AsyncIterator[JSON]:
        """Filters: venue, merchant_id, product_id, occurred_from, occurred_to, amount_min,
        amount_max, on_venue, confirmed."""
        return self._t.pages("/v1/transactions", filters)

    async def export(self, /, path: str | Path, **filters: Any) -> int:
        """Stream the CSV export (UTF-8 with BOM) to `path`; the number of bytes written."""
        written = 0
        query = {k: v for k, v in filters.items() if v is not None}
        async with self._t.http.stream("GET", "/v1/transactions/export", params=query) as response:
            if not response.is_success:
                await response.aread()
                raise problem_of(response)
            async with await anyio.open_file(path, "wb") as out:
                async for chunk in response.aiter_bytes():
                    await out.write(chunk)
                    written += len(chunk)
        return written


class Ledger(_Resource):
    """Reading a log (a venue's, `IPR` the IP registry's) and verifying it on the client.

    `trusted_keys` (key id → hex public key) are the only thing verification trusts; pass
    the exchange's published key (see `shushang_sdk.verify.trust`), never one read from the
    answer being checked."""

    def __init__(self, /, transport: Transport, trusted_keys: verify.TrustedKeys) -> None:
        super().__init__(transport)
        self.trusted_keys = trusted_keys

    async def tree_head(self, /, venue: str) -> JSON:
        found: JSON = await self._t.json("GET", f"/v1/ledgers/{venue}/tree-head")
        return found

    async def checkpoint(self, /, log: str) -> str:
        """The log's checkpoint, a C2SP signed note (unverified: see `verified_checkpoint`)."""
        return (await self._t.send("GET", f"/v1/ledgers/{log}/checkpoint")).text

    async def verifier_key(self, /, log: str) -> str:
        """The log's signed-note verifier key, as the server shows it. Trusting it is trusting
        the server: compare it with the one the exchange publishes."""
        return (await self._t.send("GET", f"/v1/ledgers/{log}/verifier-key")).text.strip()

    async def entry(self, /, venue: str, index: int) -> JSON:
        """Leaf `index`: with `entry` if your key may read its contents, else only
        `{index, leaf_hash}`."""
        found: JSON = await self._t.json("GET", f"/v1/ledgers/{venue}/entries/{index}")
        return found

    async def leaf_hashes(self, /, log: str, start: int, end: int) -> list[JSON]:
        """The leaf hashes of [start, end) (at most 1 000)."""
        found: JSON = await self._t.json(
            "GET", f"/v1/ledgers/{log}/leaf-hashes", params={"start": start, "end": end}
        )
        items: list[JSON] = found["items"]
        return items

    async def inclusion_proof(self, /, venue: str, index: int, tree_size: int) -> JSON:
        found: JSON = await self._t.json(
            "GET",
            f"/v1/ledgers/{venue}/proofs/inclusion",
            params={"index": index, "tree_size": tree_size},
        )
        return found

    async def consistency_proof(self, /, venue: str, first: int, second: int) -> JSON:
        found: JSON = await self._t.json(
            "GET",
            f"/v1/ledgers/{venue}/proofs/consistency",
            params={"first": first, "second": second},
        )
        return found

    async def verified_checkpoint(self, /, log: str) -> verify.Checkpoint:
        """The log's checkpoint, its signature checked against a trusted key and its origin
        against `log`: its size and root are what the log signed."""
        return verify.open_checkpoint(await self.checkpoint(log), self.trusted_keys, log)

    async def verified_head(self, /, venue: str) -> JSON:
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
        return {**head, "tree_size": signed.tree_size, "root_hash": signed.root_hash.hex()}

    async def verify_leaf(self, /, venue: str, index: int, head: Mapping[str, Any]) -> JSON:
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
        self, /, trade_id: str, head: Mapping[str, Any] | None = None
    ) -> JSON:
        """Fetch the trade, its ledger entry, an inclusion proof and a signed head, and check
        them all: the entry is this trade as recorded, field by field, it is in the signed
        tree, and a trusted key signed that tree. Returns the verified entry;
        VerificationFailed if not."""
        trade: JSON = await self._t.json("GET", f"/v1/transactions/{trade_id}")
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
                when = leaves.leaf_date(entry)
                day = when.astimezone(SHANGHAI).date() if when is not None else None
                if day is not None and (
                    (since is not None and day < since) or (until is not None and day > until)
                ):
                    result.skipped += 1
                    continue
                kind = await records.check(log, index, entry)
            except (VerificationFailed, ShushangError) as exc:
                result.failures.append((index, str(exc)))
                continue
            result.verified[kind] = result.verified.get(kind, 0) + 1
        if progress is not None:
            progress(size, size)
        return result


LEAF_HASH_PAGE = 1000
SHANGHAI = timezone(timedelta(hours=8))


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
    """The records that leaves name, fetched once each (a trade serves its events too)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport
        self._trades: dict[str, JSON] = {}
        self._registrations: dict[str, JSON] = {}

    async def _trade(self, trade_id: str) -> JSON:
        if trade_id not in self._trades:
            self._trades[trade_id] = await self._t.json("GET", f"/v1/transactions/{trade_id}")
        return self._trades[trade_id]

    async def check(self, log: str, index: int, entry: Mapping[str, Any]) -> str:
        """Compare the leaf's entry with its record: the kind checked."""
        kind = entry.get("type")
        where = f"{log} leaf {index}"
        if kind == leaves.TRADE:
            trade = await self._trade(str(entry.get("trade_id")))
            if trade["venue_code"] != log or trade["leaf_index"] != index:
                raise VerificationFailed(f"{where}: trade {trade['id']} is not this leaf")
            leaves.compare(where, leaves.trade_entry(trade), entry)
        elif kind == leaves.TRADE_EVENT:
            trade = await self._trade(str(entry.get("trade_id")))
            event = next((e for e in trade["events"] if e["id"] == entry.get("event_id")), None)
            if event is None or trade["venue_code"] != log or event["leaf_index"] != index:
                raise VerificationFailed(f"{where}: no event of trade {trade['id']} is this leaf")
            leaves.compare(where, leaves.event_entry(event), entry)
        elif kind == leaves.IP_STEP:
            registration_id = str(entry.get("registration_id"))
            if registration_id not in self._registrations:
                self._registrations[registration_id] = await self._t.json(
                    "GET", f"/v1/ip-registrations/{registration_id}"
                )
            history = self._registrations[registration_id]["history"]
            step = next((s for s in history if s["id"] == entry.get("step_id")), None)
            if step is None or step["ledger"] != log or step["leaf_index"] != index:
                raise VerificationFailed(f"{where}: no step of {registration_id} is this leaf")
            leaves.compare(where, leaves.step_entry(registration_id, step), entry)
        else:
            raise VerificationFailed(f"{where}: a leaf of a kind this SDK does not know: {kind}")
        return str(kind)


class IpRegistrations(_Resource):
    async def apply(self, /, **fields: Any) -> JSON:
        made: JSON = await self._t.json("POST", "/v1/ip-registrations", json=fields)
        return made

    async def get(self, /, registration_id: str) -> JSON:
        found: JSON = await self._t.json("GET", f"/v1/ip-registrations/{registration_id}")
        return found

    def list(self, /, **filters: Any) -> AsyncIterator[JSON]:
        """Filters: status, product_id, holder_merchant_id."""
        return self._t.pages("/v1/ip-registrations", filters)

    async def step(
        self, registration_id: str, action: str, body: Mapping[str, Any] | None = None,
        version: int | None = None,
    ) -> JSON:  # fmt: skip
        """Any step: examine, reject, grant, renew, change, transfer, license, pledge,
        release, cancel or revoke, with its body."""
        moved: JSON = await self._t.json(
            "POST",
            f"/v1/ip-registrations/{registration_id}/{action}",
            json=dict(body or {}),
            headers=_if_match(version),
        )
        return moved

    async def examine(
        self, /, registration_id: str, accept: bool, reason: str | None = None
    ) -> JSON:
        body = {"decision": "accept" if accept else "reject", "reason": reason}
        return await self.step(registration_id, "examine", body)

    async def grant(self, /, registration_id: str) -> JSON:
        return await self.step(registration_id, "grant")

    async def object(self, /, registration_id: str, kind: str, grounds: str) -> JSON:
        made: JSON = await self._t.json(
            "POST",
            f"/v1/ip-registrations/{registration_id}/objections",
            json={"kind": kind, "grounds": grounds},
        )
        return made

    async def decide_objection(
        self, registration_id: str, objection_id: str, uphold: bool, reason: str | None = None
    ) -> JSON:
        decided: JSON = await self._t.json(
            "POST",
            f"/v1/ip-registrations/{registration_id}/objections/{objection_id}/"
            + ("uphold" if uphold else "dismiss"),
            json={"reason": reason},
        )
        return decided


class Certificates(_Resource):
    async def get(self, /, number: str) -> JSON:
        """Verify a certificate (no key needed): holder, status, validity today, …"""
        found: JSON = await self._t.json("GET", f"/v1/certificates/{number}")
        return found


class Webhooks(_Resource):
    async def create(
        self, /, url: str, event_types: list[str], description: str | None = None
    ) -> JSON:
        """The answer carries the `secret` (whsec_…) once: keep it to verify deliveries."""
        body = {"url": url, "event_types": event_types, "description": description}
        made: JSON = await self._t.json("POST", "/v1/webhooks", json=body)
        return made

    async def get(self, /, webhook_id: str) -> JSON:
        found: JSON = await self._t.json("GET", f"/v1/webhooks/{webhook_id}")
        return found

    def list(self) -> AsyncIterator[JSON]:
        return self._t.pages("/v1/webhooks")

    async def update(self, /, webhook_id: str, version: int | None = None, **fields: Any) -> JSON:
        changed: JSON = await self._t.json(
            "PATCH", f"/v1/webhooks/{webhook_id}", json=fields, headers=_if_match(version)
        )
        return changed

    async def delete(self, /, webhook_id: str) -> None:
        await self._t.send("DELETE", f"/v1/webhooks/{webhook_id}")

    def deliveries(self, /, webhook_id: str) -> AsyncIterator[JSON]:
        return self._t.pages(f"/v1/webhooks/{webhook_id}/deliveries")

    async def retry(self, /, webhook_id: str, delivery_id: str) -> JSON:
        made: JSON = await self._t.json(
            "POST", f"/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"
        )
        return made


class Events(_Resource):
    def list(self, /, type: str | None = None, since: Any = None) -> AsyncIterator[JSON]:
        """Events you may see, oldest first; `type` is a type, `group.*` or `*`."""
        return self._t.pages("/v1/events", {"type": type, "since": since})
