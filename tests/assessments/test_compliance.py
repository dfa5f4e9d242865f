"""The compliance engine: each finding, the result, and each venue's negative list."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from app.assessments.compliance import ProductFacts, VenueRules, assess
from app.assessments.pii import PiiScan
from app.venues.negative_list import default_negative_list
from tests.assessments.test_pii import id_number

TODAY = date(2026, 11, 24)
CLEAN = ProductFacts(
    name="杭州企业用电统计",
    description="按月汇总",
    tags=["能源"],
    classification="general",
    data_sources=[{"kind": "self_collected"}],
    contains_personal_info=False,
    sensitive_personal_info=False,
    personal_info_basis=None,
    persons_count=None,
    cross_border=False,
    cross_border_assessment_ref=None,
)
VENUES = [VenueRules("HZDEX", default_negative_list(), 1), VenueRules("NBSE", [], 3)]


def scan(*rows: list[str | None]) -> PiiScan:
    found = PiiScan(["a", "b"], today=TODAY)
    for row in rows:
        found.add(row)
    return found


def codes(product: ProductFacts, pii: PiiScan | None = None) -> list[str]:
    return [f.code for f in assess(product, pii or scan(), VENUES, TODAY).findings]


def test_clean_product_passes_everywhere() -> None:
    result = assess(CLEAN, scan(["x", "y"]), VENUES, TODAY)
    assert result.result.value == "pass"
    assert {code: v["result"] for code, v in result.venues.items()} == {
        "HZDEX": "pass",
        "NBSE": "pass",
    }


def test_undeclared_and_sensitive_personal_information() -> None:
    found = scan([id_number("330106", date(1990, 1, 1), 7), "13812345678"])
    result = assess(CLEAN, found, VENUES, TODAY)
    assert [f.code for f in result.findings][:2] == ["PII_UNDECLARED", "SENSITIVE_PI_NO_BASIS"]
    assert result.result.value == "fail"
    assert "13812345678" not in repr(result)
    declared = replace(
        CLEAN,
        contains_personal_info=True,
        personal_info_basis="separate_consent",
        persons_count=500,
    )
    assert codes(declared, found) == []
    consent_only = replace(declared, personal_info_basis="consent")
    assert codes(consent_only, found) == ["SENSITIVE_PI_NO_BASIS"]


def test_classification_and_sources() -> None:
    assert codes(replace(CLEAN, classification="important")) == ["IMPORTANT_DATA"]
    core = assess(replace(CLEAN, classification="core"), scan(), VENUES, TODAY)
    assert [f.code for f in core.findings] == ["CORE_DATA", "NEGATIVE_LIST"]
    assert core.venues["HZDEX"]["result"] == "fail"
    assert codes(replace(CLEAN, data_sources=[]))[0] == "SOURCE_UNLAWFUL"
    assert (
        codes(replace(CLEAN, data_sources=[{"kind": "public_authorized"}]))[0] == "SOURCE_UNLAWFUL"
    )
    ended = [{"kind": "partner_agreement", "agreement_ends_on": "2026-11-23"}]
    assert codes(replace(CLEAN, data_sources=ended))[0] == "SOURCE_UNLAWFUL"
    current = [{"kind": "partner_agreement", "agreement_ends_on": "2026-11-24"}]
    assert codes(replace(CLEAN, data_sources=current)) == []


def test_cross_border_thresholds() -> None:
    pi = replace(
        CLEAN, contains_personal_info=True, personal_info_basis="consent", cross_border=True
    )
    assert codes(replace(pi, persons_count=1_000_001)) == ["EXPORT_ASSESSMENT_REQUIRED"]
    assert (
        codes(replace(pi, persons_count=1_000_001, cross_border_assessment_ref="CAC-2025-1")) == []
    )
    assert codes(replace(pi, persons_count=100_000)) == ["EXPORT_CONTRACT_REQUIRED"]
    assert codes(replace(pi, persons_count=99_999)) == []
    sensitive = replace(pi, sensitive_personal_info=True, personal_info_basis="separate_consent")
    assert codes(replace(sensitive, persons_count=10_001)) == ["EXPORT_ASSESSMENT_REQUIRED"]
    assert codes(replace(sensitive, persons_count=10_000)) == ["EXPORT_CONTRACT_REQUIRED"]
    assert codes(replace(CLEAN, classification="important", cross_border=True)) == [
        "IMPORTANT_DATA",
        "EXPORT_ASSESSMENT_REQUIRED",
    ]
    assert codes(replace(pi, persons_count=None))[0] == "EXPORT_ASSESSMENT_REQUIRED"


def test_negative_lists_differ_by_venue() -> None:
    secret = replace(CLEAN, description="涉及军事设施周边的测绘数据")
    result = assess(secret, scan(), VENUES, TODAY)
    assert result.venues["HZDEX"]["result"] == "fail"
    assert result.venues["HZDEX"]["findings"][0]["evidence"]["keywords"] == ["军事设施"]
    assert result.venues["HZDEX"]["negative_list_version"] == 1
    assert result.venues["NBSE"]["result"] == "pass"  # its list is empty
    assert result.result.value == "fail"
    no_basis = replace(CLEAN, contains_personal_info=True)
    hit = assess(no_basis, scan(), VENUES, TODAY)
    assert [f.evidence["rule"] for f in hit.findings] == ["PI_NO_BASIS"]
