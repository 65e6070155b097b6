"""The operations endpoint: `/healthz` for liveness checks and `/metrics` for Prometheus.

Counts that live in the database (articles, alerts by state, failing sources) are read at scrape
time, so they are right even for work done by other processes; event counts (commands, delivery
latency) are kept in memory by this process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlite_utils import Database

from diplobot.store import alerts, articles, sources
from diplobot.store.db import ping
from diplobot.store.worker import Store
from diplobot.webserver import serve, split_listen

log = logging.getLogger(__name__)


def _snapshot(db: Database) -> dict[str, Any]:
    all_sources = sources.list_sources(db)
    return {
        "articles": articles.article_counts(db)["articles"],
        "alerts": alerts.alert_counts(db),
        "sources_failing": sum(1 for s in all_sources if s["error_count"]),
        "sources_paused": sum(1 for s in all_sources if s["paused"]),
    }


class _StoreCollector(Collector):
    """Gauges read from the last snapshot of the store (refreshed before each scrape)."""

    def __init__(self) -> None:
        self.snapshot: dict[str, Any] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if not self.snapshot:
            return
        yield GaugeMetricFamily("diplobot_articles", "Articles stored", value=self.snapshot["articles"])
        family = GaugeMetricFamily("diplobot_alerts", "Alerts in the outbox by state", labels=["state"])
        for state, n in self.snapshot["alerts"].items():
            family.add_metric([state], n)
        yield family
        yield GaugeMetricFamily(
            "diplobot_sources_failing", "Sources whose last poll failed", value=self.snapshot["sources_failing"]
        )
        yield GaugeMetricFamily(
            "diplobot_sources_paused", "Sources paused after repeated failures", value=self.snapshot["sources_paused"]
        )


class Metrics:
    """This process's metrics in their own registry (so tests and several runtimes don't collide)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter("diplobot_commands", "Chat commands handled", ["platform"], registry=self.registry)
        self.ingested = Counter(
            "diplobot_articles_ingested", "New articles stored by this process", registry=self.registry
        )
        self.delivery_latency = Histogram(
            "diplobot_delivery_latency_seconds",
            "From alert queued to alert sent",
            ["platform"],
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
            registry=self.registry,
        )
        self.store_gauges = _StoreCollector()
        self.registry.register(self.store_gauges)


class OpsServer:
    """`/healthz` and `/metrics` on `listen` (host:port)."""

    def __init__(self, listen: str, store: Store, metrics: Metrics, health: Callable[[], dict[str, bool]]) -> None:
        self.listen = listen
        self.store = store
        self.metrics = metrics
        self.health = health
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner, port = await serve(app, self.listen)
        log.info("ops endpoint on http://%s:%s", split_listen(self.listen)[0], port)

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        checks = dict(self.health())
        try:
            await self.store.run(ping)
            checks["database"] = True
        except Exception:
            checks["database"] = False
        ok = all(checks.values())
        return web.json_response({"ok": ok, "checks": checks}, status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        self.metrics.store_gauges.snapshot = await self.store.run(_snapshot)
        return web.Response(
            body=generate_latest(self.metrics.registry),
            headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
        )
