"""Compliance of a product and its sample (DOMAIN.md, Compliance assessment). Pure.

Findings carry a code, a severity (`blocker`, `major`, `minor`), evidence (columns and
counts, never personal values) and a remediation. The result is `fail` with any blocker,
`conditional` with any major finding, else `pass`; it is given overall and for each venue,
whose negative list (负面清单) may add blockers of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from app.assessments.pii import SENSITIVE_KINDS, PiiScan

RULES_VERSION = "compliance/2024-cross-border/1"

# 促进和规范数据跨境流动规定 (2024): thresholds in persons.
EXPORT_ASSESSMENT_PERSONS = 1_000_000
EXPORT_CONTRACT_PERSONS = 100_000
EXPORT_SENSITIVE_PERSONS = 10_000
LAWFUL_PI_BASES = frozenset({"consent", "separate_consent", "anonymized", "contract"})
SENSITIVE_PI_BASES = frozenset({"separate_consent", "anonymized"})


class Severity(StrEnum):
    blocker = "blocker"
    major = "major"
    minor = "minor"


class Result(StrEnum):
    passed = "pass"
    conditional = "conditional"
    failed = "fail"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    evidence: dict[str, Any]
    remediation: str
    venue_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity.value,
            "evidence": self.evidence,
            "remediation": self.remediation,
        }
        if self.venue_code:
            found["venue_code"] = self.venue_code
        return found


@dataclass(frozen=True)
class ProductFacts:
    name: str
    description: str
    tags: Sequence[str]
    classification: str
    data_sources: Sequence[Mapping[str, Any]]
    contains_personal_info: bool
    sensitive_personal_info: bool
    personal_info_basis: str | None
    persons_count: int | None
    cross_border: bool
    cross_border_assessment_ref: str | None


@dataclass(frozen=True)
class VenueRules:
    code: str
    negative_list: Sequence[Mapping[str, Any]]
    negative_list_version: int


@dataclass(frozen=True)
class ComplianceResult:
    result: Result
    findings: list[Finding]
    venues: dict[str, dict[str, Any]]
    personal_info_found: dict[str, Any]
    rows_scanned: int
    rules_version: str = RULES_VERSION


def result_of(findings: Iterable[Finding]) -> Result:
    severities = {f.severity for f in findings}
    if Severity.blocker in severities:
        return Result.failed
    if Severity.major in severities:
        return Result.conditional
    return Result.passed


def unlawful_sources(sources: Sequence[Mapping[str, Any]], today: date) -> list[dict[str, Any]]:
    """Why each unlawful source is so: none at all, a public authorisation without its
    reference, or a partner agreement past its end."""
    if not sources:
        return [{"problem": "no_data_source"}]
    problems = []
    for index, source in enumerate(sources):
        kind = source.get("kind")
        if kind == "public_authorized" and not source.get("reference"):
            problems.append({"source": index, "problem": "no_authorisation_reference"})
        if kind == "partner_agreement":
            ends = source.get("agreement_ends_on")
            ends_on = date.fromisoformat(ends) if isinstance(ends, str) else ends
            if ends_on is None:
                problems.append({"source": index, "problem": "no_agreement_end_date"})
            elif ends_on < today:
                problems.append(
                    {"source": index, "problem": "agreement_ended", "ended_on": ends_on.isoformat()}
                )
    return problems


@dataclass
class _Assessment:
    product: ProductFacts
    scan: PiiScan
    today: date
    findings: list[Finding] = field(default_factory=list)

    @property
    def has_pi(self) -> bool:
        return self.product.contains_personal_info or bool(self.scan.kinds)

    @property
    def has_sensitive_pi(self) -> bool:
        return self.product.sensitive_personal_info or bool(self.scan.kinds & SENSITIVE_KINDS)

    def add(
        self, code: str, severity: Severity, evidence: dict[str, Any], remediation: str
    ) -> None:
        self.findings.append(Finding(code, severity, evidence, remediation))

    def personal_information(self) -> None:
        product = self.product
        if self.scan.kinds and not product.contains_personal_info:
            self.add(
                "PII_UNDECLARED",
                Severity.blocker,
                self.scan.evidence(),
                "Declare contains_personal_info with its lawful basis, or remove or "
                "anonymise the personal information in the data.",
            )
        if self.has_sensitive_pi and product.personal_info_basis not in SENSITIVE_PI_BASES:
            evidence: dict[str, Any] = {
                "declared_sensitive": product.sensitive_personal_info,
                "found": self.scan.evidence(SENSITIVE_KINDS),
                "basis": product.personal_info_basis,
            }
            self.add(
                "SENSITIVE_PI_NO_BASIS",
                Severity.blocker,
                evidence,
                "Sensitive personal information (PIPL art. 28) needs separate consent "
                "(separate_consent) or must be anonymised (anonymized).",
            )

    def classification(self) -> None:
        if self.product.classification == "core":
            self.add(
                "CORE_DATA",
                Severity.blocker,
                {"classification": "core"},
                "Core data (核心数据) may not be traded.",
            )
        elif self.product.classification == "important":
            self.add(
                "IMPORTANT_DATA",
                Severity.major,
                {"classification": "important"},
                "Important data (重要数据) needs the venue's approval before listing.",
            )

    def sources(self) -> None:
        problems = unlawful_sources(self.product.data_sources, self.today)
        if problems:
            self.add(
                "SOURCE_UNLAWFUL",
                Severity.blocker,
                {"sources": problems},
                "Give every data source a lawful basis: an authorisation reference for "
                "public data, a current agreement for partner data.",
            )

    def cross_border(self) -> None:
        product = self.product
        if not product.cross_border:
            return
        persons = product.persons_count
        important = product.classification == "important"
        unknown = self.has_pi and persons is None
        needs_assessment = (
            important
            or unknown
            or (self.has_pi and persons is not None and persons > EXPORT_ASSESSMENT_PERSONS)
            or (
                self.has_sensitive_pi and persons is not None and persons > EXPORT_SENSITIVE_PERSONS
            )
        )
        evidence = {
            "important_data": important,
            "personal_info": self.has_pi,
            "sensitive_personal_info": self.has_sensitive_pi,
            "persons_count": persons,
        }
        if needs_assessment:
            if not product.cross_border_assessment_ref:
                self.add(
                    "EXPORT_ASSESSMENT_REQUIRED",
                    Severity.blocker,
                    evidence,
                    "Cross-border delivery of this data needs a CAC security assessment "
                    "(数据出境安全评估); give its reference in cross_border_assessment_ref"
                    + ("; declare persons_count" if unknown else "")
                    + ".",
                )
            return
        if self.has_pi and (
            (persons is not None and persons >= EXPORT_CONTRACT_PERSONS) or self.has_sensitive_pi
        ):
            self.add(
                "EXPORT_CONTRACT_REQUIRED",
                Severity.major,
                evidence,
                "File the standard contract for personal information export "
                "(个人信息出境标准合同) or obtain certification.",
            )

    def negative_list(self, venue: VenueRules) -> list[Finding]:
        hits = []
        text = " ".join([self.product.name, self.product.description, *self.product.tags])
        for rule in venue.negative_list:
            kind = rule.get("kind")
            values = [str(v) for v in rule.get("values") or []]
            evidence: dict[str, Any] | None = None
            if kind == "classification" and self.product.classification in values:
                evidence = {"classification": self.product.classification}
            elif kind == "source_lawfulness":
                problems = unlawful_sources(self.product.data_sources, self.today)
                evidence = {"sources": problems} if problems else None
            elif (
                kind == "personal_info_basis"
                and self.has_pi
                and (self.product.personal_info_basis not in LAWFUL_PI_BASES)
            ):
                evidence = {
                    "basis": self.product.personal_info_basis,
                    "personal_info_found": sorted(k.value for k in self.scan.kinds),
                }
            elif kind == "keywords":
                words = [w for w in values if w and w in text]
                evidence = {"keywords": words} if words else None
            if evidence is not None:
                hits.append(
                    Finding(
                        "NEGATIVE_LIST",
                        Severity.blocker,
                        {
                            "rule": rule.get("code"),
                            "negative_list_version": venue.negative_list_version,
                            **evidence,
                        },
                        f"The product hits rule {rule.get('code')} of venue {venue.code}'s "
                        "negative list and may not be listed there.",
                        venue_code=venue.code,
                    )
                )
        return hits


def assess(
    product: ProductFacts, scan: PiiScan, venues: Sequence[VenueRules], today: date
) -> ComplianceResult:
    """Findings for the product as declared and the personal information its sample holds."""
    run = _Assessment(product, scan, today)
    run.personal_information()
    run.classification()
    run.sources()
    run.cross_border()
    by_venue: dict[str, dict[str, Any]] = {}
    venue_findings: list[Finding] = []
    for venue in venues:
        hits = run.negative_list(venue)
        venue_findings += hits
        by_venue[venue.code] = {
            "result": result_of([*run.findings, *hits]).value,
            "negative_list_version": venue.negative_list_version,
            "findings": [h.as_dict() for h in hits],
        }
    return ComplianceResult(
        result=result_of([*run.findings, *venue_findings]),
        findings=[*run.findings, *venue_findings],
        venues=by_venue,
        personal_info_found=scan.evidence(),
        rows_scanned=scan.rows,
    )
