"""Certification schemes a merchant may hold, and the names of their levels.

DCMM 数据管理能力成熟度 (GB/T 36073-2018) and DSMM 数据安全能力成熟度 (GB/T 37988-2019)
have levels 1–5; ISO 27001, ISO 9001, ISO 20000 and ITSS are held without a level.
"""

from __future__ import annotations

from enum import StrEnum


class Scheme(StrEnum):
    DCMM = "DCMM"
    DSMM = "DSMM"
    ISO27001 = "ISO27001"
    ISO9001 = "ISO9001"
    ISO20000 = "ISO20000"
    ITSS = "ITSS"


LEVEL_NAMES: dict[Scheme, dict[int, tuple[str, str]]] = {
    Scheme.DCMM: {
        1: ("初始级", "initial"),
        2: ("受管理级", "managed"),
        3: ("稳健级", "robust"),
        4: ("量化管理级", "quantitatively managed"),
        5: ("优化级", "optimizing"),
    },
    Scheme.DSMM: {
        1: ("非正式执行", "performed informally"),
        2: ("计划跟踪", "planned and tracked"),
        3: ("充分定义", "well defined"),
        4: ("量化控制", "quantitatively controlled"),
        5: ("持续优化", "continuously improving"),
    },
}


def has_levels(scheme: Scheme) -> bool:
    return scheme in LEVEL_NAMES


def level_name(scheme: Scheme, level: int | None) -> tuple[str, str] | None:
    """(Chinese, English) name of a level, or None for schemes without levels."""
    if level is None:
        return None
    return LEVEL_NAMES.get(scheme, {}).get(level)
