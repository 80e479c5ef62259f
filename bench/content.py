"""Benchmark: a 50 KB course file through the content origin's route against a bare Starlette
StaticFiles route serving the same file from the same directory, under the same uvicorn settings
(one process each, one worker, access log off), in the same run.

Setup: `coursehost serve` over a fresh DATA_DIR imports a course holding img/pic.png (50 KB) and
a 50 KB script through the API, and a launch gives the content URL; serve is then stopped and the
content app alone runs in its own process over that DATA_DIR (SQLite, the filesystem store), as the
content origin of a deployment does. wrk (one thread, C connections) loads each server in turns,
ROUNDS times, alternating, so the shared machine's noise hits both alike. Reported: median
requests/s of each and the ratio (target >= 0.8), round by round; each server's CPU time per
request (from /proc); the load generator's CPU share (wrk, from rusage); and two more rows for
context: the same URL revalidated (If-None-Match -> 304) and the script with Accept-Encoding: br
(our cached brotli bytes against StaticFiles' identity bytes).
Run: .venv/bin/python bench/content.py [--rounds 5 --seconds 8 --connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from commit import MANIFEST, free_port  # noqa: E402
from runtime import import_course, launch_link, player_config, start_serve  # noqa: E402

UVICORN_OPTS = "host='127.0.0.1', log_level='warning', access_log=False, workers=1"
PNG = random.Random(50).randbytes(50 * 1024)
SCRIPT = "".join(f"var v{i} = {i} * 2; // line {i} of the course script\n" for i in range(1200))[:50 * 1024]

BARE = textwrap.dedent(f"""
    import sys, uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    app = Starlette(routes=[Mount("/static", app=StaticFiles(directory=sys.argv[2]))])
    uvicorn.run(app, port=int(sys.argv[1]), {UVICORN_OPTS})
""")

CONTENT = textwrap.dedent(f"""
    import sys, uvicorn
    from coursehost.app import create_app, create_content_app
    from coursehost.settings import Settings

    settings = Settings(data_dir=sys.argv[2], run_worker=False).resolved()
    app = create_content_app(create_app(settings).state.services)
    uvicorn.run(app, port=int(sys.argv[1]), {UVICORN_OPTS})
""")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk(url: str, headers: dict, seconds: int, connections: int) -> tuple[float, float]:
    """(requests/s, wrk's CPU share of one core)."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    before, started = children_cpu(), time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    share = (children_cpu() - before) / (time.perf_counter() - started)
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors or non-2xx answers during the run of {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), share


def wait_ok(url: str, headers: dict | None = None) -> httpx.Response:
    deadline, last = time.time() + 120, "no answer"
    while time.time() < deadline:
        try:
            answer = httpx.get(url, headers=headers or {}, timeout=5)
            if answer.status_code == 200:
                return answer
            last = f"{answer.status_code} {answer.text[:200]}"
        except httpx.HTTPError as err:
            last = repr(err)
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer 200 ({last})")


def setup(work: Path) -> str:
    """Import the course with `coursehost serve`; the content path of its files (/content/KEY/)."""
    serve, base, _content, auth = start_serve(work)
    try:
        files = {"imsmanifest.xml": MANIFEST, "index.html": "<html><body>x</body></html>",
                 "img/pic.png": PNG, "js/app.js": SCRIPT}
        import_course(base + "/api/v2", auth, "bench-content", files)
        with httpx.Client(auth=auth, timeout=60) as client:
            page = httpx.get(launch_link(client, base + "/api/v2", "bench-content", 1), timeout=60)
        return player_config(page)["contentBase"]
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def content_dir(work: Path) -> Path:
    """The store's folder holding this course's files (where StaticFiles serves them from)."""
    for found in (work / "data" / "content").rglob("pic.png"):
        return found.parent.parent
    raise SystemExit("the imported course's files were not found under DATA_DIR/content")


def measure(cases: list[tuple[str, str, dict]], pids: dict, args) -> dict:
    for _name, url, headers in cases:  # warm-up
        wrk(url, headers, 2, args.connections)
    results = {name: {"rps": [], "wrk_cpu": [], "cpu_per_req_us": []} for name, _, _ in cases}
    for _ in range(args.rounds):
        for name, url, headers in cases:  # alternate, so machine noise hits all alike
            pid = pids[name.split()[0]]
            cpu = cpu_seconds(pid)
            rps, share = wrk(url, headers, args.seconds, args.connections)
            results[name]["rps"].append(rps)
            results[name]["wrk_cpu"].append(share)
            results[name]["cpu_per_req_us"].append((cpu_seconds(pid) - cpu) / (rps * args.seconds) * 1e6)
    return results


def report(results: dict, args) -> None:
    for name, r in results.items():
        print(f"{name:26}: median {statistics.median(r['rps']):7.0f} req/s  rounds {[round(x) for x in r['rps']]}"
              f"  server CPU/req {statistics.median(r['cpu_per_req_us']):5.0f} us"
              f"  wrk CPU {100 * statistics.median(r['wrk_cpu']):3.0f}% of a core")
    png = [o / b for o, b in zip(results["ours png 50 KB"]["rps"], results["bare png 50 KB"]["rps"], strict=True)]
    print(f"ratio ours / bare StaticFiles, png 50 KB: median {statistics.median(png):.2f} "
          f"(of medians {statistics.median(results['ours png 50 KB']['rps']) / statistics.median(results['bare png 50 KB']['rps']):.2f}); "
          f"rounds {[round(x, 2) for x in png]}  (target >= 0.8)")
    cpu = {name: statistics.median(r["cpu_per_req_us"]) for name, r in results.items()}
    print(f"server CPU per request, ours / bare StaticFiles, png 50 KB: {cpu['ours png 50 KB'] / cpu['bare png 50 KB']:.2f}"
          " (lower is better; steadier than req/s on a shared machine)")
    if args.before:
        old = [o / b for o, b in zip(results["ours png 50 KB"]["rps"], results["before png 50 KB"]["rps"],
                                     strict=True)]
        print(f"ratio ours / before, png 50 KB: median {statistics.median(old):.2f}; "
              f"rounds {[round(x, 2) for x in old]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--before", help="another checkout's src/ (e.g. main before issue 21): its content app is "
                                     "loaded in the same rounds over the same DATA_DIR, for a before/after ratio")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="coursehost-bench-content-"))
    procs = []
    try:
        base = setup(work)
        files = content_dir(work)
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
        bare_port, ours_port = free_port(), free_port()
        procs.append(subprocess.Popen([sys.executable, "-c", BARE, str(bare_port), str(files)], env=env))
        procs.append(subprocess.Popen([sys.executable, "-c", CONTENT, str(ours_port), str(work / "data")], env=env))
        bare, ours = f"http://127.0.0.1:{bare_port}/static/", f"http://127.0.0.1:{ours_port}{base}"
        pids = {"bare": procs[0].pid, "ours": procs[1].pid}
        if args.before:
            before_port = free_port()
            procs.append(subprocess.Popen([sys.executable, "-c", CONTENT, str(before_port), str(work / "data")],
                                          env=dict(env, PYTHONPATH=args.before)))
            # Without the content generation: a checkout before generations reads no other key (and
            # one after them serves the same file under it).
            before = f"http://127.0.0.1:{before_port}{re.sub(r'-g[0-9]+/$', '/', base)}"
            assert wait_ok(before + "img/pic.png").content == PNG
            pids["before"] = procs[2].pid
        for url in (bare + "img/pic.png", ours + "img/pic.png"):
            assert wait_ok(url).content == PNG, url
        tag = wait_ok(ours + "img/pic.png").headers["etag"]
        br = {"Accept-Encoding": "br"}
        assert wait_ok(ours + "js/app.js", br).headers["content-encoding"] == "br"
        cases = [("bare png 50 KB", bare + "img/pic.png", {}), ("ours png 50 KB", ours + "img/pic.png", {}),
                 ("ours png 304", ours + "img/pic.png", {"If-None-Match": tag}),
                 ("bare js 50 KB (identity)", bare + "js/app.js", br), ("ours js 50 KB (br)", ours + "js/app.js", br)]
        if args.before:
            cases.insert(2, ("before png 50 KB", before + "img/pic.png", {}))
        results = measure(cases, pids, args)
        report(results, args)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
