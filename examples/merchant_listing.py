"""A data merchant registers, describes a product, uploads a sample, and lists it on 杭州数据交易所.

    SHUSHANG_URL=http://127.0.0.1:8000 SHUSHANG_API_KEY=<operator key> \\
        python examples/merchant_listing.py

With an operator key it makes what it needs: the merchant and its key; the operator also
runs the assessments (as the exchange's assessor would) and approves the listing. Nothing
is cleaned up afterwards.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from _common import new_uscc
from shushang_sdk import Client, Conflict


def sample_csv(path: Path) -> None:
    rows = ["日期,城市,区县,指标值,样本量,备注"]
    for day in range(1, 29):
        rows.append(
            f"2026-02-{day:02d},杭州,杭州{random.choice('东西南北中')}区,"
            f"{random.uniform(10, 1000):.2f},{random.randint(100, 50000)},"
        )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def main() -> None:
    with Client() as operator:
        merchant = operator.merchants.create(
            name=f"西湖示例数据科技有限公司{random.randint(1000, 9999)}",
            uscc=new_uscc(),
            region_code="330106",
            categories=["data_product"],
            contact_email="bd@example.cn",
        )
        print(f"merchant {merchant.name} ({merchant.id})")
        key = operator.api_keys.create(
            role="merchant", name="示例数商密钥", merchant_id=merchant.id
        )

        with Client(api_key=key.token, accept_language="zh-CN") as seller:
            product = seller.products.create(
                name="杭州市区县经济指标日度数据集",
                description="杭州各区县的日度经济指标, 含样本量, 按日更新。",
                product_type="dataset",
                domains=["commerce_trade"],
                data_sources=[{"kind": "self_collected", "description": "自有平台采集"}],
                classification="general",
                classification_level=2,
                delivery_modes=["api", "file_download"],
                tags=["经济", "区县"],
                update_frequency="daily",
            )
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "sample.csv"
                sample_csv(path)
                sample = seller.samples.upload(product.id, path)
            print(f"sample: {sample.rows} rows, sha256 {sample.sha256[:16]}…")

            listing = seller.listings.create(
                product_id=product.id,
                venue_code="HZDEX",
                price={"model": "subscription", "amount": "36000.00", "unit": "year"},
            )
            try:
                seller.listings.submit(listing.id)
            except Conflict as gates:  # in Chinese: the client asked for zh-CN
                print(f"尚不能提交 ({gates.title}): {', '.join(gates.missing)}")

            # The revision we read is the one we change: a concurrent edit would be a 412.
            seller.products.update(product.id, status="active", version=product.version)
            operator.assessments.run_quality_assessment(product.id)
            operator.assessments.run_compliance_assessment(product.id)
            valued = operator.assessments.run_valuation(
                product.id,
                method="cost",
                return_rate="0.12",
                cost_items=[
                    {"kind": "acquisition", "amount": "80000.00"},
                    {"kind": "processing", "amount": "30000.00"},
                ],
            )
            print(f"valued at {valued.value} CNY")
            seller.listings.submit(listing.id)
        listed = operator.listings.approve(listing.id)
        print(f"listing {listed.id} on {listed.venue_code}: {listed.status}")
        print(f"(request {listed.meta.request_id}, ETag {listed.meta.etag})")


if __name__ == "__main__":
    main()
