"""Administrative division codes (GB/T 2260): provinces, and the cities of Zhejiang.

A region code is six digits: province (2), city (2), county (2). We check the province
against GB/T 2260's fixed list and, for Zhejiang (33), the city against its eleven cities;
county digits are not checked against a table, since they change every year.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省",
    "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}  # fmt: skip

ZHEJIANG_CITIES: dict[str, str] = {
    "330100": "杭州市", "330200": "宁波市", "330300": "温州市", "330400": "嘉兴市",
    "330500": "湖州市", "330600": "绍兴市", "330700": "金华市", "330800": "衢州市",
    "330900": "舟山市", "331000": "台州市", "331100": "丽水市",
}  # fmt: skip


def region_problem(code: str) -> str | None:
    """Why `code` is not a GB/T 2260 region code, or None when it is one."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return "must be a 6-digit GB/T 2260 administrative division code"
    if code[:2] not in PROVINCES:
        return f"province code {code[:2]} does not exist"
    if code[:2] == "33" and code[2:4] != "00" and code[:4] + "00" not in ZHEJIANG_CITIES:
        return f"Zhejiang has no city {code[:4]}00"
    if code[2:4] == "00" and code[4:] != "00":
        return "a province-level code ends in 0000"
    return None


def city_of(code: str) -> str:
    """The city-level code (`xxxx00`) a region code belongs to."""
    return code[:4] + "00"


def city_name(code: str) -> str | None:
    return ZHEJIANG_CITIES.get(city_of(code))


def _validate(code: str) -> str:
    problem = region_problem(code)
    if problem:
        raise ValueError(problem)
    return code


RegionCode = Annotated[
    str,
    Field(
        min_length=6,
        max_length=6,
        pattern=r"^[0-9]{6}$",
        description="6-digit GB/T 2260 code, e.g. `330106` (杭州市西湖区).",
        examples=["330106"],
    ),
    AfterValidator(_validate),
]
