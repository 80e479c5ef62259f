"""Benchmark: what keeping the report's daily xAPI counts (domain/lrs/statement_counts) costs the
statement store, measured inside one run: store_statements() of bench/lrs.py's statements (batches
of 100 and single statements, one transaction each, in this process), with the time spent in the
counts (Deltas.add, which maps registrations to courses, and Deltas.flush, the UPSERTs) timed
around those two methods. Prints per-transaction medians and the counts' share of each.

Run: PYTHONPATH=src:. .venv/bin/python bench/lrs_counts.py [--database-url postgresql://...] [--batches 60]
(a PostgreSQL database is dropped and created: give it a scratch one; default a fresh SQLite file)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.lrs import Corpus, fresh_postgres
from coursehost.db.migrate import upgrade
from coursehost.db.session import make_engine, make_sessionmaker
from coursehost.domain.applications import service as apps
from coursehost.domain.crypto import SecretBox
from coursehost.domain.lrs import statement_counts
from coursehost.domain.lrs.statements import Writer, store_statements

KEY = "bench-instance-key-" + "k" * 28


def timed_counts() -> list[float]:
    """Wrap Deltas.add and Deltas.flush to add their time to the returned one-item list (seconds)."""
    spent = [0.0]
    for name in ("add", "flush"):
        original = getattr(statement_counts.Deltas, name)

        def wrapper(self, *args, _original=original, **kwargs):
            start = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start
        setattr(statement_counts.Deltas, name, wrapper)
    return spent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url")
    ap.add_argument("--batches", type=int, default=60, help="transactions of 100 statements")
    ap.add_argument("--singles", type=int, default=600, help="transactions of one statement")
    args = ap.parse_args()
    if args.database_url:
        fresh_postgres(args.database_url)
        url = args.database_url
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'counts.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as session:
        realm = apps.ensure_realm(session)
        app, _ = apps.create_application(session, box=SecretBox(KEY), realm_id=realm.id, name="Counts bench")
        session.commit()
        writer = Writer(app_pk=app.pk, credential_id=None, authority={"mbox": "mailto:lrs@example.com"})
    corpus = Corpus(7)
    spent = timed_counts()
    results = {}
    for label, size, count in (("batch of 100", 100, args.batches), ("single", 1, args.singles)):
        total, counts = [], []
        for _ in range(count):
            body = corpus.statements(size)
            spent[0] = 0.0
            with factory() as session:
                start = time.perf_counter()
                store_statements(session, writer=writer, body=body, version="1.0.3")
                session.commit()
                total.append(time.perf_counter() - start)
            counts.append(spent[0])
        results[label] = (statistics.median(total) * 1000, statistics.median(counts) * 1000,
                          sum(counts) / sum(total))
    print(f"{engine.dialect.name}: store_statements + commit, per transaction (medians)")
    for label, (t, c, share) in results.items():
        print(f"  {label:<13} {t:7.2f} ms, of which daily counts {c:6.2f} ms; counts' share of the total time "
              f"{share:.1%}")


if __name__ == "__main__":
    main()
