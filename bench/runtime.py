"""Benchmark: run-time writes of three standards from 200 simulated learners each, in the same run:
SCORM 1.2 commits (the player's `/player/runtime/commit`, the baseline), AICC HACP PutParam POSTs
(`/player/hacp`) and cmi5 statement POSTs (the LRS's `statements` with an AU session's auth token).

Coursehost runs as a user runs it (`coursehost serve`, SQLite in WAL mode under a fresh DATA_DIR in
./var). Setup, through the API and the launch links like a browser:
- SCORM: a one-SCO SCORM 1.2 course; each learner's launch page gives its runtime token; each
  commit is bench/commit.py's payload (the whole 1.2 data model: 50 interactions, 2 KB of
  suspend data, status, score, session time, a debug-log entry), with an increasing seq.
- AICC: a one-AU AICC course; each learner's launch page gives the AU's AICC_SID and AICC_URL, and
  one GetParam opens the AU session. Each PutParam sends [Core] (Lesson_Location, Lesson_Status
  incomplete, Score, Time) and [Core_Lesson] with 2 KB of data.
- cmi5: a one-AU cmi5 course; each learner's launch link is followed to the AU URL, the fetch URL
  gives the auth token, LMS.LaunchData gives the session id, and an `initialized` statement opens
  the session. Each POST is one statement that the cmi5 rules accept (a "cmi5 allowed" statement:
  progressed with result.extensions, or experienced, alternately), with its id set by the client.

Each learner's first request is sent during setup, untimed (a SCORM learner's first commit also
stores the xAPI statements of its 50 interactions, which later commits do not repeat). Then each
learner sends its next request as soon as the previous one is answered (saturated), for
SECONDS, in rounds that take the three in turn (scorm, aicc, cmi5, scorm, ...) so that the shared
machine's noise hits all alike. Reported: the median requests/s of the rounds, p50 / p99 latency,
the server process's CPU time per request (from /proc: less sensitive to the other tenants of the
machine than the rates), and each rate's ratio to the SCORM commit rate (target >= 0.8), also
round by round. Every answer is checked (200 and, for HACP, error=0).
Run: .venv/bin/python bench/runtime.py [--learners 200 --seconds 12 --rounds 5] (`make bench-runtime`)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commit import MANIFEST, free_port, payload, pct, wait_http  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
XAPI_VERSION = "1.0.3"
CMI5_AU = "https://example.com/bench/cmi5/au"
CMI5_COURSE = "https://example.com/bench/cmi5/course"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
SESSION_EXT = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
ADL = "http://adlnet.gov/expapi/verbs/"
PAGE = "<!DOCTYPE html><html><head><title>au</title></head><body>AU</body></html>"


def csv_rows(*rows: list[str]) -> str:
    return "".join(",".join(f'"{v}"' for v in row) + "\r\n" for row in rows)


def aicc_package() -> dict[str, str]:
    crs = ("[Course]\r\nCourse_Creator=Bench\r\nCourse_ID=BENCH\r\nCourse_System=Coursehost\r\n"
           "Course_Title=HACP benchmark\r\nLevel=1\r\nMax_Fields_CST=2\r\nTotal_AUs=1\r\nTotal_Blocks=0\r\n"
           "Version=3.4\r\n[Course_Behavior]\r\nMax_Normal=99\r\n[Course_Description]\r\nBench.\r\n")
    au = csv_rows(["System_ID", "Type", "Command_Line", "File_Name", "Max_Score", "Mastery_Score",
                   "Max_Time_Allowed", "Time_Limit_Action", "System_Vendor", "Core_Vendor", "Web_Launch",
                   "AU_Password"], ["A1", "", "", "a1.html", "100", "80", "", "", "Vendor", "", "", ""])
    des = csv_rows(["System_ID", "Developer_ID", "Title", "Description"], ["A1", "dev-A1", "Lesson", ""])
    cst = csv_rows(["block", "member"], ["root", "A1"])
    return {"course.crs": crs, "course.au": au, "course.des": des, "course.cst": cst, "a1.html": PAGE}


def cmi5_package() -> dict[str, str]:
    def ls(tag: str, text: str) -> str:
        return f'<{tag}><langstring lang="en-US">{text}</langstring></{tag}>'
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n'
           '<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">'
           f'<course id="{CMI5_COURSE}">{ls("title", "cmi5 benchmark")}{ls("description", "Bench")}</course>'
           f'<au id="{CMI5_AU}" moveOn="CompletedAndPassed" masteryScore="0.8">{ls("title", "The AU")}'
           f'{ls("description", "An AU")}<url>au/index.html</url></au></courseStructure>')
    return {"cmi5.xml": xml, "au/index.html": PAGE}


def scorm_package() -> dict[str, str]:
    return {"imsmanifest.xml": MANIFEST, "index.html": "<html><body>quiz</body></html>"}


def import_course(api: str, auth, course_id: str, files: dict[str, str]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    job = httpx.post(f"{api}/courses/importJobs/upload", params={"courseId": course_id}, auth=auth, timeout=60,
                     files={"file": ("c.zip", buf.getvalue(), "application/zip")}).json()["result"]
    while (status := httpx.get(f"{api}/courses/importJobs/{job}", auth=auth).json())["status"] == "RUNNING":
        time.sleep(0.1)
    if status["status"] != "COMPLETE":
        raise SystemExit(f"import of {course_id} failed: {status}")


def launch_link(client: httpx.Client, api: str, course_id: str, n: int) -> str:
    reg = f"{course_id}-reg-{n}"
    client.post(f"{api}/registrations", json={
        "courseId": course_id, "registrationId": reg,
        "learner": {"id": f"learner-{n}", "firstName": "Bench", "lastName": f"Learner {n}"},
    }).raise_for_status()
    answer = client.post(f"{api}/registrations/{reg}/launchLink", json={"expiry": 300})
    if answer.status_code != 200:
        raise SystemExit(f"launch link: {answer.status_code} {answer.text[:300]}")
    return answer.json()["launchLink"]


def player_config(page: httpx.Response) -> dict:
    page.raise_for_status()
    return json.loads(re.search(r'id="player-config">(.*?)</script>', page.text).group(1))


def setup_scorm(client: httpx.Client, api: str, n: int) -> dict:
    page = httpx.get(launch_link(client, api, "bench-scorm", n), timeout=60)
    page.raise_for_status()
    return {"token": re.search(r'"runtimeToken":\s*"([^"]+)"', page.text).group(1), "seq": 0}


def setup_aicc(client: httpx.Client, api: str, n: int) -> dict:
    config = player_config(httpx.get(launch_link(client, api, "bench-aicc", n), timeout=60))
    query = parse_qs(urlsplit(config["items"][0]["href"]).query)
    learner = {"sid": query["AICC_SID"][0], "url": query["AICC_URL"][0], "seq": 0}
    answer = httpx.post(learner["url"], data={"command": "GetParam", "version": "4.0", "session_id": learner["sid"]},
                        timeout=60)
    if not answer.text.startswith("error=0"):
        raise SystemExit(f"GetParam failed: {answer.text[:300]}")
    return learner


def cmi5_statement(learner: dict, verb: str, *, cmi5: bool = False, result: dict | None = None) -> dict:
    context = {"registration": learner["registration"], "contextActivities": {"grouping": [{"id": CMI5_AU}]},
               "extensions": {SESSION_EXT: learner["session"]}}
    if cmi5:
        context["contextActivities"]["category"] = [{"id": CMI5_CATEGORY}]
    stmt = {"id": str(uuid.uuid4()), "actor": learner["actor"], "verb": {"id": ADL + verb},
            "object": {"id": CMI5_AU, "objectType": "Activity"}, "context": context,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if result is not None:
        stmt["result"] = result
    return stmt


def setup_cmi5(client: httpx.Client, api: str, n: int) -> dict:
    answer = httpx.get(launch_link(client, api, "bench-cmi5", n), follow_redirects=False, timeout=60)
    if answer.status_code != 303:
        raise SystemExit(f"cmi5 launch failed: {answer.status_code} {answer.text[:300]}")
    params = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    token = httpx.post(params["fetch"], timeout=60).json()["auth-token"]
    learner = {"endpoint": params["endpoint"], "actor": json.loads(params["actor"]), "seq": 0,
               "registration": params["registration"],
               "headers": {"Authorization": f"Basic {token}", "X-Experience-API-Version": XAPI_VERSION}}
    state = httpx.get(learner["endpoint"] + "activities/state", headers=learner["headers"], timeout=60, params={
        "stateId": "LMS.LaunchData", "activityId": params["activityId"], "agent": params["actor"],
        "registration": params["registration"]})
    learner["session"] = state.json()["contextTemplate"]["extensions"][SESSION_EXT]
    sent = httpx.post(learner["endpoint"] + "statements", headers=learner["headers"], timeout=60,
                      json=cmi5_statement(learner, "initialized", cmi5=True))
    if sent.status_code != 200:
        raise SystemExit(f"initialized refused: {sent.status_code} {sent.text[:300]}")
    return learner


def setup(api: str, auth, kind: str, learners: int) -> list[dict]:
    work = {"scorm": setup_scorm, "aicc": setup_aicc, "cmi5": setup_cmi5}[kind]
    with httpx.Client(auth=auth, timeout=60) as client, ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda n: work(client, api, n), range(learners)))


# ---------------------------------------------------------------- one request of each kind


def scorm_request(learner: dict, content: str) -> tuple[str, dict]:
    learner["seq"] += 1
    return f"{content}/player/runtime/commit", {
        "content": json.dumps(payload(learner["seq"])),
        "headers": {"x-player-token": learner["token"], "content-type": "application/json"}}


def aicc_request(learner: dict, content: str) -> tuple[str, dict]:
    learner["seq"] += 1
    seq = learner["seq"]
    data = (f"[Core]\r\nLesson_Location=page-{seq}\r\nLesson_Status=incomplete\r\nScore={seq % 80},100,0\r\n"
            f"Time=00:{seq // 60 % 60:02d}:{seq % 60:02d}\r\n[Core_Lesson]\r\n{'x' * 2048}\r\n")
    return learner["url"], {"data": {"command": "PutParam", "version": "4.0", "session_id": learner["sid"],
                                     "aicc_data": data}}


def cmi5_request(learner: dict, content: str) -> tuple[str, dict]:
    learner["seq"] += 1
    seq = learner["seq"]
    if seq % 2:
        stmt = cmi5_statement(learner, "progressed", result={
            "extensions": {"https://w3id.org/xapi/cmi5/result/extensions/progress": min(99, seq)}})
    else:
        stmt = cmi5_statement(learner, "experienced")
        stmt["object"] = {"id": f"{CMI5_AU}/page-{seq % 20}", "objectType": "Activity",
                          "definition": {"name": {"en-US": f"Page {seq % 20}"}}}
    return learner["endpoint"] + "statements", {"content": json.dumps(stmt), "headers": {
        **learner["headers"], "content-type": "application/json"}}


def check_answer(kind: str, resp: httpx.Response) -> None:
    if resp.status_code != 200 or (kind == "aicc" and not resp.text.startswith("error=0")):
        raise SystemExit(f"{kind} request failed: {resp.status_code} {resp.text[:300]}")


REQUESTS = {"scorm": scorm_request, "aicc": aicc_request, "cmi5": cmi5_request}


async def run_load(kind: str, learners: list[dict], content: str, seconds: float,
                   errors: list, once: bool = False) -> tuple[list[float], float]:
    """Every learner sends its next request once the last is answered, for SECONDS (ONCE: one
    request each); the latencies of the answered requests and the wall time. Transport errors
    are counted, not retried."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(learners), max_keepalive_connections=len(learners))
    make = REQUESTS[kind]
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        deadline = time.perf_counter() + seconds

        async def learner(one: dict) -> None:
            sent = 0
            while (sent == 0) if once else (time.perf_counter() < deadline):
                sent += 1
                url, kwargs = make(one, content)
                started = time.perf_counter()
                try:
                    resp = await client.post(url, **kwargs)
                except httpx.TransportError as exc:
                    errors.append(repr(exc))
                    continue
                latencies.append(time.perf_counter() - started)
                check_answer(kind, resp)

        started = time.perf_counter()
        await asyncio.gather(*(learner(one) for one in learners))
        wall = time.perf_counter() - started
    return latencies, wall


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process PID and its threads so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_serve(work: Path) -> tuple[subprocess.Popen, str, str, tuple[str, str]]:
    port, content_port = free_port(), free_port()
    env = dict(os.environ, COURSEHOST_DATA_DIR=str(work / "data"), COURSEHOST_WORKER_POLL_SECONDS="0.5")
    serve = subprocess.Popen([str(BIN / "coursehost"), "serve", "--port", str(port), "--content-port",
                              str(content_port), "--no-access-log", "--log-level", "warning"],
                             env=env, stdout=subprocess.PIPE, text=True)
    out = ""
    while "try: curl" not in out:
        line = serve.stdout.readline()
        if not line:
            raise SystemExit("serve did not start")
        out += line
    auth = (out.split("appId:")[1].split()[0], out.split("secretKey:")[1].split()[0])
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/api/v2/ping", auth)
    return serve, base, f"http://127.0.0.1:{content_port}", auth


def report(results: dict, errors: dict) -> dict:
    summary = {}
    for kind, rows in results.items():
        rate = statistics.median(r[0] for r in rows)
        summary[kind] = {"rate": rate, "p50": statistics.median(r[1] for r in rows),
                         "p99": statistics.median(r[2] for r in rows), "rounds": [round(r[0], 1) for r in rows],
                         "cpu_ms": statistics.median(r[3] for r in rows)}
        print(f"{kind:6s}: {rate:7.1f} requests/s  p50 {summary[kind]['p50']:7.1f} ms  "
              f"p99 {summary[kind]['p99']:7.1f} ms  server CPU {summary[kind]['cpu_ms']:5.1f} ms/request  "
              f"rounds {summary[kind]['rounds']}")
    for kind, errs in errors.items():
        if errs:
            print(f"transport errors {kind}: {len(errs)} {sorted(set(errs))[:3]}")
    base = summary["scorm"]["rate"]
    for kind in ("aicc", "cmi5"):
        summary[kind]["ratio"] = summary[kind]["rate"] / base
        print(f"ratio {kind} / scorm commit: {summary[kind]['ratio']:.2f} (target >= 0.8); server CPU per "
              f"request {kind} / scorm: {summary[kind]['cpu_ms'] / summary['scorm']['cpu_ms']:.2f}")
    # per-round ratios (each round's three measurements are minutes apart at most)
    for kind in ("aicc", "cmi5"):
        ratios = [a[0] / s[0] for a, s in zip(results[kind], results["scorm"], strict=True)]
        print(f"per-round ratios {kind} / scorm: {[round(r, 2) for r in ratios]}")
    return summary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--learners", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=12)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="scorm,aicc,cmi5", help="comma-separated kinds (scorm is the baseline)")
    ap.add_argument("--dir", default=str(ROOT / "var"))
    ap.add_argument("--py-spy", default="", help="path of py-spy: each round's server is sampled into "
                    "var/profile-<kind>-<round>.txt (collapsed stacks, with idle threads left out)")
    args = ap.parse_args()
    kinds = [k for k in ("scorm", "aicc", "cmi5") if k in args.only.split(",")]
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-runtime-", dir=args.dir))
    serve = None
    try:
        serve, base, content, auth = start_serve(work)
        api = base + "/api/v2"
        packages = {"scorm": scorm_package, "aicc": aicc_package, "cmi5": cmi5_package}
        learners = {}
        for kind in kinds:
            import_course(api, auth, f"bench-{kind}", packages[kind]())
            started = time.perf_counter()
            learners[kind] = setup(api, auth, kind, args.learners)
            # Untimed: each learner's first request (a SCORM learner's first commit stores the
            # statements of all 50 interactions; later ones only what changed).
            asyncio.run(run_load(kind, learners[kind], content, 0, [], once=True))
            print(f"setup {kind}: {args.learners} learners launched and sent a first request in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
        results = {kind: [] for kind in kinds}
        errors = {kind: [] for kind in kinds}
        for n in range(args.rounds):
            for kind in kinds:
                spy = None
                if args.py_spy:
                    spy = subprocess.Popen([args.py_spy, "record",
                                            *os.environ.get("PY_SPY_FLAGS", "--nonblocking --gil").split(),
                                            "--pid", str(serve.pid), "--duration",
                                            str(int(args.seconds)), "--format", "raw", "--rate", "200", "--output",
                                            str(Path(args.dir) / f"profile-{kind}-{n + 1}.txt")],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                cpu = cpu_seconds(serve.pid)
                lat, wall = asyncio.run(run_load(kind, learners[kind], content, args.seconds, errors[kind]))
                cpu = cpu_seconds(serve.pid) - cpu
                if spy is not None:
                    spy.wait()
                results[kind].append((len(lat) / wall, pct(lat, 50), pct(lat, 99), cpu / max(1, len(lat)) * 1000))
                print(f"round {n + 1} {kind}: {len(lat) / wall:.1f} requests/s, server CPU "
                      f"{results[kind][-1][3]:.1f} ms per request", flush=True)
        print(json.dumps({"learners": args.learners, "seconds": args.seconds, "rounds": args.rounds}))
        if len(kinds) == 3:
            summary = report(results, errors)
            out = ROOT / "bench" / "results" / f"runtime-{time.strftime('%Y%m%d-%H%M%S')}.json"
            out.parent.mkdir(exist_ok=True)
            out.write_text(json.dumps({"learners": args.learners, "seconds": args.seconds, "summary": summary,
                                       "rounds": results}, indent=1))
        else:
            for kind, rows in results.items():
                print(kind, [round(r[0], 1) for r in rows])
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
