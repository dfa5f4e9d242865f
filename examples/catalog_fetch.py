"""A front end's server side fetches the catalogue it renders: the products matching a search,
with the counts by type and domain for the filters, in Chinese.

    SHUSHANG_URL=http://127.0.0.1:8000 python examples/catalog_fetch.py [交通]

Without a key it sees what the public sees. It asks for one page (what a page of the site
shows) and then walks every match with `iter` (what a sitemap job would do). The ETag it
prints lets a cache ask again with If-None-Match and get a 304 when nothing changed.
"""

from __future__ import annotations

import sys

from shushang_sdk import Client, models


def card(product: models.ProductOut) -> dict[str, object]:
    """What the page's template needs of a product."""
    return {
        "id": str(product.id),
        "name": product.name,
        "type": product.product_type,
        "domains": product.domains,
        "tags": product.tags,
    }


def main() -> None:
    words = sys.argv[1] if len(sys.argv) > 1 else "数据"
    with Client(api_key="", accept_language="zh-CN", timeout=10.0) as public:
        page = public.products.list(q=words, facets=True, limit=12)
        print(f"catalog: {len(page.items)} products on the first page for {words!r}")
        print(f"ETag {page.meta.etag}, request {page.meta.request_id}")
        if page.facets is not None:
            print(f"facets: {page.facets.model_dump(exclude_none=True)}")
        for product in page.items:
            print(card(product))
        every = sum(1 for _ in public.products.iter(q=words))
        print(f"catalog: {every} products in all")


if __name__ == "__main__":
    main()
