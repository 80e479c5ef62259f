"""Job handlers and a worker entry point used by the job tests, also in separate processes."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from coursehost.db.session import make_engine, make_sessionmaker
from coursehost.jobs.registry import JobRegistry
from coursehost.jobs.worker import Worker


def record(session, payload, ctx):
    """Append 'job-id pid attempt' to the file in the payload; optionally sleep first."""
    time.sleep(payload.get("sleep", 0))
    with open(payload["log"], "a") as fh:  # O_APPEND: small writes from many processes stay whole
        fh.write(f"{payload['n']} {os.getpid()} {ctx.attempt}\n")
    return {"n": payload["n"]}


def hang_first_attempt(session, payload, ctx):
    """First attempt announces itself in a file and hangs (to be SIGKILLed); later ones finish."""
    if ctx.attempt == 1:
        Path(payload["started"]).write_text(str(os.getpid()))
        time.sleep(600)
    return {"finished_on_attempt": ctx.attempt}


def registry() -> JobRegistry:
    reg = JobRegistry()
    reg.register("test.record", record)
    reg.register("test.hang_first_attempt", hang_first_attempt, base_delay=0.05, max_delay=0.1)
    return reg


def main() -> None:
    """python -m tests.unit.jobs_support DATABASE_URL LEASE SECONDS_TO_RUN"""
    url, lease, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    engine = make_engine(url)
    worker = Worker(make_sessionmaker(engine), registry(), None, lease_seconds=lease,
                    poll_seconds=0.02)
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    print("ready", flush=True)
    worker.run_forever(stop)
    engine.dispose()


if __name__ == "__main__":
    main()
