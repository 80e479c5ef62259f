"""The scale-out topology without containers (issue 21): two `coursehost serve` nodes (A and B, each
on its own service and content port, no in-process worker) and two `coursehost worker` processes, all
over one PostgreSQL database and one S3 bucket (moto's server), each with a data directory of its own
that none of them needs. Nothing a request needs lives in one process:

- a package uploaded to A is imported by a worker and plays in Chromium from B's content origin, its
  bytes read from the bucket;
- a launch opened on A commits on B (and on A again), the commit sequence shared by both;
- a console session signed in on A is valid on B, and signing out on B signs it out on A;
- postbacks and a statement pipe are delivered with both workers running, and with the worker that
  holds a delivery killed with -9 while the receiver has its request.

"Exactly once", as it is honestly defined for a sender that can die mid-request: the receiver may see
a delivery twice when its sender died before recording the outcome (at least once on the wire), so
every postback delivery carries X-Coursehost-Delivery-Id, the same on its retries; the test asserts
that every delivery arrives, that a repeat carries the id of the delivery the killed worker was
making (and the same body), that nothing is sent again once completed, and that with both workers
alive each delivery arrives exactly once. A statement pipe's target LRS keeps one statement per id:
the test asserts every statement is stored there exactly once, although the killed worker's batch
reached it and was sent again by the other worker.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import boto3
import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from botocore.config import Config
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from coursehost.db.models.jobs import DONE, RUNNING, Job
from coursehost.db.session import make_engine
from coursehost.domain.lrs.pipes import JOB_KIND as PIPE_JOB
from coursehost.domain.postbacks.enqueue import JOB_KIND as POSTBACK_JOB
from tests.builders.scorm import scorm12_zip
from tests.contract.player_http import commit, open_launch
from tests.contract.test_statement_pipes import make_lrs
from tests.contract.xapi_statements import all_ids, post_statements, wait_for_ids
from tests.databases import PG_URL, create_pg_database, drop_pg_database
from tests.e2e.support import create_registration, import_course, launch_link, progress
from tests.e2e.topology import (
    AWS_ENV,
    LEASE_SECONDS,
    Node,
    Process,
    Shared,
    SlowServer,
    Worker,
    lrs_proxy,
    postback_receiver,
    wait_until,
)
from tests.servers import AppCreds

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not PG_URL, reason="the topology shares one PostgreSQL database: set "
                                          "COURSEHOST_TEST_POSTGRES_URL"),
]

BUCKET = "coursehost-topology"
DELIVERY_ID = "x-coursehost-delivery-id"


@dataclass
class Topology:
    shared: Shared
    root: Path
    s3: object  # a boto3 S3 client on moto
    prefix: str
    a: Node
    b: Node
    workers: list[Worker]
    engine: object
    other_app: AppCreds  # a second application of the realm
    processes: list = field(default_factory=list)  # every process started, for the teardown

    @property
    def creds(self) -> AppCreds:
        return self.a.creds  # the default application, made by A on the empty database

    def jobs(self, kind: str) -> list[Job]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(Job).where(Job.kind == kind).order_by(Job.id)).all())

    def worker_holding(self, job_id: int) -> Worker:
        """The live worker whose id is in the job's locked_by (it is running the job now)."""
        def holder():
            with self.engine.connect() as conn:
                job = conn.execute(select(Job.status, Job.locked_by).where(Job.id == job_id)).one()
            return job.status == RUNNING and next((w for w in self.workers if w.worker_id == job.locked_by), None)

        return wait_until(holder, 10, f"a worker holding job {job_id}")

    def replace_dead(self) -> None:
        """Start a new worker in place of each one a test killed (two_workers() waits for them)."""
        for dead in [w for w in self.workers if w.proc.poll() is not None]:
            worker = Worker(f"{dead.name}'", self.shared, dead.data_dir)
            self.processes.append(worker)
            self.workers[self.workers.index(dead)] = worker.start()

    def two_workers(self) -> list[Worker]:
        """Both workers, running and polling."""
        self.replace_dead()
        return [worker.ready() for worker in self.workers]


def _start_moto() -> tuple[ThreadedMotoServer, str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def _stop_all(processes: list) -> None:
    for process in processes:  # all at once, then each waited for
        process.terminate()
    for process in reversed(processes):
        process.stop()
        print(f"---- {process.name} (pid {process.proc.pid if process.proc else '-'}) output, last lines:\n"
              f"{process.text()[-3000:]}")


@pytest.fixture(scope="module")
def topo(tmp_path_factory):
    root = tmp_path_factory.mktemp("topology")
    with ExitStack() as cleanup:  # undone in reverse, also when a start fails
        moto, endpoint = _start_moto()
        cleanup.callback(moto.stop)
        s3 = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name=AWS_ENV["AWS_DEFAULT_REGION"], aws_access_key_id="testing",
            aws_secret_access_key="testing", config=Config(s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket=BUCKET)
        prefix = f"run-{uuid.uuid4().hex[:8]}"
        database_url = create_pg_database()
        cleanup.callback(drop_pg_database, database_url)
        engine = make_engine(database_url)
        cleanup.callback(engine.dispose)
        shared = Shared(database_url, f"s3://{BUCKET}/{prefix}", endpoint)
        processes: list = []
        cleanup.callback(_stop_all, processes)

        # A first: it migrates the empty database and makes the default application; once it has,
        # B and the workers start together (B finds the schema and the application there).
        a = Node("A", shared, root / "a", first=True)
        processes.append(a)
        began = time.monotonic()
        a.start().wait_for_output("Content (player, course files)")
        print(f"A migrated the database in {time.monotonic() - began:.1f} s")
        b = Node("B", shared, root / "b")
        workers = [Worker(name, shared, root / name.lower()) for name in ("W1", "W2")]
        # A second application (the statement pipe's target), made by the CLI meanwhile.
        app_create = Process("app-create", ["app", "create", "--name", "Pipe target", "--json"],
                             shared.env(root / "cli"))
        for process in (b, *workers, app_create):
            processes.append(process)
            process.start()
        for process in processes:
            process.ready()
        print(f"the topology answered after {time.monotonic() - began:.1f} s")
        assert a.creds is not None and "appId:" not in b.text()
        assert app_create.proc.wait(timeout=120) == 0, app_create.text()
        app_create.stop()  # (its output is all read)
        made = json.loads(app_create.text().strip().splitlines()[-1])
        yield Topology(shared, root, s3, prefix, a, b, workers, engine, AppCreds(made["appId"], made["secretKey"]),
                       processes)


@pytest.fixture(scope="module")
def course(topo):
    """A one-SCO SCORM 1.2 course uploaded to A (imported by one of the workers); (course id, marker),
    the marker being a string only its SCO page holds."""
    marker = f"topology-marker-{uuid.uuid4().hex}"
    page = ("<!doctype html><html><head><title>SCO</title></head>"
            f"<body><p id='marker'>{marker}</p></body></html>")
    data = scorm12_zip("Topology course", scos=[("sco1", "Only SCO", "index.html")], extra_files={"index.html": page})
    (topo.root / "upload").mkdir(exist_ok=True)
    course_id = import_course(topo.a, topo.root / "upload", data, topo.creds)
    return course_id, marker


def _launch_and_finish(page) -> dict:
    return page.evaluate("""() => {
      const api = window.parent.API;
      const r = {init: api.LMSInitialize(""), id: api.LMSGetValue("cmi.core.student_id")};
      api.LMSSetValue("cmi.core.lesson_location", "played-on-b");
      api.LMSSetValue("cmi.core.score.raw", "77");
      api.LMSSetValue("cmi.core.lesson_status", "passed");
      r.commit = api.LMSCommit(""); r.finish = api.LMSFinish("");
      return r; }""")


def _sco_frame(page, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if frame.url.split("?")[0].endswith("/index.html"):
                frame.wait_for_selector("#marker")
                return frame
        page.wait_for_timeout(50)
    raise AssertionError(f"the SCO never loaded; frames: {[f.url for f in page.frames]}")


def test_import_uploaded_to_a_plays_from_b(topo, course, context):
    course_id, marker = course
    reg = create_registration(topo.b, course_id, topo.creds, learner_id="learner-b")
    link = launch_link(topo.b, reg, topo.creds, redirect_on_exit_url="blank")
    assert link.startswith(topo.b.content_url + "/"), link  # B's own content origin

    page = context.new_page()
    page.goto(link)
    frame = _sco_frame(page)
    assert frame.url.startswith(topo.b.content_url + "/")
    assert frame.locator("#marker").inner_text() == marker  # the SCO's bytes, served by B
    result = _launch_and_finish(frame)
    assert result == {"init": "true", "id": "learner-b", "commit": "true", "finish": "true"}
    page.wait_for_url("**/player/exit/blank", timeout=15_000)

    # The results, read through A.
    got = progress(topo.a, reg, topo.creds)
    assert (got.registration_completion, got.registration_success, got.score.scaled) == ("COMPLETED", "PASSED", 77.0)
    assert got.activity_details.children[0].runtime.location == "played-on-b"

    # The content is in the bucket, and in no process's data directory.
    keys = [o["Key"] for p in topo.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=topo.prefix)
            for o in p.get("Contents", [])]
    pages = [k for k in keys if k.endswith("/index.html")
             and marker.encode() in topo.s3.get_object(Bucket=BUCKET, Key=k)["Body"].read()]
    assert pages, keys
    local = [path for path in topo.root.rglob("*") if path.is_file() and marker.encode() in path.read_bytes()
             and path.relative_to(topo.root).parts[0] != "upload"]
    assert local == []


def test_launch_started_on_a_commits_on_b(topo, course):
    course_id, _ = course
    reg = create_registration(topo.a, course_id, topo.creds)
    token = open_launch(topo.a.content_url, topo.a.client(topo.creds), reg)  # the player page, from A

    assert commit(topo.b.content_url, token, 1, {"lesson_status": "incomplete", "lesson_location": "b-1"}) == \
        {"lastSeq": 1, "applied": True}
    assert commit(topo.a.content_url, token, 3, {"lesson_status": "completed", "lesson_location": "a-3"}) == \
        {"lastSeq": 3, "applied": True}
    # Sent before seq 3 and arriving at B after it: B knows seq 3 was applied on A, and keeps its data.
    assert commit(topo.b.content_url, token, 2, {"lesson_location": "b-2"})["applied"] is False

    got = progress(topo.a, reg, topo.creds)
    assert got.registration_completion == "COMPLETED"
    assert got.activity_details.children[0].runtime.location == "a-3"
    assert progress(topo.b, reg, topo.creds).activity_details.children[0].runtime.location == "a-3"


def _console(node: Node, cookie: str) -> httpx.Client:
    return httpx.Client(base_url=node.base_url, follow_redirects=False, timeout=30,
                        cookies={"coursehost_console": cookie})


def test_console_session_signed_in_on_a_is_valid_on_b(topo):
    # The first owner's one-time sign-in link, printed by A when it made the realm.
    link = re.search(r"console sign-in: (http://\S+)", topo.a.text()).group(1)
    assert link.startswith(topo.a.base_url + "/console/signin/link/")
    signed_in = httpx.get(link, follow_redirects=False, timeout=30)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/", signed_in.text
    cookie = signed_in.cookies["coursehost_console"]

    with _console(topo.b, cookie) as b:
        home = b.get("/console/")
        assert home.status_code == 200 and "owner@coursehost.localhost" in home.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
        with _console(topo.b, cookie + "x") as forged:
            assert forged.get("/console/").status_code == 303  # B does check the cookie
        assert b.post("/console/signout", data={"csrf_token": csrf}).status_code == 303

    with _console(topo.a, cookie) as a:  # signed out on B: signed out on A too
        answer = a.get("/console/")
        assert answer.status_code == 303 and "/console/signin" in answer.headers["location"]


# ---------------------------------------------------------------- postbacks


def _registrations_with_postback(topo, course_id: str, url: str, count: int) -> list[str]:
    """COUNT registrations (made on A and B in turn) whose postbacks go to URL."""
    regs = []
    for n in range(count):
        node = (topo.a, topo.b)[n % 2]
        reg = f"pb-{uuid.uuid4().hex[:10]}"
        cloud.RegistrationApi(node.client(topo.creds)).create_registration(cloud.CreateRegistrationSchema(
            course_id=course_id, registration_id=reg, learner=cloud.LearnerSchema(id=f"learner-{n}", first_name="L"),
            post_back=cloud.PostBackSchema(url=url, auth_type="FORM", results_format="COURSE")))
        regs.append(reg)
    return regs


def _complete_on_other_node(topo, regs: list[str]) -> None:
    """Each registration launched on one node and completed by a commit on the other."""
    for n, reg in enumerate(regs):
        opener, committer = (topo.a, topo.b) if n % 2 else (topo.b, topo.a)
        token = open_launch(opener.content_url, opener.client(topo.creds), reg)
        assert commit(committer.content_url, token, 1, {"lesson_status": "completed", "score": {"raw": "90"},
                                                       "session_time": "00:00:10"})["applied"] is True


def _registration_of(arrival) -> dict:
    return json.loads(parse_qs(arrival.body.decode())["data"][0])


def _settled_jobs(topo, regs: list[str]) -> list[Job]:
    """The postback jobs of REGS once every one is done (none queued or running)."""
    def settled():
        jobs = [j for j in topo.jobs(POSTBACK_JOB) if j.payload.get("registration_id") in regs]
        return jobs if jobs and all(j.status == DONE for j in jobs) and \
            {j.payload["registration_id"] for j in jobs} == set(regs) else None

    return wait_until(settled, 40, "every postback job to be done")


def _final_states(arrivals, regs: list[str]) -> dict[str, str]:
    last = {}
    for arrival in arrivals:
        body = _registration_of(arrival)
        last[body["id"]] = body["registrationCompletion"]
    return {reg: last.get(reg) for reg in regs}


def test_postbacks_delivered_once_each_by_two_workers(topo, course):
    topo.two_workers()
    receiver = postback_receiver(delay=0.3)
    receiver.hold(1)  # the first delivery waits until another one arrives: from the other worker
    try:
        regs = _registrations_with_postback(topo, course[0], receiver.url + "/postback", 8)
        _complete_on_other_node(topo, regs)
        receiver.wait_for(lambda a: a.held)
        receiver.wait_for(lambda a: not a.held)  # its sender is busy with the held one
        receiver.release()
        jobs = _settled_jobs(topo, regs)
        wait_until(lambda: _final_states(receiver.snapshot(), regs) == dict.fromkeys(regs, "COMPLETED"), 20,
                   "every registration's completion to be delivered")
        time.sleep(1.0)  # a poll or two more: nothing may come again
        arrivals = receiver.snapshot()
    finally:
        receiver.close()
    ids = Counter(a.headers.get(DELIVERY_ID) for a in arrivals)
    assert None not in ids
    assert set(ids) == {j.payload["delivery_id"] for j in jobs}  # every delivery arrived ...
    assert set(ids.values()) == {1}  # ... exactly once
    assert all(a.answered and a.status == 204 for a in arrivals)
    assert all(j.attempts == 1 for j in jobs)
    delivered_by = {w.name: w.text().count("postback for registration pk") for w in topo.workers}
    assert all(delivered_by.values()), delivered_by  # both workers took part


def test_postback_of_a_worker_killed_mid_delivery_is_resent_with_its_id(topo, course):
    topo.two_workers()
    receiver = postback_receiver(delay=0.2)
    receiver.hold(1)  # the first delivery to arrive waits until its sender is dead
    try:
        regs = _registrations_with_postback(topo, course[0], receiver.url + "/postback", 3)
        _complete_on_other_node(topo, regs)
        (held,) = receiver.wait_for(lambda a: a.held)
        delivery_id = held.headers[DELIVERY_ID]
        (job_id,) = [j.id for j in topo.jobs(POSTBACK_JOB) if j.payload.get("delivery_id") == delivery_id]
        victim = topo.worker_holding(job_id)
        victim.kill9()
        killed_at = time.monotonic()
        receiver.release()  # its answer goes nowhere: the worker that sent the request is gone

        jobs = _settled_jobs(topo, regs)
        wait_until(lambda: _final_states(receiver.snapshot(), regs) == dict.fromkeys(regs, "COMPLETED"), 20,
                   "every registration's completion to be delivered")
        time.sleep(1.5)  # a poll or two more: a completed delivery is not sent again
        arrivals = receiver.snapshot()
    finally:
        receiver.close()
    topo.replace_dead()  # (the next test waits for it)

    ids = Counter(a.headers.get(DELIVERY_ID) for a in arrivals)
    assert set(ids) == {j.payload["delivery_id"] for j in jobs}
    assert ids.pop(delivery_id) == 2 and set(ids.values()) == {1}, ids  # only the interrupted one twice
    first, again = [a for a in arrivals if a.headers[DELIVERY_ID] == delivery_id]
    assert first.held and again.answered and again.status == 204
    # The same delivery, of the same registration; it carries the registration's state as it is when
    # sent (here unchanged: one commit each).
    assert _registration_of(again)["id"] == _registration_of(first)["id"]
    assert _registration_of(again)["registrationCompletion"] == "COMPLETED"
    assert again.at - killed_at >= LEASE_SECONDS * 0.5  # taken over once the dead worker's lease ran out
    (resent,) = [j for j in jobs if j.id == job_id]
    assert resent.attempts == 2 and resent.status == DONE


# ---------------------------------------------------------------- statement pipes


def _pipe_job_running(topo) -> int:
    def running():
        return next((j.id for j in topo.jobs(PIPE_JOB) if j.status == RUNNING), None)

    return wait_until(running, 10, "the pipe's job to be running")


def _statement_ids(arrival) -> list[str]:
    if arrival.method == "PUT":
        return parse_qs(arrival.path.split("?", 1)[1])["statementId"]
    body = json.loads(arrival.body)  # the test's statements have no attachments: plain JSON
    return [s["id"] for s in (body if isinstance(body, list) else [body])]


def test_statement_pipe_stores_every_statement_once_across_a_worker_kill(topo):
    target_app = topo.other_app
    source = make_lrs(topo.a.base_url, cloud.XapiApi(topo.a.client(topo.creds)), topo.creds.app_id, "READONLY")
    writer = make_lrs(topo.b.base_url, cloud.XapiApi(topo.b.client(topo.creds)), topo.creds.app_id, "DEFAULT")
    target = make_lrs(topo.b.base_url, cloud.XapiApi(topo.b.client(target_app)), target_app.app_id, "DEFAULT")
    proxy: SlowServer = lrs_proxy(topo.b.base_url)  # the pipe writes to B's LRS through it
    try:
        sent = post_statements(source.url, writer.auth, 120)
        topo.two_workers()
        through_proxy = cloud.XapiEndpointSchema(url=f"{proxy.url}/lrs/{target_app.app_id}/",
                                                 user_name=target.auth[0], password=target.auth[1])
        source.xapi.create_statement_pipe(cloud.XapiStatementPipePostSchema(source=source.endpoint(),
                                                                            target=through_proxy))
        got = wait_for_ids(target.url, target.auth, set(sent), timeout=30)
        assert max(Counter(got).values()) == 1  # with both workers running: each once

        # The next batch the pipe writes is held at the proxy; the worker sending it is killed; the
        # proxy then hands the batch to the target all the same.
        proxy.hold(1)
        sent += post_statements(writer.url, writer.auth, 130)  # written on B, read by the pipe from A
        (held,) = proxy.wait_for(lambda a: a.held)
        victim = topo.worker_holding(_pipe_job_running(topo))
        victim.kill9()
        proxy.release()

        got = wait_for_ids(target.url, target.auth, set(sent), timeout=60)
        time.sleep(4)  # a pass more: nothing may arrive twice
        got = all_ids(target.url, target.auth)
        arrivals = proxy.snapshot()
    finally:
        proxy.close()

    assert not [i for i, n in Counter(got).items() if n > 1]
    # Every statement of the source once (the earlier tests' launches put a few there too).
    assert sorted(got) == sorted(all_ids(source.url, source.auth)) and set(sent) <= set(got)
    # The held batch was stored by the target, and sent again by the other worker: it kept each once.
    held_ids = set(_statement_ids(held))
    resent = [a for a in arrivals if a.at > held.at and a.method in ("POST", "PUT")
              and held_ids & set(_statement_ids(a))]
    assert held_ids and resent
