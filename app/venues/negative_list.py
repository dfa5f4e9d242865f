"""The default negative list (负面清单) of every venue, from DOMAIN.md.

Each rule blocks listing when it hits: core data; unlawful or unauthorised sources;
personal information without a lawful basis; forbidden keywords in a product's text.
"""

from __future__ import annotations

from typing import Any

DEFAULT_KEYWORDS = ("国家秘密", "军事设施", "军事禁区", "国家核心数据")


def default_negative_list() -> list[dict[str, Any]]:
    return [
        {
            "code": "CORE_DATA",
            "kind": "classification",
            "values": ["core"],
            "description": "核心数据不得交易 / core data may not be traded",
        },
        {
            "code": "SOURCE_UNLAWFUL",
            "kind": "source_lawfulness",
            "values": [],
            "description": "来源不合法或未经授权 / unlawful or unauthorised sources",
        },
        {
            "code": "PI_NO_BASIS",
            "kind": "personal_info_basis",
            "values": [],
            "description": "个人信息缺乏合法性基础 / personal information without a lawful basis",
        },
        {
            "code": "KEYWORDS",
            "kind": "keywords",
            "values": list(DEFAULT_KEYWORDS),
            "description": "禁止的关键词 / forbidden keywords",
        },
    ]
