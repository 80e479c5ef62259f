"""Benchmark: the xAPI LRS's statements resource (issue 6), against raw inserts in the same run.

- single: POST /lrs/{appId}/statements with one statement per request, from C concurrent keep-alive
  clients; statements/s.
- batch: the same with arrays of 100 statements per request; statements/s.
- raw: the same statements' rows (xapi_statement and xapi_statement_term, built by the LRS's own
  domain code, `statement_rows`) inserted with SQLAlchemy Core executemany, 100 statements per
  transaction, in this process, into another application of the same database; statements/s of the
  inserts alone (row building not timed). Ratios batch / raw (target >= 0.30) and single / raw.
- query: with 200,000 statements stored (raw fill, stored spread over 180 days in arrival order, as
  the LRS sets it), sequential GET statements?agent=&verb=&since= (varied; limit default) over
  HTTP; p50 / p99 ms (target p99 < 50 ms), and GET /lrs/{appId}/about in the same run as the HTTP
  floor.

single / batch / raw run in alternating rounds; each figure is the median of the rounds.
Statements are generated: 300 learners (mbox), 20 verbs (skewed), 500 activities with
definitions in 25 courses, context registration + contextActivities parent / grouping, result with
score / success / completion / duration.

Coursehost runs as a user runs it (`coursehost serve`), over SQLite in WAL mode in a fresh
DATA_DIR, or over a scratch PostgreSQL database (--database-url; it is dropped and created).
Run: PYTHONPATH=src:. .venv/bin/python bench/lrs.py [--database-url postgresql://...] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))

from coursehost.db.models.lrs import XapiStatement  # noqa: E402
from coursehost.db.models.tenancy import Application  # noqa: E402
from coursehost.db.session import make_engine, normalize_url  # noqa: E402
from coursehost.domain.lrs.statements import (  # noqa: E402
    Writer,
    insert_rows,
    now_ms,
    prepare_statement,
    statement_rows,
)
from coursehost.lrs_http.auth import authority_for  # noqa: E402

VERSION = "1.0.3"
ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = ["experienced", "attempted", "answered", "completed", "passed", "failed", "progressed", "launched",
         "initialized", "terminated", "suspended", "resumed", "interacted", "commented", "asked", "attended",
         "mastered", "preferred", "scored", "registered"]
# Skewed like real traffic: experienced / answered / progressed dominate.
VERB_WEIGHTS = [30, 8, 25, 6, 4, 2, 15, 5, 5, 5, 2, 2, 10, 1, 1, 1, 1, 1, 2, 1]
LEARNERS, ACTIVITIES, COURSES, BATCH = 300, 500, 25, 100


class Corpus:
    """Deterministic generator of realistic statements."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.registrations = {}

    def agent(self, n: int) -> dict:
        return {"objectType": "Agent", "name": f"Learner {n}", "mbox": f"mailto:learner{n}@example.com"}

    def verb(self, name: str) -> dict:
        return {"id": ADL + name, "display": {"en-US": name}}

    def statement(self, moment: datetime) -> dict:
        rng = self.rng
        learner = rng.randrange(LEARNERS)
        activity = rng.randrange(ACTIVITIES)
        course = activity % COURSES
        reg = self.registrations.setdefault((learner, course), str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        verb = rng.choices(VERBS, VERB_WEIGHTS)[0]
        score = rng.randrange(101)
        return {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": self.agent(learner),
            "verb": self.verb(verb),
            "object": {"objectType": "Activity", "id": f"https://courses.example.com/c{course}/a{activity}",
                       "definition": {"name": {"en-US": f"Activity {activity}"},
                                      "description": {"en-US": f"Lesson {activity} of course {course}"},
                                      "type": "http://adlnet.gov/expapi/activities/lesson"}},
            "result": {"score": {"scaled": score / 100, "raw": score, "min": 0, "max": 100},
                       "success": score >= 60, "completion": verb in ("completed", "passed", "mastered"),
                       "duration": f"PT{rng.randrange(60)}M{rng.randrange(60)}S"},
            "context": {"registration": reg, "platform": "Coursehost bench", "language": "en-US",
                        "contextActivities": {
                            "parent": [{"objectType": "Activity", "id": f"https://courses.example.com/c{course}",
                                        "definition": {"name": {"en-US": f"Course {course}"},
                                                       "type": "http://adlnet.gov/expapi/activities/course"}}],
                            "grouping": [{"objectType": "Activity",
                                          "id": f"https://courses.example.com/programs/p{course % 5}"}]}},
            "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        }

    def statements(self, count: int, moment: datetime | None = None) -> list[dict]:
        moment = moment or datetime.now(UTC)
        return [self.statement(moment - timedelta(seconds=self.rng.randrange(600))) for _ in range(count)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def fresh_postgres(url: str) -> None:
    """Drop and create the scratch database URL names."""
    import psycopg

    base, _, name = normalize_url(url).replace("postgresql+psycopg://", "postgresql://").rpartition("/")
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_server(env: dict, port: int) -> tuple[subprocess.Popen, tuple[str, str]]:
    serve = subprocess.Popen([str(BIN / "coursehost"), "serve", "--port", str(port),
                              "--content-port", str(free_port()), "--no-access-log",
                              "--log-level", "warning"], env=env, stdout=subprocess.PIPE, text=True)
    out = ""
    while "try: curl" not in out:
        line = serve.stdout.readline()
        if not line:
            raise SystemExit(f"serve did not start: {out}")
        out += line
    auth = (out.split("appId:")[1].split()[0], out.split("secretKey:")[1].split()[0])
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/ping", auth=auth, timeout=2).status_code == 200:
                return serve, auth
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("serve did not answer")


def app_pk(engine, app_id: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(Application.pk).where(Application.app_id == app_id)).scalar_one()


def insert_raw(conn, pairs: list[tuple[dict, list[dict]]]) -> None:
    """The statements' rows and their terms, inserted as the LRS inserts them (insert_rows)."""
    insert_rows(conn, pairs, pairs[0][0]["application_pk"])  # a Connection executes like a Session


def raw_rows(writer: Writer, statements: list[dict], stored: datetime) -> list[tuple[dict, list[dict]]]:
    prepared = [prepare_statement(s, writer=writer, version=VERSION, stored=stored) for s in statements]
    return statement_rows(writer, prepared, stored)


def fill(engine, writer: Writer, corpus: Corpus, total: int, days: int) -> tuple[float, datetime, datetime]:
    """TOTAL statements over the last DAYS days, 100 per arrival (one `stored` each, increasing with
    pk as the LRS sets it); statements/s and the first and last stored."""
    end = now_ms() - timedelta(hours=1)
    start = end - timedelta(days=days)
    step = (end - start) / (total // BATCH)
    started = time.perf_counter()
    for n in range(total // BATCH):
        stored = now_ms(start + step * n)
        pairs = raw_rows(writer, corpus.statements(BATCH, stored - timedelta(seconds=1)), stored)
        with engine.begin() as conn:
            insert_raw(conn, pairs)
    return total / (time.perf_counter() - started), start, end


def run_raw(engine, writer: Writer, corpus: Corpus, count: int) -> float:
    """statements/s of the inserts alone, one transaction per 100 statements."""
    spent = 0.0
    for _ in range(count // BATCH):
        stored = now_ms()
        pairs = raw_rows(writer, corpus.statements(BATCH, stored), stored)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            insert_raw(conn, pairs)
        spent += time.perf_counter() - t0
    return count / spent


async def run_posts(url: str, auth, bodies: list[bytes], per_body: int, clients: int) -> tuple[float, list[float]]:
    """POST every body from CLIENTS concurrent keep-alive clients; statements/s and latencies."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"X-Experience-API-Version": VERSION, "Content-Type": "application/json"}
    latencies: list[float] = []
    queue = list(reversed(bodies))
    async with httpx.AsyncClient(auth=auth, limits=limits, timeout=120, headers=headers) as client:
        async def worker() -> None:
            while queue:
                body = queue.pop()
                t0 = time.perf_counter()
                resp = await client.post(url, content=body)
                latencies.append(time.perf_counter() - t0)
                if resp.status_code != 200:
                    raise SystemExit(f"POST failed: {resp.status_code} {resp.text[:300]}")

        await client.get(url.replace("/statements", "/about"))  # warm the connection pool
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - started
    return len(bodies) * per_body / wall, latencies


def run_queries(base: str, auth, corpus: Corpus, start: datetime, end: datetime, count: int) -> dict:
    """COUNT sequential filtered queries and COUNT GET about, interleaved; latencies and sizes."""
    rng = random.Random(7)
    headers = {"X-Experience-API-Version": VERSION}
    query_lat, about_lat, sizes = [], [], []
    with httpx.Client(auth=auth, headers=headers, timeout=60) as client:
        client.get(base + "/about")
        for _ in range(count):
            since = start + (end - start) * rng.random()
            params = {"agent": json.dumps({"mbox": f"mailto:learner{rng.randrange(LEARNERS)}@example.com"}),
                      "verb": ADL + rng.choices(VERBS, VERB_WEIGHTS)[0],
                      "since": since.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
            t0 = time.perf_counter()
            resp = client.get(base + "/statements", params=params)
            query_lat.append(time.perf_counter() - t0)
            if resp.status_code != 200:
                raise SystemExit(f"GET failed: {resp.status_code} {resp.text[:300]}")
            sizes.append(len(resp.json()["statements"]))
            t0 = time.perf_counter()
            client.get(base + "/about").raise_for_status()
            about_lat.append(time.perf_counter() - t0)
    return {"query_p50_ms": pct(query_lat, 50), "query_p99_ms": pct(query_lat, 99),
            "query_max_ms": max(query_lat) * 1000, "about_p50_ms": pct(about_lat, 50),
            "about_p99_ms": pct(about_lat, 99), "statements_per_answer_median": statistics.median(sizes),
            "statements_per_answer_max": max(sizes)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", help="a scratch PostgreSQL database (dropped and created); default SQLite")
    ap.add_argument("--stored", type=int, default=200_000, help="statements stored before the queries")
    ap.add_argument("--days", type=int, default=180)
    ap.add_argument("--singles", type=int, default=2000, help="single-statement POSTs per round")
    ap.add_argument("--batches", type=int, default=40, help="POSTs of 100 statements per round")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--dir", default="/tmp/bench-lrs")
    args = ap.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=args.dir))
    serve = None
    try:
        env = dict(os.environ, COURSEHOST_DATA_DIR=str(work / "data"), COURSEHOST_WORKER_POLL_SECONDS="0.5")
        backend = "sqlite"
        if args.database_url:
            fresh_postgres(args.database_url)
            env["COURSEHOST_DATABASE_URL"] = args.database_url
            backend = "postgresql"
        db_url = args.database_url or f"sqlite:///{work / 'data' / 'coursehost.db'}"
        port = free_port()
        serve, auth = start_server(env, port)
        base = f"http://127.0.0.1:{port}"
        lrs = f"{base}/lrs/{auth[0]}"
        raw_app = json.loads(subprocess.run([str(BIN / "coursehost"), "app", "create", "--name", "raw", "--json"],
                                            env=env, check=True, capture_output=True, text=True).stdout)["appId"]
        engine = make_engine(db_url)
        main_writer = Writer(app_pk(engine, auth[0]), None, authority_for(base, auth[0], auth[0], None))
        raw_writer = Writer(app_pk(engine, raw_app), None, authority_for(base, raw_app, raw_app, None))
        corpus = Corpus(seed=1)

        fill_rate, start, end = fill(engine, main_writer, corpus, args.stored, args.days)
        print(f"filled {args.stored} statements at {fill_rate:.0f} statements/s", flush=True)

        rounds = {"single": [], "batch": [], "raw": []}
        latencies = {"single": [], "batch": []}
        for r in range(args.rounds):
            singles = [json.dumps(s).encode() for s in corpus.statements(args.singles)]
            rate, lat = asyncio.run(run_posts(lrs + "/statements", auth, singles, 1, args.clients))
            rounds["single"].append(rate)
            latencies["single"] += lat
            batches = [json.dumps(corpus.statements(BATCH)).encode() for _ in range(args.batches)]
            rate, lat = asyncio.run(run_posts(lrs + "/statements", auth, batches, BATCH, args.clients))
            rounds["batch"].append(rate)
            latencies["batch"] += lat
            rounds["raw"].append(run_raw(engine, raw_writer, corpus, args.batches * BATCH))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in rounds.items()), flush=True)

        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(XapiStatement)
                                  .where(XapiStatement.application_pk == main_writer.app_pk)).scalar_one()
        engine.dispose()
        query = run_queries(lrs, auth, corpus, start, end, args.queries)
        med = {k: statistics.median(v) for k, v in rounds.items()}
        result = {
            "backend": backend, "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "args": vars(args), "fill_statements_per_s": fill_rate, "stored_at_query": stored,
            "rounds": rounds, "single_per_s": med["single"], "batch_per_s": med["batch"], "raw_per_s": med["raw"],
            "ratio_batch_raw": med["batch"] / med["raw"], "ratio_single_raw": med["single"] / med["raw"],
            "single_p50_ms": pct(latencies["single"], 50), "single_p99_ms": pct(latencies["single"], 99),
            "batch_p50_ms": pct(latencies["batch"], 50), "batch_p99_ms": pct(latencies["batch"], 99),
            **query,
        }
        print(f"\n{backend}, {args.clients} clients, {args.rounds} rounds (medians), "
              f"{stored} statements stored at query time\n")
        print("| measure | value |\n|---|---|")
        print(f"| single POSTs | {med['single']:.0f} statements/s (p50 {result['single_p50_ms']:.1f} ms, "
              f"p99 {result['single_p99_ms']:.1f} ms) |")
        print(f"| batches of 100 | {med['batch']:.0f} statements/s (p50 {result['batch_p50_ms']:.1f} ms, "
              f"p99 {result['batch_p99_ms']:.1f} ms per request) |")
        print(f"| raw inserts, 100 per transaction | {med['raw']:.0f} statements/s |")
        print(f"| ratio batch / raw (target >= 0.30) | {result['ratio_batch_raw']:.2f} |")
        print(f"| ratio single / raw | {result['ratio_single_raw']:.2f} |")
        print(f"| query agent+verb+since p50 / p99 (target p99 < 50 ms) | {query['query_p50_ms']:.1f} / "
              f"{query['query_p99_ms']:.1f} ms (max {query['query_max_ms']:.1f}; statements per answer median "
              f"{query['statements_per_answer_median']}, max {query['statements_per_answer_max']}) |")
        print(f"| GET about p50 / p99 (HTTP floor) | {query['about_p50_ms']:.1f} / {query['about_p99_ms']:.1f} ms |")
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"lrs-{backend}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(result, indent=2, default=str))
        print(f"\nwritten to {path.relative_to(ROOT)}")
    finally:
        if serve is not None and serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            try:
                serve.wait(timeout=15)
            except subprocess.TimeoutExpired:
                serve.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
