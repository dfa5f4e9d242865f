"""An auditor verifies this month's off-venue (场外) trades against the signed ledger.

    SHUSHANG_URL=http://127.0.0.1:8000 SHUSHANG_API_KEY=<operator key> \\
        python examples/auditor_verify_month.py

With an operator key it first records a few trades (between two merchants it creates) and
makes an auditor key; then, as the auditor, it proves each of the month's trades is in the
OTC log, as recorded, under a head signed by the ledger key. Set SHUSHANG_LEDGER_PUBLIC_KEY
to the exchange's published key; without it the example trusts the key the server shows.
"""

from __future__ import annotations

import hashlib
import os
import random
from datetime import datetime, timedelta, timezone

from _common import new_uscc
from shushang_sdk import Client, VerificationFailed, trust

SHANGHAI = timezone(timedelta(hours=8))


def record_some_trades(operator: Client, count: int = 5) -> None:
    seller, buyer = (
        operator.merchants.create(
            name=f"{role}示例数据有限公司{random.randint(1000, 9999)}",
            uscc=new_uscc(),
            region_code="330106",
            categories=["data_circulation"],
            contact_email="audit@example.cn",
        )
        for role in ("卖方", "买方")
    )
    for n in range(count):
        operator.transactions.record(
            venue_code="OTC",
            on_venue=False,
            seller_merchant_id=seller.id,
            buyer_merchant_id=buyer.id,
            amount=f"{random.randint(1000, 90000)}.00",
            term="12 个月",
            contract_digest=hashlib.sha256(f"contract {n}".encode()).hexdigest(),
            occurred_at=datetime.now(SHANGHAI),
        )


def main() -> None:
    with Client() as operator:
        record_some_trades(operator)
        auditor_key = operator.api_keys.create(role="auditor", name="月度审计").token
        published = os.environ.get("SHUSHANG_LEDGER_PUBLIC_KEY")
        if not published:
            published = operator.ledger.tree_head("OTC")["public_key"]
            print(f"no SHUSHANG_LEDGER_PUBLIC_KEY: trusting the server's key {published[:16]}…")

    month_start = datetime.now(SHANGHAI).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with Client(api_key=auditor_key, trusted_keys=trust(published)) as auditor:
        head = auditor.ledger.verified_head("OTC")
        print(f"OTC log: {head['tree_size']} entries, signed head verified")
        verified, failed = 0, 0
        for trade in auditor.transactions.iter(venue_code="OTC", occurred_from=month_start):
            try:
                auditor.ledger.verify_transaction(trade.id, head)
                verified += 1
            except VerificationFailed as exc:
                failed += 1
                print(
                    f"FAILED {trade.id} ({trade.amount} CNY, {trade.occurred_at:%Y-%m-%d}): {exc}"
                )
    print(f"{verified} trades of {month_start:%Y-%m} verified, {failed} failed")
    if failed or not verified:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
