"""Prometheus metrics (docs/DEPLOY.md, What to monitor): requests per route template, method and status
class with their latency, and, read from the database at scrape time, jobs per kind and status, the
delivery backlogs and LRS statements stored.

With PROMETHEUS_MULTIPROC_DIR set (`serve --workers N` sets it), the request metrics live in
prometheus-client's per-process files and a scrape of any process sums every process's; the
database figures are the same whichever process answers."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from coursehost.domain import operations

log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; the run-time commit and ping targets sit around 1-100 ms, imports and exports take longer.
# Who may scrape without a token: this host and the private networks a deployment's Prometheus sits in
# (RFC 1918, IPv6 unique local). Named explicitly: ipaddress's is_private also covers documentation ranges.
SCRAPER_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    """The per-request counter and histogram of this process (one set per process: both origins share it)."""

    def __init__(self) -> None:
        labels = ("origin", "method", "route", "status")
        # Not in the global registry: a scrape builds its own (multiprocess mode needs that anyway).
        self.requests = Counter("coursehost_http_requests", "HTTP requests answered", labels, registry=None)
        self.latency = Histogram("coursehost_http_request_duration_seconds", "Time to answer an HTTP request",
                                 labels, buckets=LATENCY_BUCKETS, registry=None)

        # (origin, method, route, status class) -> the counter's and the histogram's child: labels() costs
        # more than inc() and observe() together (bench/observability.py). Bounded: routes are templates.
        self._children: dict[tuple[str, str, str, int], tuple] = {}

    def observe(self, origin: str, method: str, route: str, status: int, seconds: float) -> None:
        key = (origin, method, route, status // 100)
        children = self._children.get(key)
        if children is None:
            labels = (origin, method if method in KNOWN_METHODS else "other", route, f"{status // 100}xx")
            children = self._children[key] = (self.requests.labels(*labels), self.latency.labels(*labels))
        children[0].inc()
        children[1].observe(seconds)


_process_metrics: RequestMetrics | None = None


def request_metrics() -> RequestMetrics:
    """This process's RequestMetrics, made on first use (after a `--workers` child has its environment)."""
    global _process_metrics
    if _process_metrics is None:
        if os.environ.get(MULTIPROC_ENV) and values.ValueClass is values.MutexValue:
            # prometheus-client chose its value class at import; a process that imported it before the
            # variable was set would otherwise count in memory, invisible to the other processes' scrapes.
            values.ValueClass = values.get_value_class()
        _process_metrics = RequestMetrics()
    return _process_metrics


class DatabaseCollector(Collector):
    """Jobs, backlogs and LRS statements from the database, read when scraped (domain.operations)."""

    def __init__(self, session_factory) -> None:
        self.session_factory = session_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("coursehost_metrics_database_up", "1 if the database answered this scrape's queries")
        try:
            with self.session_factory() as session:
                figures = operations.queue_figures(session)
        except Exception as exc:  # the scrape still reports the request metrics
            log.warning("metrics: the database did not answer: %s", exc.__class__.__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily("coursehost_jobs", "Jobs per kind and status (queued, running, failed; "
                                 "failed jobs stay until removed)", labels=["kind", "status"])
        for (kind, status), count in sorted(figures.jobs.items()):
            jobs.add_metric([kind, status], count)
        yield jobs
        yield GaugeMetricFamily("coursehost_postback_backlog", "Registration postbacks queued or being delivered",
                                value=figures.postback_backlog)
        yield GaugeMetricFamily("coursehost_lms_delivery_backlog",
                                "Results waiting for delivery to an external LMS (LMS connections)",
                                value=figures.lms_backlog)
        yield GaugeMetricFamily("coursehost_lrs_statements_stored",
                                "LRS statements stored (estimate: the highest statement row id)",
                                value=figures.statements_stored)


def render(session_factory) -> bytes:
    """The exposition text of one scrape: this process's (or every process's) requests and the database's figures."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        MultiProcessCollector(registry)
    else:
        metrics = request_metrics()
        registry.register(metrics.requests)
        registry.register(metrics.latency)
    registry.register(DatabaseCollector(session_factory))
    return generate_latest(registry)


def allowed(request: Request, token: str | None) -> Response | None:
    """None if REQUEST may scrape: with TOKEN set, it must send `Authorization: Bearer TOKEN`; without,
    it must come from a loopback or private address. Otherwise the refusal to send."""
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return None
        return PlainTextResponse("metrics: a bearer token is required\n", 401, headers={"WWW-Authenticate": "Bearer"})
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address is not None and any(address in net for net in SCRAPER_NETWORKS):
        return None
    return PlainTextResponse("metrics: only from loopback or private addresses unless COURSEHOST_METRICS_TOKEN "
                             "is set\n", 403)


def metrics_response(request: Request) -> Response:
    """GET /metrics (a sync handler: the database queries run in the thread pool)."""
    services = request.app.state.services
    token = services.settings.metrics_token
    refusal = allowed(request, token.get_secret_value() if token else None)
    if refusal is not None:
        return refusal
    return Response(render(services.read_session_factory), media_type=CONTENT_TYPE_LATEST)
