"""The durable job queue, on every backend: outbox semantics, retries, leases, concurrency."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from coursehost.cli.logs import JsonFormatter
from coursehost.db.base import utcnow
from coursehost.db.models.jobs import DONE, FAILED, QUEUED, RUNNING, Job
from coursehost.db.models.tenancy import Realm
from coursehost.db.session import unit_of_work
from coursehost.domain import request_ids
from coursehost.domain.outbox import PermanentJobError, RetryJob, enqueue
from coursehost.jobs.queue import backoff_delay
from coursehost.jobs.registry import JobRegistry
from coursehost.jobs.worker import Worker, start_worker_thread
from tests.unit import jobs_support

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def jobs_database_url(database_url, tmp_path_factory):
    """A database of this backend for the job tests alone: the live server's worker shares the
    session database and would take (and fail) these tests' job kinds."""
    from coursehost.db.migrate import upgrade
    from tests.databases import create_pg_database, drop_pg_database

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path_factory.mktemp('jobs') / 'jobs.db'}"
        upgrade(url)
        yield url
        return
    url = create_pg_database()
    upgrade(url)
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="module")
def jobs_session_factory(jobs_database_url):
    from coursehost.db.session import make_engine, make_sessionmaker

    engine = make_engine(jobs_database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def jobs_db(jobs_session_factory):
    """An empty job table before and after each test."""
    session_factory = jobs_session_factory

    def wipe():
        with unit_of_work(session_factory) as s:
            s.execute(delete(Job))
    wipe()
    yield session_factory
    wipe()


def _job(factory, job_id) -> Job:
    with factory() as s:
        return s.get(Job, job_id)


def _worker(factory, reg, **kw) -> Worker:
    kw.setdefault("lease_seconds", 30)
    kw.setdefault("poll_seconds", 0.02)
    return Worker(factory, reg, None, **kw)


def test_backoff_is_exponential_capped_and_jittered():
    rng = random.Random(7)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (5, 16), (11, 900), (70, 900)]:
        draws = [backoff_delay(attempt, 1.0, 900.0, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in draws)
        assert max(draws) - min(draws) > ceiling / 10  # jitter actually spreads retries


def test_a_rolled_back_enqueue_never_runs(jobs_db):
    ran = []
    reg = JobRegistry()
    reg.register("test.noop", lambda s, p, c: ran.append(p))
    with pytest.raises(RuntimeError), unit_of_work(jobs_db) as s:
        enqueue(s, kind="test.noop", payload={"x": 1})
        raise RuntimeError("the request failed after enqueueing")
    assert _worker(jobs_db, reg).run_once() is False
    assert ran == []
    with jobs_db() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 0


def test_handler_writes_commit_with_completion_and_roll_back_with_failure(jobs_db):
    name = f"realm-from-job-{os.getpid()}-{time.time_ns()}"

    def make_realm(session, payload, ctx):
        session.add(Realm(name=payload["name"]))
        session.flush()
        if ctx.attempt == 1:
            raise RuntimeError("boom after writing")
        return {"made": payload["name"]}

    reg = JobRegistry()
    reg.register("test.realm", make_realm, base_delay=0.01, max_delay=0.02)
    with unit_of_work(jobs_db) as s:
        job_id = enqueue(s, kind="test.realm", payload={"name": name}).id
    w = _worker(jobs_db, reg)
    assert w.run_once()
    failed_once = _job(jobs_db, job_id)
    assert failed_once.status == QUEUED and failed_once.attempts == 1
    assert "boom after writing" in failed_once.last_error
    with jobs_db() as s:  # the first attempt's write was rolled back with it
        assert s.scalar(select(func.count()).select_from(Realm).where(Realm.name == name)) == 0
    time.sleep(0.05)
    assert w.run_once()
    done = _job(jobs_db, job_id)
    assert done.status == DONE and done.attempts == 2 and done.result == {"made": name}
    assert done.last_error is None and done.finished is not None
    with unit_of_work(jobs_db) as s:
        assert s.scalar(select(func.count()).select_from(Realm).where(Realm.name == name)) == 1
        s.execute(delete(Realm).where(Realm.name == name))


def test_retries_back_off_then_fail_keeping_the_last_error(jobs_db):
    calls = []

    def flaky(session, payload, ctx):
        calls.append(time.monotonic())
        raise ConnectionError(f"far side down (attempt {ctx.attempt})")

    reg = JobRegistry()
    reg.register("test.flaky", flaky, base_delay=0.2, max_delay=0.4)
    with unit_of_work(jobs_db) as s:
        job_id = enqueue(s, kind="test.flaky", max_attempts=4).id
    w = _worker(jobs_db, reg)
    deadline = time.monotonic() + 10
    while _job(jobs_db, job_id).status != FAILED and time.monotonic() < deadline:
        if not w.run_once():
            time.sleep(0.01)
    job = _job(jobs_db, job_id)
    assert job.status == FAILED and job.attempts == 4 and len(calls) == 4
    assert "far side down (attempt 4)" in job.last_error and "ConnectionError" in job.last_error
    gaps = [b - a for a, b in zip(calls, calls[1:])]
    # retry n waits within [d/2, d] with d = min(0.4, 0.2 * 2**(n-1)): 0.1-0.2, 0.2-0.4, 0.2-0.4
    assert 0.09 <= gaps[0] <= 0.35
    assert 0.19 <= gaps[1] <= 0.6 and 0.19 <= gaps[2] <= 0.6
    assert w.run_once() is False  # a failed job is never picked up again


def test_permanent_error_fails_at_once_and_retry_job_sets_its_delay(jobs_db):
    def permanent(session, payload, ctx):
        raise PermanentJobError("the package is not a zip file")

    def later(session, payload, ctx):
        if ctx.attempt == 1:
            raise RetryJob("not yet", delay_seconds=60)
        return None

    reg = JobRegistry()
    reg.register("test.permanent", permanent)
    reg.register("test.later", later)
    with unit_of_work(jobs_db) as s:
        p = enqueue(s, kind="test.permanent").id
        l_ = enqueue(s, kind="test.later").id
    w = _worker(jobs_db, reg)
    assert w.run_once() and w.run_once()
    perm = _job(jobs_db, p)
    assert perm.status == FAILED and perm.attempts == 1
    assert perm.last_error == "the package is not a zip file"
    later_job = _job(jobs_db, l_)
    assert later_job.status == QUEUED and later_job.last_error == "not yet"
    assert later_job.run_after > utcnow() + timedelta(seconds=55)
    assert w.run_once() is False


def test_unknown_kind_fails_with_a_message(jobs_db):
    with unit_of_work(jobs_db) as s:
        job_id = enqueue(s, kind="test.nobody-handles-this").id
    assert _worker(jobs_db, JobRegistry()).run_once()
    job = _job(jobs_db, job_id)
    assert job.status == FAILED and "no handler for job kind 'test.nobody-handles-this'" in job.last_error


def test_dedupe_key_keeps_only_the_newest_queued_job(jobs_db):
    seen = []
    reg = JobRegistry()
    reg.register("test.deliver", lambda s, p, c: seen.append(p["state"]))
    with unit_of_work(jobs_db) as s:
        for state in ("incomplete", "completed", "passed"):
            enqueue(s, kind="test.deliver", payload={"state": state}, dedupe_key="reg-1")
        enqueue(s, kind="test.deliver", payload={"state": "other"}, dedupe_key="reg-2")
    w = _worker(jobs_db, reg)
    while w.run_once():
        pass
    assert sorted(seen) == ["other", "passed"]


def test_run_after_is_respected(jobs_db):
    reg = JobRegistry()
    reg.register("test.noop", lambda s, p, c: None)
    with unit_of_work(jobs_db) as s:
        enqueue(s, kind="test.noop", delay_seconds=3600)
    assert _worker(jobs_db, reg).run_once() is False


def test_heartbeat_keeps_a_long_job_from_being_taken_over(jobs_db):
    runs = []

    def slow(session, payload, ctx):
        runs.append(ctx.worker_id)
        time.sleep(1.5)

    reg = JobRegistry()
    reg.register("test.slow", slow)
    with unit_of_work(jobs_db) as s:
        job_id = enqueue(s, kind="test.slow").id
    a = _worker(jobs_db, reg, worker_id="a", lease_seconds=0.4)
    b = _worker(jobs_db, reg, worker_id="b", lease_seconds=0.4)
    t = threading.Thread(target=a.run_once)
    t.start()
    time.sleep(0.2)
    stolen = 0
    while t.is_alive():  # well past the 0.4 s lease, b keeps trying and finds nothing due
        stolen += b.run_once()
        time.sleep(0.05)
    t.join()
    assert stolen == 0 and runs == ["a"]
    job = _job(jobs_db, job_id)
    assert job.status == DONE and job.attempts == 1


def test_in_process_worker_thread_wakes_on_commit(jobs_db):
    done = threading.Event()
    reg = JobRegistry()
    reg.register("test.signal", lambda s, p, c: done.set())
    thread, stop = start_worker_thread(jobs_db, reg, None, lease_seconds=30, poll_seconds=30)
    try:
        time.sleep(0.2)  # the worker is idle in a 30 s wait now
        started = time.monotonic()
        with unit_of_work(jobs_db) as s:
            enqueue(s, kind="test.signal")
        assert done.wait(5), "the job did not run"
        assert time.monotonic() - started < 2  # woken by the commit, not by the 30 s poll
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()  # stop interrupts the idle wait


def _spawn_worker(database_url: str, lease: float, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.unit.jobs_support", database_url, str(lease), str(seconds)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_a_job_whose_worker_was_killed_runs_again(jobs_db, jobs_database_url, tmp_path):
    started = tmp_path / "started"
    with unit_of_work(jobs_db) as s:
        job_id = enqueue(s, kind="test.hang_first_attempt", payload={"started": str(started)}).id
    proc = _spawn_worker(jobs_database_url, lease=1.0, seconds=60)
    try:
        deadline = time.monotonic() + 20
        while not started.exists():
            assert time.monotonic() < deadline, "the worker process never started the job"
            time.sleep(0.05)
        assert _job(jobs_db, job_id).status == RUNNING
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    w = _worker(jobs_db, jobs_support.registry(), lease_seconds=5)
    assert w.run_once() is False  # the dead worker's lease has not expired yet
    deadline = time.monotonic() + 10
    while not w.run_once():
        assert time.monotonic() < deadline, "the abandoned job was never reclaimed"
        time.sleep(0.1)
    job = _job(jobs_db, job_id)
    assert job.status == DONE and job.attempts == 2 and job.result == {"finished_on_attempt": 2}


def test_two_worker_processes_run_each_job_exactly_once(jobs_db, jobs_database_url, tmp_path):
    log = tmp_path / "runs.log"
    n_jobs = 200
    with unit_of_work(jobs_db) as s:
        for n in range(n_jobs):
            enqueue(s, kind="test.record", payload={"n": n, "log": str(log), "sleep": 0.002})
    procs = [_spawn_worker(jobs_database_url, lease=30, seconds=120) for _ in range(2)]
    try:
        deadline = time.monotonic() + 90
        while True:
            with jobs_db() as s:
                left = s.scalar(select(func.count()).select_from(Job).where(Job.status != DONE))
            if left == 0:
                break
            assert time.monotonic() < deadline, f"{left} jobs still not done"
            time.sleep(0.1)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.kill()
            p.wait(10)
            p.stdout.close()
    lines = [line.split() for line in log.read_text().splitlines()]
    ids = sorted(int(n) for n, _pid, _attempt in lines)
    assert ids == list(range(n_jobs)), "a job ran twice or not at all"
    assert all(attempt == "1" for _n, _pid, attempt in lines)
    assert len({pid for _n, pid, _a in lines}) == 2, "both workers should have taken jobs"


class _JsonLines(logging.Handler):
    """Formats each record as it is emitted (in the emitting context), as the JSON log's handler does."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def test_request_id_travels_from_the_enqueuing_request_to_the_job_and_its_log_lines(jobs_db):
    """issue 21: the X-Request-ID of a request is stored on the jobs it enqueues, is the current id
    while a worker runs them (their log lines, and the jobs they enqueue in turn)."""
    seen = []

    def follow_up(session, payload, ctx):
        seen.append(request_ids.current())
        if payload.get("again"):
            enqueue(session, kind="test.follow_up", payload={})
        logging.getLogger("coursehost.test").info("handled %s", ctx.job_id)

    reg = JobRegistry()
    reg.register("test.follow_up", follow_up)
    with request_ids.bound("req-42.a"), unit_of_work(jobs_db) as s:
        first = enqueue(s, kind="test.follow_up", payload={"again": True}).id
    with unit_of_work(jobs_db) as s:
        untraced = enqueue(s, kind="test.follow_up", payload={}).id  # outside any request: no id
    worker = _worker(jobs_db, reg)
    lines, root = _JsonLines(), logging.getLogger()
    root.addHandler(lines)
    level = root.level
    root.setLevel(logging.INFO)  # (setLevel, not the attribute: loggers cache what is enabled)
    try:
        while worker.run_once():
            pass
    finally:
        root.removeHandler(lines)
        root.setLevel(level)
    assert request_ids.current() is None  # the worker's own context is left as it was
    assert _job(jobs_db, first).request_id == "req-42.a" and _job(jobs_db, untraced).request_id is None
    with jobs_db() as s:
        follow = s.execute(select(Job).where(Job.id.notin_([first, untraced]))).scalar_one()
    assert follow.request_id == "req-42.a"
    assert sorted(map(str, seen)) == ["None", "req-42.a", "req-42.a"]
    formatted = [entry for entry in lines.lines if entry["logger"].startswith("coursehost")]
    handled = {e["message"]: e["request_id"] for e in formatted if e["message"].startswith("handled")}
    assert handled == {f"handled {first}": "req-42.a", f"handled {untraced}": None,
                       f"handled {follow.id}": "req-42.a"}
    done = [e for e in formatted if e["logger"] == "coursehost.jobs.worker" and f"job {first} " in e["message"]]
    assert done and done[0]["request_id"] == "req-42.a"
