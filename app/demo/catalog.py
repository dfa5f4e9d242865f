"""Realistic Chinese demo records, generated deterministically from a seed. Pure: no I/O.

Used by `shushang demo` (a few dozen merchants, 600 products) and by the search benchmark
(100 000 products), so both exercise the catalog with the text a real exchange holds.

Every fifth demo product has a sample and is listed (120 cards): ten in each application
domain, spread over the four venues and the price models. Its sample is kept as a real one
would be, well or badly (`SampleProfile`), so that the quality assessment, computed from it,
grades the cards from A to D.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from app.core.regions import ZHEJIANG_CITIES
from app.merchants.uscc import ALPHABET, check_character
from app.products.schemas import Domain, ProductType

# County-level districts, so merchants spread within each city.
DISTRICTS: dict[str, list[str]] = {
    "330100": ["330102", "330105", "330106", "330108", "330110", "330112"],
    "330200": ["330203", "330205", "330206", "330212"],
    "330300": ["330302", "330303", "330304", "330381"],
    "330400": ["330402", "330411", "330483"],
    "330500": ["330502", "330503", "330521"],
    "330600": ["330602", "330603", "330604"],
    "330700": ["330702", "330703", "330782"],
    "330800": ["330802", "330803", "330881"],
    "330900": ["330902", "330903", "330921"],
    "331000": ["331002", "331003", "331004"],
    "331100": ["331102", "331121", "331181"],
}

_FIRM_WORDS = [
    "数智",
    "数联",
    "云图",
    "数衡",
    "智汇",
    "数链",
    "星图",
    "数安",
    "数创",
    "网数",
    "数港",
    "慧数",
]
_FIRM_KINDS = [
    "科技有限公司",
    "数据科技有限公司",
    "信息技术有限公司",
    "数据服务有限公司",
    "网络科技有限公司",
]
_MAIL_DOMAINS = ["zjdata.cn", "hzdata.cn", "dataex.cn"]
_TRADES = ["数据产品开发", "数据流通服务", "数据安全服务"]
_CATEGORIES = [
    "data_technology",
    "data_product",
    "data_circulation",
    "data_security",
    "data_platform",
]

DOMAIN_SUBJECTS: dict[Domain, list[str]] = {
    Domain.industrial_manufacturing: [
        "规上工业企业用电",
        "化工产业大脑生产",
        "纺织印染能耗",
        "汽车零部件供应链",
        "工业设备运行",
    ],
    Domain.commerce_trade: [
        "跨境电商订单",
        "企业画像",
        "商圈客流",
        "义乌小商品价格指数",
        "直播电商销售",
        "数据交易指数",
    ],
    Domain.finance: [
        "小微企业信用评价",
        "企业纳税信用",
        "供应链金融风控",
        "动产抵押登记",
        "普惠金融授信",
        "数据交易结算",
    ],
    Domain.sci_tech: [
        "专利价值评估",
        "科技成果转化",
        "高新技术企业研发投入",
        "科研仪器共享",
        "技术合同登记",
    ],
    Domain.culture_tourism: ["景区客流", "文旅消费", "非遗项目", "酒店入住", "乡村旅游"],
    Domain.healthcare: [
        "医疗机构服务量",
        "区域健康档案统计",
        "药品流通",
        "医保结算统计",
        "公共卫生监测",
    ],
    Domain.city_governance: [
        "城市大脑事件",
        "一网通办办件",
        "城市部件",
        "未来社区运行",
        "基层治理网格",
    ],
    Domain.transport: [
        "城市交通出行OD",
        "公交实时到站",
        "集装箱吞吐量",
        "网约车运营",
        "港口船舶动态",
    ],
    Domain.agriculture: ["农产品价格", "耕地质量", "茶园物联网", "渔业捕捞", "农业气象"],
    Domain.ecology_carbon: [
        "企业碳排放",
        "碳足迹核算",
        "水环境质量",
        "空气质量监测",
        "绿色电力交易",
    ],
    Domain.education: [
        "职业技能培训",
        "高校就业质量",
        "学位供需",
        "在线课程学习行为",
        "教育资源分布",
    ],
    Domain.public_services: [
        "公共数据授权运营",
        "社保参保统计",
        "不动产登记统计",
        "人口流动统计",
        "公共法律服务",
    ],
}

_TYPE_FORMS: dict[ProductType, list[str]] = {
    ProductType.dataset: ["数据集", "明细数据", "统计数据"],
    ProductType.data_api: ["查询接口", "实时数据接口", "核验接口"],
    ProductType.data_model: ["预测模型", "评分模型", "风险模型"],
    ProductType.algorithm: ["识别算法", "优化算法", "推荐算法应用"],
    ProductType.report: ["分析报告", "年度白皮书", "可视化看板"],
    ProductType.ai_content: ["行业语料库", "知识图谱", "大模型微调数据"],
}

_USES = [
    "支撑政府部门精准施策",
    "服务金融机构授信审批",
    "助力企业数字化转型",
    "用于产业链上下游协同",
    "支持城市运行态势感知",
    "赋能中小企业市场拓展",
    "辅助碳排放核算与减排",
    "为保险精算提供依据",
]
_QUALITIES = [
    "数据经过脱敏和质量校验",
    "字段口径与国家标准一致",
    "提供样例数据与字段说明",
    "支持按需定制与增量更新",
    "已完成合规评估",
    "覆盖主要区县",
]
_SOURCES: list[dict[str, Any]] = [
    {"kind": "self_collected", "description": "自有平台采集"},
    {"kind": "public_authorized", "description": "公共数据授权运营",
     "reference": "浙数授〔2025〕12号"},
    {"kind": "partner_agreement", "description": "与合作方协议获取",
     "reference": "HZ-DATA-2025-031", "agreement_ends_on": "2028-12-31"},
    {"kind": "purchased", "description": "向持证数商采购"},
    {"kind": "open_public", "description": "政府公开数据"},
]  # fmt: skip
_TAGS = ["浙江", "数据要素", "月度", "实时", "脱敏", "API", "标准化", "高频", "区县级", "企业级"]
# Each domain as the trade names it: a product's description and tags carry it, so a search
# for 交通 or 金融 finds the domain's products as a buyer would expect.
DOMAIN_WORDS: dict[Domain, str] = {
    Domain.industrial_manufacturing: "工业制造",
    Domain.commerce_trade: "商贸流通",
    Domain.finance: "金融服务",
    Domain.sci_tech: "科技创新",
    Domain.culture_tourism: "文化旅游",
    Domain.healthcare: "医疗健康",
    Domain.city_governance: "城市治理",
    Domain.transport: "交通运输",
    Domain.agriculture: "农业农村",
    Domain.ecology_carbon: "绿色低碳",
    Domain.education: "教育",
    Domain.public_services: "公共服务",
}
VENUES = ["ZJBDEX", "HZDEX", "WZDEX", "NBSE"]
PRICES: list[dict[str, str]] = [
    {"model": "subscription", "amount": "36000.00", "unit": "year"},
    {"model": "subscription", "amount": "12000.00", "unit": "month"},
    {"model": "one_time", "amount": "128000.00"},
    {"model": "one_time", "amount": "56000.00"},
    {"model": "per_call", "amount": "0.50"},
    {"model": "negotiable"},
]
LISTED_EVERY = 5  # every fifth product has a sample and is listed


@dataclass
class DemoMerchant:
    name: str
    uscc: str
    region_code: str
    categories: list[str]
    third_party_roles: list[str]
    tier: str | None
    certifications: list[dict[str, Any]]
    contact_email: str
    description: str


@dataclass(frozen=True)
class SampleProfile:
    """How a demo sample is kept, so that the quality assessment (app/assessments/quality.py)
    finds what it would find in a real one: the age of its newest row (timeliness), the
    share of rows with a note (completeness: an empty cell of a column the product does not
    declare optional counts as missing), of values missing, of rows repeated (accuracy) and
    of malformed dates (conformity); and whether the product documents its columns
    (accessibility). `grade` is what the assessment finds (tests/demo check it)."""

    grade: str
    age_days: int
    notes: float
    values_missing: float
    repeated: float
    bad_dates: float
    documented: bool


PROFILES = [
    SampleProfile("A", 3, 1.0, 0.0, 0.0, 0.0, documented=True),
    SampleProfile("B", 75, 0.2, 0.0, 0.0, 0.0, documented=False),
    SampleProfile("C", 300, 0.2, 0.15, 0.3, 0.2, documented=False),
    SampleProfile("D", 700, 0.0, 0.7, 0.5, 0.7, documented=False),
]
_PROFILE_WEIGHTS = [3, 4, 2, 1]
SAMPLE_COLUMNS = ["日期", "城市", "区县", "指标值", "样本量", "备注"]
# The columns a documented product declares (its `schema`), the note optional.
SAMPLE_SCHEMA: dict[str, Any] = {
    "columns": [
        {"name": "日期", "type": "date", "format": "date"},
        {"name": "城市", "type": "string"},
        {"name": "区县", "type": "string"},
        {"name": "指标值", "type": "decimal", "format": "number"},
        {"name": "样本量", "type": "integer", "format": "number"},
        {"name": "备注", "type": "string"},
    ],
    "required": ["日期", "城市", "区县", "指标值", "样本量"],
}


@dataclass
class DemoProduct:
    merchant_index: int
    body: dict[str, Any]
    sample_csv: str | None = field(default=None)
    # Where and at what price the demo lists it (products with a sample only).
    venue_code: str | None = None
    price: dict[str, str] | None = None


def uscc_for(rng: random.Random, region_code: str) -> str:
    body = "91" + region_code + "MA" + "".join(rng.choice(ALPHABET) for _ in range(7))
    return body + check_character(body)


def merchants(seed: int = 2026) -> list[DemoMerchant]:
    """Merchants in each of the 11 Zhejiang cities, with tiers and certifications."""
    rng = random.Random(seed)
    found: list[DemoMerchant] = []
    for city_code, city_name in ZHEJIANG_CITIES.items():
        short = city_name.removesuffix("市")
        for n in range(4 if city_code in ("330100", "330200") else 3):
            region = rng.choice(DISTRICTS[city_code])
            word = _FIRM_WORDS[(len(found) + n) % len(_FIRM_WORDS)]
            name = f"{short}{word}{_FIRM_KINDS[(len(found) * 7 + n) % len(_FIRM_KINDS)]}"
            tier = rng.choice([None, "growth", "growth", "leading"])
            certifications = [
                {
                    "scheme": "DCMM",
                    "level": rng.randint(1, 4),
                    "valid_until": date(2026 + rng.randint(0, 3), rng.randint(1, 12), 28),
                },
            ]
            if rng.random() < 0.5:
                certifications.append(
                    {
                        "scheme": "ISO27001",
                        "level": None,
                        "valid_until": date(2027, rng.randint(1, 12), 15),
                    }
                )
            if rng.random() < 0.3:
                certifications.append(
                    {"scheme": "DSMM", "level": rng.randint(2, 3), "valid_until": date(2028, 6, 30)}
                )
            found.append(
                DemoMerchant(
                    name=name,
                    uscc=uscc_for(rng, region),
                    region_code=region,
                    categories=sorted(rng.sample(_CATEGORIES, rng.randint(1, 3))),
                    third_party_roles=(["assessor"] if n == 2 and city_code == "330100" else []),
                    tier=tier,
                    certifications=certifications,
                    contact_email=f"bd{len(found) + 1:03d}@{_MAIL_DOMAINS[n % 3]}",
                    description=f"{city_name}的{rng.choice(_TRADES)}企业。",
                )
            )
    return found


def sample_csv(
    rng: random.Random, city: str, profile: SampleProfile, today: date, rows: int = 60
) -> str:
    """A sample of `rows` daily rows up to `profile.age_days` before `today`, kept as the
    profile says."""
    newest = today - timedelta(days=profile.age_days)
    lines: list[str] = []
    for i in range(rows):
        day = newest - timedelta(days=rows - 1 - i)
        when = day.isoformat()
        if i < rows - 1 and rng.random() < profile.bad_dates:  # the newest row stays dated
            when = f"{day.year}-{day.month:02d}-{rng.randint(32, 39)}"
        district = f"{city}{rng.choice('东西南北中')}区"
        value, size = f"{rng.uniform(10, 1000):.2f}", str(rng.randint(100, 50000))
        district, value, size = (
            "" if rng.random() < profile.values_missing else kept
            for kept in (district, value, size)
        )
        note = rng.choice(["正常", "正常", "节假日", "数据补录", "口径调整"])
        note = note if rng.random() < profile.notes else ""
        lines.append(f"{when},{city},{district},{value},{size},{note}")
    # The oldest rows keyed in again over the next ones (never over the newest).
    copies = min(round(rows * profile.repeated), (rows - 1) // 2)
    lines[copies : 2 * copies] = lines[:copies]
    return "\n".join([",".join(SAMPLE_COLUMNS), *lines]) + "\n"


def product_text(
    rng: random.Random, product_type: ProductType, domain: Domain, city: str
) -> tuple[str, str, list[str]]:
    """A product's name, description and tags."""
    subject = rng.choice(DOMAIN_SUBJECTS[domain])
    form = rng.choice(_TYPE_FORMS[product_type])
    year = rng.choice([2023, 2024, 2025])
    name = f"{city}{subject}{form}({year})"
    description = (
        f"汇聚{city}{subject}相关数据,时间跨度{year}年至今,"
        f"{rng.choice(_USES)}。{rng.choice(_QUALITIES)},{rng.choice(_QUALITIES)}。"
        f"{'支持接口调用与文件下载。' if product_type is ProductType.data_api else '按月更新。'}"
        f"应用场景:{DOMAIN_WORDS[domain]}。"
    )
    tags = sorted({*rng.sample(_TAGS, 3), subject, DOMAIN_WORDS[domain]})
    return name, description, tags


def products(
    merchant_count: int, *, today: date, count: int = 600, seed: int = 2026
) -> Iterator[DemoProduct]:
    """`count` products covering every type and every domain, spread over the merchants;
    every `LISTED_EVERY`-th has a sample dated up to `today` and a venue and price to be
    listed at (those cover every domain, each domain every venue)."""
    rng = random.Random(seed + 1)
    cities = [name.removesuffix("市") for name in ZHEJIANG_CITIES.values()]
    combos = [(t, d) for t in ProductType for d in Domain]
    used: set[str] = set()
    for i in range(count):
        product_type, domain = combos[i % len(combos)]
        city = rng.choice(cities)
        name, description, tags = product_text(rng, product_type, domain, city)
        while name in used:
            name = name.replace(")", "·增订)", 1)
        used.add(name)
        other = rng.choice([d for d in Domain if d is not domain])
        personal = rng.random() < 0.15
        body: dict[str, Any] = {
            "name": name,
            "description": description,
            "product_type": product_type.value,
            "domains": [domain.value] + ([other.value] if rng.random() < 0.3 else []),
            "data_sources": [rng.choice(_SOURCES)],
            "classification": "important" if rng.random() < 0.05 else "general",
            "contains_personal_info": personal,
            "personal_info_basis": rng.choice(["anonymized", "consent"]) if personal else None,
            "persons_count": rng.randint(1_000, 2_000_000) if personal else None,
            "update_frequency": rng.choice(["daily", "weekly", "monthly", "quarterly", "realtime"]),
            "coverage_start": "2023-01-01",
            "delivery_modes": sorted(
                rng.sample(["api", "file_download", "sandbox", "privacy_computing"], 2)
            ),
            "tags": tags,
            "data_as_of": (date(2025, 6, 30) + timedelta(days=rng.randint(0, 480))).isoformat(),
            "service_level": "工作日 9:00-18:00 响应,接口可用性 99.5%",
        }
        if body["classification"] == "general":
            body["classification_level"] = rng.randint(1, 3)
        if i % LISTED_EVERY:
            yield DemoProduct(merchant_index=i % merchant_count, body=body)
            continue
        # The k-th listed product: the domains come round every 12, so the venue moves on by
        # one each round and each domain is listed on every venue.
        k = i // LISTED_EVERY
        profile = rng.choices(PROFILES, _PROFILE_WEIGHTS)[0]
        body["data_as_of"] = (today - timedelta(days=profile.age_days)).isoformat()
        if profile.documented:
            body["schema"] = SAMPLE_SCHEMA
        yield DemoProduct(
            merchant_index=i % merchant_count,
            body=body,
            sample_csv=sample_csv(rng, city, profile, today),
            venue_code=VENUES[(k + k // len(Domain)) % len(VENUES)],
            price=rng.choice(PRICES),
        )
