"""What both examples need: a valid 统一社会信用代码 for the merchants they create."""

from __future__ import annotations

import random

_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def new_uscc(region: str = "330106") -> str:
    """A USCC with its GB 32100-2015 check character (a legal person, 企业, in `region`)."""
    body = "91" + region + "".join(random.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=9))
    total = sum(_CHARS.index(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHARS[(31 - total % 31) % 31]
