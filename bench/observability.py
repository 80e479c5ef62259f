"""Benchmark: what request ids, Prometheus metrics and the JSON access log cost per request (issue 21).

Authenticated GET /api/v2/ping on three Coursehost apps built the same way, in three uvicorn
processes (one worker, uvicorn's access log off), loaded in turns by wrk (bench/ping.py's helpers):
- without ObservabilityMiddleware (the baseline: as before issue 21),
- with it (request id, metrics; text logs: no access line from it),
- with it and COURSEHOST_LOG_FORMAT=json (one JSON access line per request, written to a file).
Run: .venv/bin/python bench/observability.py [--rounds 5 --seconds 6 --connections 16]

--in-process: the same three apps in this process, each request driven straight through the ASGI
app (no socket, no uvicorn), timed in CPU seconds of this process (time.process_time), batches in
turns; this is what to use on a loaded machine, where wall-clock req/s swings more than the effect.
Run: .venv/bin/python bench/observability.py --in-process [--rounds 15 --batch 2000]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ping import ROOT, free_port, wait_ready, wrk  # noqa: E402

APP = textwrap.dedent("""
    import json, logging, sys, uvicorn
    from coursehost.app import create_app
    from coursehost.cli.logs import JsonFormatter
    from coursehost.db.migrate import upgrade
    from coursehost.db.session import unit_of_work
    from coursehost.domain.applications import service as apps
    from coursehost.settings import Settings
    from coursehost.web.observability import ObservabilityMiddleware

    port, data_dir, variant = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    settings = Settings(data_dir=data_dir, run_worker=False,
                        log_format="json" if variant == "json" else "text").resolved()
    upgrade(settings.database_url)
    app = create_app(settings)
    if variant == "without":
        app.user_middleware = [m for m in app.user_middleware if m.cls is not ObservabilityMiddleware]
    if variant == "json":
        handler = logging.FileHandler(data_dir + "/access.jsonl")
        handler.setFormatter(JsonFormatter())
        logging.getLogger().addHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
    svc = app.state.services
    with unit_of_work(svc.session_factory) as s:
        creds = apps.bootstrap(s, box=svc.box)
    print(json.dumps({"appId": creds.app_id, "secret": creds.secret_key}), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, workers=1)
""")
VARIANTS = ("without", "with", "json")


def _in_process_app(variant: str, data_dir: str):
    """(app, authorization header) of VARIANT, built as APP builds it."""
    import logging

    from coursehost.app import create_app
    from coursehost.cli.logs import JsonFormatter
    from coursehost.db.migrate import upgrade
    from coursehost.db.session import unit_of_work
    from coursehost.domain.applications import service as apps
    from coursehost.settings import Settings
    from coursehost.web.observability import ObservabilityMiddleware

    settings = Settings(data_dir=data_dir, run_worker=False,
                        log_format="json" if variant == "json" else "text").resolved()
    upgrade(settings.database_url)
    app = create_app(settings)
    if variant == "without":
        app.user_middleware = [m for m in app.user_middleware if m.cls is not ObservabilityMiddleware]
    if variant == "json":
        handler = logging.FileHandler(os.path.join(data_dir, "access.jsonl"))
        handler.setFormatter(JsonFormatter())
        access = logging.getLogger("coursehost.access")
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    with unit_of_work(app.state.services.session_factory) as s:
        creds = apps.bootstrap(s, box=app.state.services.box)
    token = base64.b64encode(f"{creds.app_id}:{creds.secret_key}".encode())
    return app, b"Basic " + token


async def _drive(app, auth: bytes, count: int) -> None:
    """COUNT authenticated GET /api/v2/ping through APP's ASGI interface; each must answer 200."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/api/v2/ping", "raw_path": b"/api/v2/ping", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1"), (b"authorization", auth)], "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8000)}
    statuses = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for _ in range(count):
        await app(dict(scope), receive, send)
    if set(statuses) != {200}:
        raise SystemExit(f"unexpected answers: {set(statuses)}")


def in_process(rounds: int, batch: int) -> None:
    import asyncio
    import time

    tmp = tempfile.mkdtemp(prefix="coursehost-bench-obs-")
    try:
        apps = {v: _in_process_app(v, os.path.join(tmp, v)) for v in VARIANTS}
        loop = asyncio.new_event_loop()
        for app, auth in apps.values():
            loop.run_until_complete(_drive(app, auth, batch // 4))  # warm-up (and the lazy middleware stack)
        micros: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for _ in range(rounds):
            for variant, (app, auth) in apps.items():
                started = time.process_time()
                loop.run_until_complete(_drive(app, auth, batch))
                micros[variant].append((time.process_time() - started) / batch * 1e6)
        loop.close()
        median = {v: statistics.median(m) for v, m in micros.items()}
        least = {v: min(m) for v, m in micros.items()}  # the least disturbed round: robust on a busy machine
        for variant in VARIANTS:
            print(f"{variant:8s}: median {median[variant]:7.1f}, min {least[variant]:7.1f} us CPU per request  "
                  f"rounds {[round(x, 1) for x in micros[variant]]}")
        for variant in ("with", "json"):
            print(f"{variant} - without: median {median[variant] - median['without']:+.1f}, "
                  f"min {least[variant] - least['without']:+.1f} us per request; ratio of throughputs "
                  f"median {median['without'] / median[variant]:.3f}, min {least['without'] / least[variant]:.3f}")
        access_lines(tmp, rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def access_lines(tmp: str, rounds: int, count: int = 2000) -> None:
    """CPU per access line: uvicorn's own (text, what `serve` writes by default and what JSON mode turns
    off) against ours in JSON, each through a FileHandler with RedactTokens, in turns."""
    import logging
    import time

    from uvicorn.logging import AccessFormatter

    from coursehost.cli.logs import JsonFormatter
    from coursehost.cli.serving import RedactTokens

    def logger(name: str, formatter: logging.Formatter) -> logging.Logger:
        handler = logging.FileHandler(os.path.join(tmp, f"{name}.log"))
        handler.setFormatter(formatter)
        log = logging.getLogger(f"bench.{name}")
        log.handlers, log.propagate = [handler], False
        log.setLevel(logging.INFO)
        log.addFilter(RedactTokens())
        return log

    text = logger("uvicorn", AccessFormatter('%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
                                             use_colors=False))
    json_log = logger("json", JsonFormatter())
    args = ("127.0.0.1:5000", "GET", "/api/v2/ping", "1.1", 200)
    extra = {"method": "GET", "route": "/api/v2/ping", "status": 200, "duration_ms": 0.5, "origin": "service",
             "request_id": "0123456789abcdef1"}
    micros: dict[str, list[float]] = {"uvicorn text": [], "ours JSON": []}
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(count):
            text.info('%s - "%s %s HTTP/%s" %d', *args)
        micros["uvicorn text"].append((time.process_time() - started) / count * 1e6)
        started = time.process_time()
        for _ in range(count):
            json_log.info('%s - "%s %s HTTP/%s" %d', *args, extra=extra)
        micros["ours JSON"].append((time.process_time() - started) / count * 1e6)
    for name, values in micros.items():
        print(f"access line, {name:12s}: median {statistics.median(values):6.1f}, min {min(values):6.1f} us CPU")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--in-process", action="store_true", help="CPU time per request in this process, no sockets")
    ap.add_argument("--batch", type=int, default=2000, help="requests per round and variant with --in-process")
    args = ap.parse_args()
    if args.in_process:
        in_process(args.rounds, args.batch)
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    tmp = tempfile.mkdtemp(prefix="coursehost-bench-obs-")
    procs, urls, auth = {}, {}, {}
    try:
        for variant in VARIANTS:
            port, data = free_port(), os.path.join(tmp, variant)
            os.makedirs(data)
            procs[variant] = subprocess.Popen([sys.executable, "-c", APP, str(port), data, variant], env=env,
                                              stdout=subprocess.PIPE, text=True)
            creds = json.loads(procs[variant].stdout.readline())
            token = base64.b64encode(f"{creds['appId']}:{creds['secret']}".encode()).decode()
            auth[variant] = {"Authorization": f"Basic {token}"}
            urls[variant] = f"http://127.0.0.1:{port}/api/v2/ping"
            wait_ready(urls[variant], auth[variant])
            wrk(urls[variant], auth[variant], 2, args.connections)  # warm-up
        rps: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for _ in range(args.rounds):  # in turns, so the machine's noise hits all alike
            for variant in VARIANTS:
                rps[variant].append(wrk(urls[variant], auth[variant], args.seconds, args.connections))
        median = {v: statistics.median(r) for v, r in rps.items()}
        for variant in VARIANTS:
            print(f"{variant:8s}: median {median[variant]:8.0f} req/s  rounds {[round(x) for x in rps[variant]]}")
        print(f"ratio with / without: {median['with'] / median['without']:.3f}")
        print(f"ratio json / without: {median['json'] / median['without']:.3f}")
        with open(os.path.join(tmp, "json", "access.jsonl")) as written:
            lines = sum(1 for _ in written)
        print(f"JSON access lines written: {lines}")
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
