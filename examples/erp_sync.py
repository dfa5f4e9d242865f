"""A merchant's ERP pushes its catalogue and its closed orders to Shushang, as a nightly job.

    SHUSHANG_URL=http://127.0.0.1:8000 SHUSHANG_API_KEY=<operator key> \\
        python examples/erp_sync.py

The job is safe to run again: products are matched by name and changed only when the ERP's
description differs, with `version=` so an edit made meanwhile on the exchange is not
overwritten (412, and the job says so); each order is recorded with the ERP's order number
as its Idempotency-Key, so a second run (or a retry after a lost answer) records nothing
twice and the answer says `replayed` (the same key with another body is refused, 422); its
delivery is an event with a key made of the order number, its settlement an event sent
with `version=` (If-Match, the trade's ETag as read): neither is appended twice.
Every line it prints carries the request id to quote to the exchange. With an operator key
it first makes the merchant and the merchant's key.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from _common import new_uscc
from shushang_sdk import Client, PreconditionFailed, ShushangError, models

SHANGHAI = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class ErpProduct:
    name: str
    description: str


@dataclass(frozen=True)
class ErpOrder:
    number: str
    buyer_uscc: str
    amount: str
    closed_at: datetime


CATALOGUE = [
    ErpProduct("物流园区车流量小时数据", "园区卡口的小时车流量, 按车型统计。"),
    ErpProduct("冷链仓储温湿度日报", "冷链仓库的温湿度日报, 含超限告警次数。"),
]


def sync_catalogue(seller: Client, merchant: models.MerchantOut) -> list[models.ProductOut]:
    existing = {p.name: p for p in seller.products.iter(merchant_id=merchant.id)}
    synced = []
    for item in CATALOGUE:
        found = existing.get(item.name)
        if found is None:
            made = seller.products.create(
                name=item.name,
                description=item.description,
                product_type="dataset",
                domains=["transport"],
                data_sources=[{"kind": "self_collected", "description": "ERP 导出"}],
                classification="general",
                classification_level=1,
                delivery_modes=["file_download"],
            )
            print(f"created {made.name} (request {made.meta.request_id})")
            synced.append(made)
        elif found.description != item.description:
            try:
                changed = seller.products.update(
                    found.id, description=item.description, version=found.version
                )
                print(f"updated {changed.name} to revision {changed.revision}")
                synced.append(changed)
            except PreconditionFailed as stale:
                print(f"skipped {found.name}: changed on the exchange ({stale.request_id})")
        else:
            print(f"unchanged {found.name}")
            synced.append(found)
    return synced


def sync_orders(operator: Client, seller: models.MerchantOut, orders: list[ErpOrder]) -> None:
    buyers = {m.uscc: m for m in operator.merchants.iter(region="330106")}
    for order in orders:
        trade = operator.transactions.record(
            idempotency_key=f"erp-{order.number}",
            venue_code="OTC",
            on_venue=False,
            seller_merchant_id=seller.id,
            buyer_merchant_id=buyers[order.buyer_uscc].id,
            amount=order.amount,
            contract_digest=hashlib.sha256(order.number.encode()).hexdigest(),
            occurred_at=order.closed_at,
        )
        said = "already recorded" if trade.meta.replayed else "recorded"
        print(f"order {order.number}: {said} as trade {trade.id} (leaf {trade.leaf_index})")
        # Events change money too: each is sent with an Idempotency-Key (the ERP's own here;
        # the SDK makes one when none is given), so a rerun appends nothing twice.
        delivered = operator.transactions.add_event(
            trade.id, idempotency_key=f"erp-{order.number}-delivered", type="delivered"
        )
        print(f"  delivered{' (already)' if delivered.meta.replayed else ''}")
        # Or against the trade as read (If-Match: its ETag counts its events): settled
        # once, and a rerun that finds it settled leaves it.
        read = operator.transactions.get(trade.id)
        if "settled" in {event.type for event in read.events}:
            print("  settled (already)")
            continue
        try:
            operator.transactions.add_event(trade.id, version=read.meta.etag, type="settled")
            print("  settled")
        except PreconditionFailed as stale:  # another event came in since `read`
            print(f"  not settled: the trade changed meanwhile ({stale.request_id})")


def main() -> None:
    suffix = random.randint(1000, 9999)
    with Client(accept_language="zh-CN", headers={"X-ERP": "example-erp/1.0"}) as operator:
        merchant, buyer = (
            operator.merchants.create(
                name=f"{role}物流数据有限公司{suffix}",
                uscc=new_uscc(),
                region_code="330106",
                categories=["data_product"],
                contact_email="erp@example.cn",
            )
            for role in ("运河", "钱塘")
        )
        key = operator.api_keys.create(role="merchant", name="ERP 对接", merchant_id=merchant.id)
        with Client(api_key=key.token, accept_language="zh-CN") as seller:
            for run in (1, 2):  # the second run changes nothing
                print(f"-- run {run}")
                sync_catalogue(seller, merchant)
        closed = datetime.now(SHANGHAI).replace(microsecond=0)
        orders = [
            ErpOrder(f"SO-{suffix}-{n}", buyer.uscc, f"{n * 1200}.00", closed) for n in (1, 2)
        ]
        try:
            for run in (1, 2):
                print(f"-- orders, run {run}")
                sync_orders(operator, merchant, orders)
        except ShushangError as exc:  # title and detail in Chinese, and the request id
            print(f"交易所拒绝: {exc}")
            raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
