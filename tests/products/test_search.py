"""Segmentation into tsvector and tsquery literals (pure)."""

from __future__ import annotations

from app.products import search


def test_domain_words_stay_whole() -> None:
    assert "数据知识产权" in search.words("申请数据知识产权登记")
    assert "产业大脑" in search.words("化工产业大脑")
    assert "公共数据" in search.words("公共数据授权运营")


def test_document_weights_and_pairs() -> None:
    doc = search.document("杭州数据交易指数", "反映交易活跃度", ["指数"])
    assert "'交易':" in doc
    assert "'据交':" in doc  # a pair across words, for substring recall
    assert "A" in doc.split("'杭州':")[1].split(" ")[0]


def test_queries() -> None:
    assert search.query("交易") == "( ( '交易' ) | ( '交易' ) )"
    assert search.query("数") == "'数':*"
    assert search.query("Traffic-2025") == "'traffic':* & '2025':*"
    assert search.query("!!! ???") is None
    quoted = search.query("it's")
    assert quoted is not None and "\\'" not in quoted
