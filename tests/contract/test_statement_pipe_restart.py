"""A statement pipe delivers every statement exactly once across a target outage and a kill -9 of
the source server mid-forwarding: two real `coursehost serve` processes, each with its own
database, the source's pipe forwarding to the target's LRS over HTTP on 127.0.0.1."""

from __future__ import annotations

import time
from collections import Counter

import pytest
import rustici_software_cloud_v2 as cloud

from tests.contract.server_process import ServerProcess, fresh_database
from tests.contract.test_statement_pipes import make_lrs
from tests.contract.xapi_statements import all_ids, post_statements, wait_for_ids
from tests.databases import BACKENDS


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_statement_arrives_once_across_outage_and_kill_9(tmp_path, backend):
    src_url, src_cleanup = fresh_database(backend, tmp_path / "s")
    dst_url, dst_cleanup = fresh_database(backend, tmp_path / "t")
    fast = {"COURSEHOST_JOB_LEASE_SECONDS": "3"}  # a killed worker's pass is taken over soon
    src = ServerProcess(src_url, tmp_path / "s" / "data", env=fast)
    dst = ServerProcess(dst_url, tmp_path / "t" / "data", env=fast)
    try:
        src.start()
        dst.start()
        src_keys, dst_keys = (src.creds.app_id, src.creds.secret), (dst.creds.app_id, dst.creds.secret)
        source = make_lrs(src.base_url, cloud.XapiApi(src.client()), src.creds.app_id, "READONLY")
        target = make_lrs(dst.base_url, cloud.XapiApi(dst.client()), dst.creds.app_id, "DEFAULT")

        sent = post_statements(source.url, src_keys, 60)
        pipe_id = source.xapi.create_statement_pipe(cloud.XapiStatementPipePostSchema(
            source=source.endpoint(), target=target.endpoint())).result
        wait_for_ids(target.url, dst_keys, set(sent))

        # Outage: the target is down while more statements come in; the pipe keeps failing.
        dst.stop()
        sent += post_statements(source.url, src_keys, 450)
        _wait(lambda: source.xapi.get_statement_pipe(pipe_id).attempts >= 2, 30, "failed attempts")
        before = source.xapi.get_statement_pipe(pipe_id).last_forwarded_statement_date

        # The target comes back; kill -9 the source as soon as the first page has gone across.
        dst.start()
        _wait(lambda: source.xapi.get_statement_pipe(pipe_id).last_forwarded_statement_date != before, 60,
              "forwarding to resume")
        src.kill9()
        at_kill = len(all_ids(target.url, dst_keys))
        print(f"target held {at_kill} of {len(sent)} statements when the source was killed")
        src.start()
        sent += post_statements(source.url, src_keys, 30)

        got = wait_for_ids(target.url, dst_keys, set(sent), timeout=120)
        time.sleep(4)  # a poll or two more: nothing may arrive twice
        got = all_ids(target.url, dst_keys)
        duplicates = [i for i, n in Counter(got).items() if n > 1]
        assert not duplicates
        assert sorted(got) == sorted(sent) == sorted(all_ids(source.url, src_keys))
        assert len(got) == 540
        assert 60 <= at_kill <= 540
        assert source.xapi.get_statement_pipe(pipe_id).attempts == 0
    finally:
        src.stop()
        dst.stop()
        src_cleanup()
        dst_cleanup()
