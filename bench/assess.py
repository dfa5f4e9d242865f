"""Assessment engines on large CSV samples: rows per second and peak memory, against reading.

    .venv/bin/python -m bench.assess [--rows 1000000]

Writes two samples once under .shushang/bench/ (a customer file where 3 of 10 columns are
personal information, and an ordinary file with none), in a quarter, a half and all of the
rows; then, each in a fresh process so its peak memory is its own, times reading the rows
alone (the baseline), the PII scan of the compliance assessment, and the quality assessment.
Equal peak memory across the three sizes is memory that stays flat as the file grows.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from app.assessments import quality
from app.assessments.pii import id_check_character, scan_csv
from app.samples.profile import SampleFormat, read_rows
from bench.common import ROOT

REGIONS = ["330106", "330203", "330302", "330402", "330502", "330602", "330702", "330802"]
CITIES = ["杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水"]
PII_TARGET = 200_000


def _customers(rng: random.Random, i: int) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 16000))
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    day = (date(2025, 1, 1) + timedelta(days=i % 600)).isoformat()
    note = "" if rng.random() < 0.7 else rng.choice(["会员", "退货", "积分兑换"])
    return (
        f"C{i:08d},客户{i},{body}{id_check_character(body)},1{rng.randint(3, 9)}"
        f"{rng.randint(0, 10**9 - 1):09d},user{i}@example.cn,{rng.randint(1, 99999)}."
        f"{rng.randint(0, 99):02d},{day},{rng.choice(REGIONS)},{rng.choice(CITIES)},{note}\n"
    )


def _ordinary(rng: random.Random, i: int) -> str:
    day = (date(2025, 1, 1) + timedelta(days=i % 600)).isoformat()
    return (
        f"{i},{day},{rng.choice(CITIES)},{rng.choice(REGIONS)},规上工业企业{i % 5000},"
        f"{rng.randint(1, 10**6)},{rng.random() * 1000:.3f},{rng.randint(0, 100)},"
        f"{rng.choice(['电力', '热力', '燃气', '水'])},{rng.choice(['', '估算', '补录'])}\n"
    )


SAMPLES: dict[str, tuple[str, Callable[[random.Random, int], str]]] = {
    "customers (3 PII columns)": (
        "客户编号,姓名,身份证号,手机号,邮箱,消费金额,交易日期,行政区划,城市,备注\n",
        _customers,
    ),
    "ordinary (no PII)": (
        "编号,日期,城市,行政区划,企业,用电量,单价,负荷率,能源类型,备注\n",
        _ordinary,
    ),
}


def sample(kind: str, rows: int) -> Path:
    header, make = SAMPLES[kind]
    path = ROOT / ".shushang" / "bench" / f"assess-{kind.split()[0]}-{rows}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        rng = random.Random(rows)
        with path.open("w", encoding="utf-8") as out:
            out.write(header)
            for i in range(rows):
                out.write(make(rng, i))
    return path


def _read(path: Path) -> int:
    return sum(1 for _ in read_rows(path, SampleFormat.csv, "utf-8")[1])


def _pii(path: Path) -> int:
    return scan_csv(path, "utf-8").rows


def _quality(path: Path) -> int:
    names, rows = read_rows(path, SampleFormat.csv, "utf-8")
    facts = quality.ProductFacts(delivery_modes=["api"], schema={"columns": []}, service_level="x")
    return quality.assess(names, rows, facts, date(2026, 11, 24)).rows


TASKS: dict[str, Callable[[Path], int]] = {
    "read rows (baseline)": _read,
    "PII scan": _pii,
    "quality": _quality,
}


def _child(task: str, path: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    rows = TASKS[task](Path(path))
    elapsed = time.perf_counter() - started
    results.put((rows, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(task: str, path: Path) -> tuple[int, float, float]:
    results: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=_child, args=(task, str(path), results))
    process.start()
    rows, elapsed, peak = results.get()
    process.join()
    return rows, rows / elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    sizes = [args.rows // 4, args.rows // 2, args.rows]
    for kind in SAMPLES:
        paths = [sample(kind, n) for n in sizes]
        print(f"\n{kind}: {paths[-1].stat().st_size / 1e6:.0f} MB at {args.rows:,} rows")
        print(f"{'':22}{'rows':>10}{'rows/s':>12}{'vs read':>9}{'peak MB':>9}")
        read_rate = None
        for task in TASKS:
            for path in paths:
                rows, rate, peak = measure(task, path)
                if task == "read rows (baseline)" and path == paths[-1]:
                    read_rate = rate
                ratio = f"{rate / read_rate:.2f}" if read_rate else "-"
                print(f"{task:22}{rows:>10,}{rate:>12,.0f}{ratio:>9}{peak:>9.0f}")
    print(f"\ntarget: PII scan >= {PII_TARGET:,} rows/s; memory flat as rows grow")


if __name__ == "__main__":
    main()
