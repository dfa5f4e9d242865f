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


# Chinese for the messages of pydantic's validation errors, by error type: `errors[].msg`
# follows Accept-Language like `title` and `detail`. Traditional-Chinese tags (zh-TW,
# zh-HK) get these Simplified texts too. Values in braces come from the error's `ctx`.
_VALIDATION_ZH = {
    "missing": "必填",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "至多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符,应匹配 {pattern}",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值 true 或 false",
    "uuid_type": "应为 UUID",
    "uuid_parsing": "应为 UUID",
    "enum": "应为以下之一:{expected}",
    "literal_error": "应为以下之一:{expected}",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "too_short": "至少 {min_length} 项",
    "too_long": "至多 {max_length} 项",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON",
    "date_type": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期,不含时间",
    "datetime_type": "应为 RFC 3339 时间",
    "datetime_parsing": "应为 RFC 3339 时间",
    "datetime_from_date_parsing": "应为 RFC 3339 时间",
    "timezone_aware": "须带时区偏移",
    "url_parsing": "应为 URL",
    "url_scheme": "URL 协议不被接受",
    "value_error": "取值无效:{error}",
    "assertion_error": "取值无效:{error}",
    "unknown_query_parameter": "未知的查询参数",
}


def validation_message(error: dict[str, object]) -> Text:
    """A pydantic error's message in both languages (English as pydantic says it)."""
    english = str(error.get("msg", ""))
    template = _VALIDATION_ZH.get(str(error.get("type", "")))
    if template is None:
        return Text(english, english)
    ctx = error.get("ctx")
    values = {k: str(v) for k, v in ctx.items()} if isinstance(ctx, dict) else {}
    try:
        return Text(english, template.format(**values))
    except (KeyError, IndexError):
        return Text(english, template.split(":")[0].split("{")[0].rstrip(",:"))
