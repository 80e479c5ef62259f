"""Benchmark: what request ids, Prometheus metrics and the JSON access log cost per request (issue 21).

Authenticated GET /api/v2/ping on three Coursehost apps built the same way, in three uvicorn
processes (one worker, uvicorn's access log off), loaded in turns by wrk (bench/ping.py's helpers):
- without ObservabilityMiddleware (the baseline: as before issue 21),
- with it (request id, metrics; text logs: no access line from it),
- with it and COURSEHOST_LOG_FORMAT=json (one JSON access line per request, written to a file).
Run: .venv/bin/python bench/observability.py [--rounds 5 --seconds 6 --connections 16]
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=6)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
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
