"""Prometheus metrics: requests by route template and status, latency, database pool use."""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

REQUESTS = Counter(
    "shushang_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "shushang_http_request_duration_seconds",
    "Time from request to the last byte of the response, by method and route template.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# The read replica (app/web/replica.py). With several workers each process watches the replica
# on its own: "in use" is the least of the live processes' (0 as soon as one reads the
# primary), the lag the greatest.
READ_REPLICA_IN_USE = Gauge(
    "shushang_read_replica_in_use",
    "1 while read-only routes are served by the read replica; 0 when none is configured or "
    "reads fell back to the primary.",
    multiprocess_mode="livemin",
)
READ_REPLICA_LAG = Gauge(
    "shushang_read_replica_lag_seconds",
    "How far the read replica's replay is behind the primary, as last measured.",
    multiprocess_mode="livemax",
)
READ_FALLBACKS = Counter(
    "shushang_read_fallbacks_total",
    "Read-only requests served by the primary although a replica is configured, by reason: "
    "down (it does not answer), lag (behind by more than the setting), not_standby (not in "
    "recovery), starting (not measured yet), error (failed mid-request, retried on the "
    "primary), behind (a ledger read beyond the tree the replica has).",
    ["reason"],
)


class PoolCollector(Collector):
    """Connections of this process's pool, read at scrape time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.engine.sync_engine.pool
        in_use = GaugeMetricFamily(
            "shushang_db_pool_connections_in_use",
            "Database connections checked out.",
            labels=["pid"],
        )
        checked_out = getattr(pool, "checkedout", None)
        in_use.add_metric([str(os.getpid())], float(checked_out() if checked_out else 0))
        yield in_use
        idle = GaugeMetricFamily(
            "shushang_db_pool_connections_idle",
            "Database connections idle in the pool.",
            labels=["pid"],
        )
        checked_in = getattr(pool, "checkedin", None)
        idle.add_metric([str(os.getpid())], float(checked_in() if checked_in else 0))
        yield idle


def render(engine: AsyncEngine) -> tuple[bytes, str]:
    """The exposition text. With several workers (PROMETHEUS_MULTIPROC_DIR set) the
    counters of every process are summed; pool gauges are this process's."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry) + generate_latest(_pool_registry(engine)), CONTENT_TYPE_LATEST


def _pool_registry(engine: AsyncEngine) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(PoolCollector(engine))
    return registry
