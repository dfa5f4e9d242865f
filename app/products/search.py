"""Chinese and English full-text search without contrib extensions.

Text is segmented with jieba (plus a dictionary of the trade's own words) and written as
`tsvector` literals, so PostgreSQL's parser, which does not know Chinese, never splits it.
A product carries three vectors, each with a GIN index:

- `search_name`:  the words of its name and tags;
- `search_words`: the words of its name, tags and description;
- `search_pairs`: every two-character window of each Chinese run (and the run's last
  character), plus every Latin word and number, so that any Chinese substring of two or
  more characters is found (交易 finds 杭州数据交易指数, and so does 据交).

Relevance comes in three tiers: every query word in the name or tags; every query word in
the text; every query substring in the text. Within a tier, newer products come first.
Each tier is an index-backed `ORDER BY id DESC LIMIT n`, so a page costs the same whether
a query matches 20 products or 30 000, where ranking every match by `ts_rank` would read
them all.

A query is a conjunction: every Chinese run must match (as jieba words for the first two
tiers, as character pairs for the third); a single Chinese character, a Latin word or a
number matches as a prefix.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum

import jieba

# Words of the data trade that jieba's general dictionary splits apart.
DOMAIN_WORDS = (
    "数据知识产权", "产业大脑", "公共数据", "城市大脑", "数据要素", "数据交易", "数据资产",
    "数据产品", "数据商", "数商", "授权运营", "隐私计算", "可信数据空间", "数据空间", "数据沙箱",
    "数据经纪", "数据交付", "数据治理", "数据安全", "数据集", "数据接口", "数据模型", "算法应用",
    "交易指数", "企业画像", "信用评价", "碳排放", "碳足迹", "智能网联", "低空经济", "跨境电商",
    "航运指数", "一网通办", "未来社区", "共同富裕", "数字孪生", "大模型", "语料库", "知识图谱",
)  # fmt: skip

_MAX_LEXEMES = 4000
# PostgreSQL refuses a tsvector word over 2046 bytes; no one searches for a word that long,
# so such a "word" (a run of 3 000 digits, a pasted blob) is simply not indexed.
_MAX_LEXEME_BYTES = 256
_MAX_QUERY_PARTS = 16
_WORD = re.compile(r"\w+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

_ready = threading.Lock()
_initialised = False


class Tier(IntEnum):
    """How well a product matches: the lower, the better."""

    in_name = 1
    in_text = 2
    substring = 3


@dataclass(frozen=True)
class Vectors:
    """The three `tsvector` literals of a product."""

    name: str
    words: str
    pairs: str


@dataclass(frozen=True)
class Query:
    """The `tsquery` literals of what a user typed: by words, and by character pairs."""

    words: str
    pairs: str


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


def words(text: str) -> list[str]:
    """Search words of a text: jieba's fine-grained cut, lower-cased, punctuation dropped."""
    tokenizer = _tokenizer()
    found: list[str] = []
    for token in tokenizer.cut_for_search(text.lower()):
        found += _WORD.findall(token)
    return found


def _precise_words(text: str) -> list[str]:
    found: list[str] = []
    for token in _tokenizer().cut(text.lower()):
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


def _latin(text: str) -> list[str]:
    """Latin words and numbers: what is left of the words once Chinese runs are cut out."""
    return [w for chunk in _CJK_RUN.split(text.lower()) for w in _WORD.findall(chunk)]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _vector(lexemes: Iterable[str]) -> str:
    unique = [w for w in dict.fromkeys(lexemes) if len(w.encode()) <= _MAX_LEXEME_BYTES]
    unique = unique[:_MAX_LEXEMES]
    return " ".join(_quote(lexeme) for lexeme in unique)


def vectors(name: str, description: str | None, tags: Sequence[str]) -> Vectors:
    heading = " ".join([name, *tags])
    text = heading + " " + (description or "")
    return Vectors(
        name=_vector(words(heading)),
        words=_vector(words(text)),
        pairs=_vector([*pairs(text), *_latin(text)]),
    )


def query(text: str) -> Query | None:
    """The query literals for what a user typed; None when it holds nothing searchable."""
    by_words: list[str] = []
    by_pairs: list[str] = []
    for chunk in _WORD.findall(text.lower()):
        for latin in _latin(chunk):
            if len(latin.encode()) > _MAX_LEXEME_BYTES:
                continue  # never indexed (see `_vector`), so it cannot match
            by_words.append(f"{_quote(latin)}:*")
            by_pairs.append(f"{_quote(latin)}:*")
        for run in _CJK_RUN.findall(chunk):
            if len(run) == 1:
                by_words.append(f"{_quote(run)}:*")
                by_pairs.append(f"{_quote(run)}:*")
                continue
            # The precise cut: a document's fine-grained cut holds each of these words, and
            # fewer, less correlated terms keep the planner's row estimates honest.
            by_words += [_quote(w) for w in dict.fromkeys(_precise_words(run))]
            by_pairs += [_quote(p) for p in dict.fromkeys(pairs(run, with_tail=False))]
    if not by_words:
        return None
    return Query(
        words=" & ".join(by_words[: _MAX_QUERY_PARTS * 4]),
        pairs=" & ".join(by_pairs[: _MAX_QUERY_PARTS * 4]),
    )
