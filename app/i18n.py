"""Bilingual text: every message a client reads exists in English and Chinese."""

from __future__ import annotations

from typing import NamedTuple


class Text(NamedTuple):
    """A message in both languages; `Accept-Language` picks one when it is rendered."""

    en: str
    zh: str

    def format(self, **values: object) -> Text:
        return Text(self.en.format(**values), self.zh.format(**values))

    def pick(self, chinese: bool) -> str:
        return self.zh if chinese else self.en


def prefers_chinese(accept_language: str | None) -> bool:
    """True when the caller's most preferred language is Chinese (`zh`, `zh-CN`, `zh-Hans` …)."""
    if not accept_language:
        return False
    best_tag, best_q = "", -1.0
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        # Earlier entries win ties, as RFC 9110 orders equal weights by position.
        if q > best_q or (q == best_q and position == 0):
            best_tag, best_q = tag.strip().lower(), q
    return best_q > 0 and (best_tag == "zh" or best_tag.startswith("zh-"))
