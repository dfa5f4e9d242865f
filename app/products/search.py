"""Chinese and English full-text search without contrib extensions.

Text is segmented with jieba (plus a dictionary of the trade's own words) and written as a
`tsvector` literal, so PostgreSQL's parser, which does not know Chinese, never splits it:

- weight A: words of the name and the tags; weight B: words of the description;
- weight D: every two-character window of each Chinese run, so that any Chinese substring
  of two or more characters is found (交易 finds 杭州数据交易指数, and so does 据交).

A query becomes a `tsquery` literal: a Chinese run matches when its jieba words all occur
or all of its character pairs do; a single Chinese character, a Latin word or a number
matches as a prefix. Every part of the query must match (AND).
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence

import jieba

# Words of the data trade that jieba's general dictionary splits apart.
DOMAIN_WORDS = (
    "数据知识产权", "产业大脑", "公共数据", "城市大脑", "数据要素", "数据交易", "数据资产",
    "数据产品", "数据商", "数商", "授权运营", "隐私计算", "可信数据空间", "数据空间", "数据沙箱",
    "数据经纪", "数据交付", "数据治理", "数据安全", "数据集", "数据接口", "数据模型", "算法应用",
    "交易指数", "企业画像", "信用评价", "碳排放", "碳足迹", "智能网联", "低空经济", "跨境电商",
    "航运指数", "一网通办", "未来社区", "共同富裕", "数字孪生", "大模型", "语料库", "知识图谱",
)  # fmt: skip

_MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
_MAX_QUERY_PARTS = 16
_WORD = re.compile(r"\w+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_ready = threading.Lock()
_initialised = False


def _tokenizer() -> jieba.Tokenizer:
    global _initialised
    if not _initialised:
        with _ready:
            if not _initialised:
                jieba.setLogLevel(60)  # jieba prints its dictionary loading otherwise
                for word in DOMAIN_WORDS:
                    jieba.add_word(word, freq=200_000)
                jieba.initialize()
                _initialised = True
    return jieba.dt


def warm_up() -> None:
    """Load jieba's dictionary now (about a second) rather than in the first request."""
    _tokenizer()


def _is_cjk(text: str) -> bool:
    return bool(_CJK_CHAR.match(text))


def words(text: str) -> list[str]:
    """Search words of a text: jieba's fine-grained cut, lower-cased, punctuation dropped."""
    tokenizer = _tokenizer()
    found: list[str] = []
    for token in tokenizer.cut_for_search(text.lower()):
        found += _WORD.findall(token)
    return found


def pairs(text: str, with_tail: bool = True) -> list[str]:
    """Every two-character window of each Chinese run, and (for documents) the run's last
    character, which starts no pair: alone, a one-character query finds it."""
    found: list[str] = []
    for run in _CJK_RUN.findall(text):
        found += [run[i : i + 2] for i in range(len(run) - 1)]
        if with_tail:
            found.append(run[-1])
    return found


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "\\'") + "'"


def document(name: str, description: str | None, tags: Sequence[str]) -> str:
    """The `tsvector` literal of a product's searchable text."""
    positions: dict[str, list[str]] = defaultdict(list)
    position = 0

    def add(lexemes: Iterable[str], weight: str) -> None:
        nonlocal position
        for lexeme in lexemes:
            position = min(position + 1, _MAX_POSITION)
            if len(positions[lexeme]) < 256:  # PostgreSQL keeps at most 256 per lexeme
                positions[lexeme].append(f"{position}{weight}")

    text_a = " ".join([name, *tags])
    add(words(text_a), "A")
    add(words(description or ""), "B")
    add(pairs(text_a + " " + (description or "")), "D")
    return " ".join(f"{_quote(lexeme)}:{','.join(at)}" for lexeme, at in positions.items())


def query(text: str) -> str | None:
    """The `tsquery` literal for what a user typed; None when it holds nothing searchable."""
    parts: list[str] = []
    for chunk in _WORD.findall(text.lower()):
        for run in _CJK_RUN.split(chunk):
            if run:
                parts += [f"{_quote(w)}:*" for w in _WORD.findall(run)]
        for run in _CJK_RUN.findall(chunk):
            if len(run) == 1:
                parts.append(f"{_quote(run)}:*")
                continue
            by_words = " & ".join(_quote(w) for w in dict.fromkeys(words(run)))
            by_pairs = " & ".join(_quote(p) for p in dict.fromkeys(pairs(run, with_tail=False)))
            parts.append(f"( ( {by_words} ) | ( {by_pairs} ) )")
    if not parts:
        return None
    return " & ".join(parts[:_MAX_QUERY_PARTS])
