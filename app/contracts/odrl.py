"""Offers and agreements as ODRL policies (DOMAIN.md "Rights as ODRL actions"). Pure.

The three rights are actions (持有 `shushang:hold`, 使用 `odrl:use`, 经营
`shushang:operate`) under the profile `https://shushang.example/odrl/v1`; each permission is
constrained by purpose, term end and territory (`CN`) and carries the duty to delete at the
term's end; onward distribution is prohibited unless 经营 is granted."""

from __future__ import annotations

from datetime import date
from typing import Any

PROFILE = "https://shushang.example/odrl/v1"
CONTEXT: list[Any] = [
    "https://w3id.org/dspace/2025/1/context.jsonld",
    {"odrl": "http://www.w3.org/ns/odrl/2/", "shushang": PROFILE + "#"},
]
ACTIONS = {"hold": "shushang:hold", "use": "odrl:use", "operate": "shushang:operate"}


def _constraint(left: str, operator: str, right: str) -> dict[str, str]:
    return {"odrl:leftOperand": left, "odrl:operator": operator, "odrl:rightOperand": right}


def offer(
    offer_id: str, assigner: str, target: str, rights: list[str], purpose: str, term_end: date
) -> dict[str, Any]:
    """The ODRL offer of `rights` (hold, use, operate) on `target` by `assigner` (a USCC)."""
    end = f"{term_end.isoformat()}T23:59:59+08:00"
    delete = {
        "odrl:action": "odrl:delete",
        "odrl:constraint": [_constraint("odrl:dateTime", "odrl:gt", end)],
    }
    permissions = [
        {
            "odrl:action": ACTIONS[right],
            "odrl:constraint": [
                _constraint("odrl:purpose", "odrl:eq", purpose),
                _constraint("odrl:dateTime", "odrl:lteq", end),
                _constraint("odrl:spatial", "odrl:eq", "CN"),
            ],
            "odrl:duty": [delete],
        }
        for right in sorted(set(rights), key=list(ACTIONS).index)
    ]
    policy: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "odrl:Offer",
        "@id": offer_id,
        "odrl:profile": PROFILE,
        "odrl:assigner": assigner,
        "odrl:target": target,
        "odrl:permission": permissions,
    }
    if "operate" not in rights:
        policy["odrl:prohibition"] = [{"odrl:action": "odrl:distribute"}]
    return policy


def agreement(
    agreement_id: str, terms: dict[str, Any], assignee: str, timestamp: str
) -> dict[str, Any]:
    """The agreement on the offer `terms` with `assignee` (the consumer's USCC)."""
    document = {key: value for key, value in terms.items() if key not in ("@type", "@id")}
    document.update(
        {
            "@type": "odrl:Agreement",
            "@id": agreement_id,
            "odrl:assignee": assignee,
            "timestamp": timestamp,
        }
    )
    return document
