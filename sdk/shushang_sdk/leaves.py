"""What each kind of ledger leaf must say, rebuilt from what the API shows of the record it
logs: a trade (`GET /v1/transactions/{id}`), one of its events, a step of a data IP
registration (`GET /v1/ip-registrations/{id}`), a cost item or a movement of a data asset
(`GET /v1/data-assets/{id}`), a close of a merchant's months (`GET
/v1/merchants/{id}/data-asset-periods`) or a restatement of a closed month (`GET
/v1/data-asset-restatements/{id}`). A leaf whose entry differs from its record in any field (or
has a field more or less) fails: the record was changed after it was logged, or the log
holds something else than the record it names.

`KINDS` is the one table of the kinds this SDK verifies, by the entry's `type`. A new kind
of leaf is one row there (and its `…_entry` function here): the record that shows it (an
API path made from the entry), how to find the leaf's item in that record, the entry the
item must have been logged as, and where (log, leaf index) the record says it is.
`Ledger.audit` and `shushang-audit verify` read nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from shushang_sdk.errors import VerificationFailed

Record = Mapping[str, Any]
SHANGHAI = timezone(timedelta(hours=8))

TRADE, TRADE_EVENT, IP_STEP = "trade", "trade_event", "ip_step"
ASSET_COST_ITEM, ASSET_MOVEMENT = "data_asset_cost_item", "data_asset_movement"
ASSET_CLOSE, ASSET_RESTATEMENT = "data_asset_period_close", "data_asset_restatement"
NEGOTIATION_STEP = "negotiation_step"
_TIMES = ("occurred_at", "recorded_at")


def trade_entry(trade: Record) -> dict[str, Any]:
    return {
        "type": TRADE,
        "trade_id": trade["id"],
        "venue_code": trade["venue_code"],
        "listing_id": trade["listing_id"],
        "product_id": trade["product_id"],
        "seller_merchant_id": trade["seller_merchant_id"],
        "buyer_merchant_id": trade["buyer_merchant_id"],
        "amount": trade["amount"],
        "fee": trade["fee"],
        "currency": trade["currency"],
        "quantity": trade["quantity"],
        "term": trade["term"],
        "on_venue": trade["on_venue"],
        "contract_digest": trade["contract_digest"],
        "occurred_at": trade["occurred_at"],
        "recorded_at": trade["created_at"],
        # Keys of 2026-12-07, in the leaf only when a fee-waiver rule applied (every other
        # trade's leaf, and every earlier one, has none of them).
        **(
            {"fee_before_waiver": trade["fee_before_waiver"], "fee_waiver_id": waiver}
            if (waiver := trade.get("fee_waiver_id")) is not None
            else {}
        ),
    }


def event_entry(event: Record) -> dict[str, Any]:
    return {
        "type": TRADE_EVENT,
        "event_id": event["id"],
        "trade_id": event["trade_id"],
        "event": event["type"],
        "occurred_at": event["occurred_at"],
        "note": event["note"],
        "recorded_at": event["created_at"],
    }


def step_entry(registration_id: str, step: Record) -> dict[str, Any]:
    return {
        "type": IP_STEP,
        "step_id": step["id"],
        "registration_id": registration_id,
        "action": step["action"],
        "from": step["from_status"],
        "to": step["to_status"],
        "certificate_number": step["certificate_number"],
        "holder_merchant_id": step["holder_merchant_id"],
        "details": step["details"],
        "recorded_at": step["created_at"],
    }


def negotiation_step_entry(negotiation: Record, step: Record) -> dict[str, Any]:
    """A contract negotiation's step (`GET /v1/negotiations/{id}` `steps`)."""
    return {
        "type": NEGOTIATION_STEP,
        "step_id": step["id"],
        "negotiation_id": negotiation["id"],
        "listing_id": negotiation["listing_id"],
        "consumer_merchant_id": negotiation["consumer_merchant_id"],
        "provider_merchant_id": negotiation["provider_merchant_id"],
        "action": step["action"],
        "from": step["from_state"],
        "to": step["to_state"],
        "offer": step["offer"],
        "agreement_sha256": step["agreement_sha256"],
        "recorded_at": step["created_at"],
    }


def cost_item_entry(asset: Record, item: Record) -> dict[str, Any]:
    """A data asset's cost item (`GET /v1/data-assets/{id}` `cost_items`): its class and
    source as recorded with it."""
    return {
        "type": ASSET_COST_ITEM,
        "cost_item_id": item["id"],
        "asset_id": asset["id"],
        "merchant_id": asset["merchant_id"],
        "asset_class": item["asset_class"],
        "source": item["source"],
        "kind": item["kind"],
        "amount": item["amount"],
        "incurred_on": item["incurred_on"],
        "phase": item["phase"],
        "description": item["description"],
        "trade_id": item["trade_id"],
        "assessment_id": item["assessment_id"],
        "certificate_number": item["certificate_number"],
        "recorded_at": item["created_at"],
        # Keys of 2026-12-07, in the leaf only when set (earlier leaves have none of them).
        **_present(
            invoice=item.get("invoice"),
            vat_deductible=item.get("vat_deductible"),
            restatement_id=item.get("restatement_id"),
        ),
    }


def _present(**values: Any) -> dict[str, Any]:
    """The keys whose value is set: a leaf has an optional key only when it was."""
    return {name: value for name, value in values.items() if value is not None}


def movement_entry(asset: Record, movement: Record) -> dict[str, Any]:
    """A data asset's movement (`GET /v1/data-assets/{id}` `movements`)."""
    return {
        "type": ASSET_MOVEMENT,
        "movement_id": movement["id"],
        "asset_id": asset["id"],
        "sequence": movement["sequence"],
        "merchant_id": asset["merchant_id"],
        "asset_class": movement["asset_class"],
        "source": movement["source"],
        "movement": movement["type"],
        "occurred_on": movement["date"],
        "from": movement["from_status"],
        "to": movement["to_status"],
        "details": movement["details"],
        "effects": movement["effects"],
        "recorded_at": movement["created_at"],
        **_present(restatement_id=movement.get("restatement_id")),
    }


def close_entry(close: Record) -> dict[str, Any]:
    """A close of a merchant's months through `through` (an item of `GET
    /v1/merchants/{id}/data-asset-periods`), with the digest of its as-reported
    disclosure."""
    return {
        "type": ASSET_CLOSE,
        "close_id": close["id"],
        "merchant_id": close["merchant_id"],
        "through": close["through"],
        "report_sha256": close["report_sha256"],
        "recorded_at": close["closed_at"],
    }


def restatement_entry(restatement: Record) -> dict[str, Any]:
    """An applied restatement (`GET /v1/data-asset-restatements/{id}`): its reason, its
    entry as normalised, who asked, and the cost item or movement it recorded (a leaf of its
    own, just before it); recorded when it was applied."""
    return {
        "type": ASSET_RESTATEMENT,
        "restatement_id": restatement["id"],
        "asset_id": restatement["asset_id"],
        "merchant_id": restatement["merchant_id"],
        "period": restatement["period"],
        "reason": restatement["reason"],
        "entry": restatement["entry"],
        "requested_by_role": restatement["requested_by_role"],
        "record_type": restatement["record_type"],
        "record_id": restatement["record_id"],
        "recorded_at": restatement["decided_at"],
    }


@dataclass(frozen=True)
class Kind:
    """One kind of leaf: how to check an entry of this `type` against its record.

    - `ledger_kind`: the service's name for the kind (the entry route's `kind`);
    - `record`: the API path of the record showing the leaf, made from the entry (each id
      an escaped path segment: `api_path`); fetched once per audit, however many leaves
      it shows;
    - `find`: the leaf's item in that record (the record itself for a trade), None if the
      record shows no such item;
    - `expected`: the entry the item must have been logged as, from (record, item);
    - `place`: the log and leaf index where the record says the item was logged;
    - `day`: the (Asia/Shanghai) date `--since` and `--until` select the leaf by."""

    type: str
    ledger_kind: str
    record: Callable[[Record], str]
    find: Callable[[Record, Record], Record | None]
    expected: Callable[[Record, Record], dict[str, Any]]
    place: Callable[[Record, Record], tuple[Any, Any]]
    day: Callable[[Record], date | None]


def api_path(template: str, *ids: Any) -> str:
    """`template` with each `{}` an escaped path segment: an id taken from an entry can
    never add a segment or a query."""
    return template.format(*(quote(str(i), safe="") for i in ids))


def by_id(items: Sequence[Record] | None, wanted: Any) -> Record | None:
    """The item of `items` whose `id` is `wanted`."""
    return next((item for item in items or () if item.get("id") == wanted), None)


def _instant(value: Any) -> Any:
    """Times compare as instants: the entry says UTC, the API may say `Z` or +08:00."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def local_day(value: Any) -> date | None:
    """The Asia/Shanghai date of a time, or a date as it is (`2026-11-10`)."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value).astimezone(SHANGHAI).date()
    except ValueError:
        return None


def _close_of(closes: Any, entry: Record) -> Record | None:
    """The close the entry names, in the merchant's list of closes."""
    return by_id(closes, entry.get("close_id")) if isinstance(closes, list) else None


def _restatement_day(entry: Record) -> date | None:
    """A restatement's day is its entry's (in the closed month it restates), else when it
    was applied."""
    inner = entry.get("entry")
    day = local_day(inner.get("date")) if isinstance(inner, Mapping) else None
    return day if day is not None else local_day(entry.get("recorded_at"))


def _field_day(*names: str) -> Callable[[Record], date | None]:
    def day(entry: Record) -> date | None:
        return next((d for n in names if (d := local_day(entry.get(n))) is not None), None)

    return day


KINDS: dict[str, Kind] = {
    kind.type: kind
    for kind in (
        Kind(
            type=TRADE,
            ledger_kind="trade",
            record=lambda entry: api_path("/v1/transactions/{}", entry.get("trade_id")),
            find=lambda trade, entry: trade if trade.get("id") == entry.get("trade_id") else None,
            expected=lambda trade, _: trade_entry(trade),
            place=lambda trade, _: (trade["venue_code"], trade["leaf_index"]),
            day=_field_day("occurred_at", "recorded_at"),
        ),
        Kind(
            type=TRADE_EVENT,
            ledger_kind="trade_event",
            record=lambda entry: api_path("/v1/transactions/{}", entry.get("trade_id")),
            find=lambda trade, entry: by_id(trade.get("events"), entry.get("event_id")),
            expected=lambda _, event: event_entry(event),
            place=lambda trade, event: (trade["venue_code"], event["leaf_index"]),
            day=_field_day("occurred_at", "recorded_at"),
        ),
        Kind(
            type=IP_STEP,
            ledger_kind="ip_step",
            record=lambda entry: api_path("/v1/ip-registrations/{}", entry.get("registration_id")),
            find=lambda registration, entry: by_id(
                registration.get("history"), entry.get("step_id")
            ),
            expected=lambda registration, step: step_entry(registration["id"], step),
            place=lambda _, step: (step["ledger"], step["leaf_index"]),
            day=_field_day("recorded_at"),
        ),
        Kind(
            type=ASSET_COST_ITEM,
            ledger_kind="asset_cost_item",
            record=lambda entry: api_path("/v1/data-assets/{}", entry.get("asset_id")),
            find=lambda asset, entry: by_id(asset.get("cost_items"), entry.get("cost_item_id")),
            expected=cost_item_entry,
            place=lambda _, item: (item["ledger"], item["leaf_index"]),
            day=_field_day("incurred_on", "recorded_at"),
        ),
        Kind(
            type=ASSET_MOVEMENT,
            ledger_kind="asset_movement",
            record=lambda entry: api_path("/v1/data-assets/{}", entry.get("asset_id")),
            find=lambda asset, entry: by_id(asset.get("movements"), entry.get("movement_id")),
            expected=movement_entry,
            place=lambda _, movement: (movement["ledger"], movement["leaf_index"]),
            day=_field_day("occurred_on", "recorded_at"),
        ),
        Kind(
            type=ASSET_CLOSE,
            ledger_kind="asset_close",
            record=lambda entry: api_path(
                "/v1/merchants/{}/data-asset-periods", entry.get("merchant_id")
            ),
            find=_close_of,
            expected=lambda _, close: close_entry(close),
            place=lambda _, close: (close["ledger"], close["leaf_index"]),
            day=_field_day("recorded_at"),
        ),
        Kind(
            type=ASSET_RESTATEMENT,
            ledger_kind="asset_restated",
            record=lambda entry: api_path(
                "/v1/data-asset-restatements/{}", entry.get("restatement_id")
            ),
            find=lambda restatement, entry: (
                restatement if restatement.get("id") == entry.get("restatement_id") else None
            ),
            expected=lambda restatement, _: restatement_entry(restatement),
            place=lambda restatement, _: (restatement["ledger"], restatement["leaf_index"]),
            day=_restatement_day,
        ),
        Kind(
            type=NEGOTIATION_STEP,
            ledger_kind="negotiation_step",
            record=lambda entry: api_path("/v1/negotiations/{}", entry.get("negotiation_id")),
            find=lambda negotiation, entry: by_id(negotiation.get("steps"), entry.get("step_id")),
            expected=negotiation_step_entry,
            place=lambda negotiation, step: (negotiation["venue_code"], step["leaf_index"]),
            day=_field_day("recorded_at"),
        ),
    )
}


def kind_of(entry: Record, where: str) -> Kind:
    """The kind of the entry (by its `type`); VerificationFailed if this SDK knows none."""
    kind = KINDS.get(str(entry.get("type")))
    if kind is None:
        raise VerificationFailed(
            f"{where}: a leaf of a kind this SDK does not know: {entry.get('type')}"
        )
    return kind


def check(where: str, log: str, index: int, kind: Kind, record: Record, entry: Record) -> None:
    """VerificationFailed unless the record shows the leaf's item, logged at `log`/`index`,
    and the entry is that item as recorded, field by field."""
    item = kind.find(record, entry)
    if item is None:
        raise VerificationFailed(f"{where}: {kind.record(entry)} shows no {kind.type} of this leaf")
    if tuple(kind.place(record, item)) != (log, index):
        raise VerificationFailed(
            f"{where}: the {kind.type} {kind.record(entry)} shows is logged at "
            f"{kind.place(record, item)}, not this leaf"
        )
    compare(where, kind.expected(record, item), entry)


def compare(where: str, expected: Record, recorded: Record) -> None:
    """VerificationFailed naming the first field where the logged entry and the record
    differ."""
    for name in sorted(set(expected) | set(recorded)):
        if name not in recorded:
            raise VerificationFailed(f"{where}: the ledger entry has no {name}")
        if name not in expected:
            raise VerificationFailed(f"{where}: the ledger entry has a field {name} more")
        want, got = expected[name], recorded[name]
        if name in _TIMES:
            want, got = _instant(want), _instant(got)
        if want != got:
            raise VerificationFailed(
                f"{where}: its {name} is {expected[name]!r} but the ledger recorded "
                f"{recorded[name]!r}"
            )


def leaf_day(entry: Record) -> date | None:
    """The Asia/Shanghai date of the logged record (a trade's or event's `occurred_at`, a
    cost item's `incurred_on`, a movement's date, a restatement's entry's date, else when
    it was recorded, as for a close): what
    `--since` and `--until` select on."""
    kind = KINDS.get(str(entry.get("type")))
    return kind.day(entry) if kind is not None else local_day(entry.get("recorded_at"))


def leaf_date(entry: Record) -> datetime | None:
    """When the logged record happened (a trade's or event's `occurred_at`, else when it
    was recorded)."""
    value = entry.get("occurred_at") or entry.get("recorded_at")
    parsed = _instant(value)
    return parsed if isinstance(parsed, datetime) else None


def _month(value: Any) -> str | None:
    """`YYYY-MM` of a month or a date given as text, else None."""
    if not isinstance(value, str) or len(value) < 7:
        return None
    text = value[:7]
    return text if text[4:5] == "-" and (text[:4] + text[5:]).isdigit() else None


def _recorded_type(entry: Record) -> str | None:
    """What a restatement says it recorded, as a leaf `type` (`cost_item` or `movement`)."""
    return {"cost_item": ASSET_COST_ITEM, "movement": ASSET_MOVEMENT}.get(
        str(entry.get("record_type"))
    )


def _record_id(entry: Record) -> Any:
    return (
        entry.get("cost_item_id")
        if entry.get("type") == ASSET_COST_ITEM
        else (entry.get("movement_id"))
    )


def _record_day(entry: Record) -> Any:
    return (
        entry.get("incurred_on")
        if entry.get("type") == ASSET_COST_ITEM
        else (entry.get("occurred_on"))
    )


def _restatement_links(
    index: int,
    entry: Record,
    records: Mapping[Any, tuple[int, Record]],
    closes: Mapping[Any, list[tuple[int, str]]],
) -> str | None:
    """Why the restatement at `index` does not hold together with the log, or None."""
    period = _month(entry.get("period"))
    if period is None:
        return f"its period {entry.get('period')!r} is not a month"
    wanted = _recorded_type(entry)
    if wanted is None:
        return f"its record_type {entry.get('record_type')!r} is neither cost_item nor movement"
    found = records.get((wanted, entry.get("record_id")))
    if found is None:
        return (
            f"the {entry.get('record_type')} {entry.get('record_id')} it restates is no leaf "
            "of this log"
        )
    at, record = found
    if at > index:
        return f"the {entry.get('record_type')} it restates is leaf {at}, after it"
    for name in ("asset_id", "merchant_id"):
        if record.get(name) != entry.get(name):
            return (
                f"the {entry.get('record_type')} it restates (leaf {at}) has {name} "
                f"{record.get(name)!r}, not {entry.get(name)!r}"
            )
    if record.get("restatement_id") != entry.get("restatement_id"):
        return (
            f"the {entry.get('record_type')} it restates (leaf {at}) names the restatement "
            f"{record.get('restatement_id')!r}, not this one"
        )
    day = _record_day(record)
    if _month(day) != period:
        what = entry.get("record_type")
        return f"the {what} it restates (leaf {at}) is dated {day}, not in {period}"
    inner = entry.get("entry")
    if isinstance(inner, Mapping):
        if inner.get("date") != day:
            return f"its entry is dated {inner.get('date')!r} but leaf {at} is dated {day!r}"
        if wanted == ASSET_MOVEMENT:
            asked = str(inner.get("type")).replace("-", "_")
            if record.get("movement") != asked:
                found_type = record.get("movement")
                return f"its entry is a {inner.get('type')} but leaf {at} is a {found_type}"
        elif inner.get("type") != "cost_item":
            return f"its entry is a {inner.get('type')} but leaf {at} is a cost item"
    closed = [c for c in closes.get(entry.get("merchant_id"), []) if c[0] < at and c[1] >= period]
    if not closed:
        return (
            f"{period} was not closed for merchant {entry.get('merchant_id')} before leaf {at} "
            "(no close leaf through it earlier in the log)"
        )
    decided, made = _instant(entry.get("recorded_at")), _instant(record.get("recorded_at"))
    if isinstance(decided, datetime) and isinstance(made, datetime) and decided < made:
        return f"it was decided at {entry.get('recorded_at')}, before leaf {at} was recorded"
    return None


def cross_check(log: str, entries: Sequence[tuple[int, Record]]) -> list[tuple[int, str]]:
    """The restatements of a whole log checked against the log itself, as no single record
    can: each names (`record_type`, `record_id`) a cost item or movement leaf of the log,
    earlier than it, of its asset and merchant, carrying its `restatement_id`, dated in its
    `period` on its entry's `date`, of its entry's type; `period` was closed for the merchant
    by a close leaf (`through` ≥ `period`) earlier than that leaf; and it was decided no
    earlier than that leaf was recorded. A cost item or movement carrying a `restatement_id`
    is named by exactly one restatement leaf. A merchant's request and the operator's
    approval are one leaf (`requested_by_role` says who asked; the leaf is written when it
    is applied), so there is no separate approval leaf to order.

    `entries` are the (index, entry) of the leaves read, in log order (hidden leaves left
    out). The failures, by leaf index, each naming the leaf."""
    records: dict[Any, tuple[int, Record]] = {}
    closes: dict[Any, list[tuple[int, str]]] = {}
    claimed: dict[Any, int] = {}
    failures: list[tuple[int, str]] = []
    for index, entry in entries:
        kind = entry.get("type")
        if kind in (ASSET_COST_ITEM, ASSET_MOVEMENT):
            records.setdefault((kind, _record_id(entry)), (index, entry))
        elif kind == ASSET_CLOSE and (through := _month(entry.get("through"))) is not None:
            closes.setdefault(entry.get("merchant_id"), []).append((index, through))
    for index, entry in entries:
        if entry.get("type") != ASSET_RESTATEMENT:
            continue
        why = _restatement_links(index, entry, records, closes)
        key = (_recorded_type(entry), entry.get("record_id"))
        if why is None and key in claimed:
            why = f"leaf {claimed[key]} restates the same {entry.get('record_type')} already"
        claimed.setdefault(key, index)
        if why is not None:
            failures.append((index, f"{log} leaf {index}: restatement: {why}"))
    named = {key for key in claimed if key in records}
    for (kind, record_id), (index, entry) in records.items():
        if entry.get("restatement_id") is not None and (kind, record_id) not in named:
            failures.append(
                (
                    index,
                    f"{log} leaf {index}: it names the restatement "
                    f"{entry.get('restatement_id')} but no restatement leaf names it",
                )
            )
    return sorted(failures, key=lambda failure: failure[0])
