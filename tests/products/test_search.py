"""Segmentation into tsvector and tsquery literals (pure)."""

from __future__ import annotations

from app.products import search


def test_domain_words_stay_whole() -> None:
    assert "数据知识产权" in search.words("申请数据知识产权登记")
    assert "产业大脑" in search.words("化工产业大脑")
    assert "公共数据" in search.words("公共数据授权运营")


def test_vectors() -> None:
    found = search.vectors("杭州数据交易指数", "反映交易活跃度 Monthly index", ["指数"])
    assert "'交易'" in found.name and "'活跃'" not in found.name
    assert "'活跃'" in found.words and "'monthly'" in found.words
    assert "'据交'" in found.pairs  # a pair across words, for substring recall
    assert "'index'" in found.pairs  # Latin words count for the substring tier too
    assert "'度'" in found.pairs  # the last character of a run stands alone


def test_queries() -> None:
    q = search.query("交易")
    assert q is not None
    assert (q.words, q.pairs) == ("'交易'", "'交易'")
    one = search.query("数")
    assert one is not None and one.words == one.pairs == "'数':*"
    latin = search.query("Traffic-2025")
    assert latin is not None and latin.words == "'traffic':* & '2025':*"
    mixed = search.query("杭州 交易指数")
    assert mixed is not None and "'交易指数'" in mixed.words and "'易指'" in mixed.pairs
    assert search.query("!!! ???") is None


def test_quotes_cannot_break_out() -> None:
    q = search.query("it's a 'test' \\")
    assert q is not None
    assert q.words == "'it':* & 's':* & 'a':* & 'test':*"
