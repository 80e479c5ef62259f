"""Benchmark: import of a generated 200 MB package with 5,000 files, against `unzip -q` of the
same file in the same run; and the job worker's peak memory above idle.

The service runs as a user runs it: `coursehost serve` (no in-process worker) plus one
`coursehost worker` process, SQLite and the filesystem store under a temporary DATA_DIR. The
import is timed from the start of the upload (CreateUploadAndImportCourseJob) until
GetImportJobStatus says COMPLETE. Peak memory is the worker's VmHWM (peak resident set) minus
its VmRSS when idle before the first import.
Both the service's DATA_DIR and unzip's target are in one folder on one filesystem (--dir).
Run: .venv/bin/python bench/import_package.py [--rounds 3 --files 5000 --mb 200 --dir ./var]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_package(path: Path, files: int, total_mb: int) -> None:
    """A SCORM 1.2 package of FILES files of incompressible bytes, TOTAL_MB in all."""
    per_file = total_mb * 1024 * 1024 // files
    manifest = (
        '<?xml version="1.0"?><manifest identifier="bench" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
        'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"><metadata><schema>ADL SCORM</schema>'
        '<schemaversion>1.2</schemaversion></metadata><organizations default="o"><organization identifier="o">'
        '<title>Benchmark course</title><item identifier="i" identifierref="r"><title>Lesson</title></item>'
        '</organization></organizations><resources><resource identifier="r" type="webcontent" '
        'adlcp:scormtype="sco" href="index.html"><file href="index.html"/></resource></resources></manifest>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("imsmanifest.xml", manifest)
        z.writestr("index.html", "<html><body>bench</body></html>")
        for n in range(files - 2):
            z.writestr(f"assets/{n // 100:03d}/file{n:05d}.bin", os.urandom(per_file), zipfile.ZIP_STORED)


def vm(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not found")


def time_unzip(package: Path, work: Path) -> float:
    dest = work / "unzipped"
    shutil.rmtree(dest, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(["unzip", "-q", str(package), "-d", str(dest)], check=True)
    elapsed = time.perf_counter() - started
    shutil.rmtree(dest)
    return elapsed


UPLOAD_TIMES: list[float] = []


def time_import(api: str, auth: tuple[str, str], package: Path, course_id: str) -> float:
    started = time.perf_counter()
    with open(package, "rb") as fh:
        resp = httpx.post(f"{api}/courses/importJobs/upload", params={"courseId": course_id}, auth=auth,
                          files={"file": ("package.zip", fh, "application/zip")}, timeout=600)
    resp.raise_for_status()
    UPLOAD_TIMES.append(time.perf_counter() - started)
    job = resp.json()["result"]
    while True:
        status = httpx.get(f"{api}/courses/importJobs/{job}", auth=auth, timeout=30).json()
        if status["status"] != "RUNNING":
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    if status["status"] != "COMPLETE":
        raise SystemExit(f"import failed: {status}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--dir", default=str(ROOT / "var"),
                    help="where DATA_DIR and the unzip target go (default ./var, where `make serve` keeps data)")
    args = ap.parse_args()
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-import-", dir=args.dir))
    package = work / "package.zip"
    build_package(package, args.files, args.mb)
    port = free_port()
    env = dict(os.environ, COURSEHOST_DATA_DIR=str(work / "data"), COURSEHOST_RUN_WORKER="false",
               COURSEHOST_WORKER_POLL_SECONDS="0.05")
    serve = subprocess.Popen([str(BIN / "coursehost"), "serve", "--port", str(port),
                              "--content-port", str(free_port()), "--no-access-log",
                              "--log-level", "warning"], env=env, stdout=subprocess.PIPE, text=True)
    worker = None
    try:
        out = ""
        while "try: curl" not in out:
            line = serve.stdout.readline()
            if not line:
                raise SystemExit("serve did not start")
            out += line
        app_id = out.split("appId:")[1].split()[0]
        secret = out.split("secretKey:")[1].split()[0]
        api = f"http://127.0.0.1:{port}/api/v2"
        for _ in range(100):
            try:
                httpx.get(api + "/ping", auth=(app_id, secret)).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        worker = subprocess.Popen([str(BIN / "coursehost"), "worker"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(work / "worker.log", "w"))  # noqa: SIM115 - open while the worker runs
        time.sleep(3)
        idle = vm(worker.pid, "VmRSS")
        # The disk is shared: file creation here swings 20x from minute to minute. Each import is
        # paired with the mean of an unzip just before and just after it; the ratio reported is the
        # median of those paired ratios (plus the ratio of the medians, for reference).
        unzip_times, import_times, paired = [], [], []
        before = time_unzip(package, work)
        for n in range(args.rounds):
            imported = time_import(api, (app_id, secret), package, f"bench-{n}")
            after = time_unzip(package, work)
            unzip_times.append(before)
            import_times.append(imported)
            paired.append(imported / ((before + after) / 2))
            before = after
        peak = vm(worker.pid, "VmHWM")
        u, i = statistics.median(unzip_times), statistics.median(import_times)
        size_mb = package.stat().st_size / 1_048_576
        print(json.dumps({"package_mb": round(size_mb, 1), "files": args.files}))
        print(f"unzip -q          : median {u:6.2f} s  rounds {[round(x, 2) for x in unzip_times]}")
        print(f"coursehost import : median {i:6.2f} s  rounds {[round(x, 2) for x in import_times]}")
        print(f"  of which upload : median {statistics.median(UPLOAD_TIMES):6.2f} s")
        print(f"paired ratios import / unzip: {[round(x, 2) for x in paired]}")
        print(f"ratio import / unzip: median of paired {statistics.median(paired):.2f}, "
              f"of medians {i / u:.2f}  (target <= 2)")
        print(f"worker peak memory above idle: {(peak - idle) / 1_048_576:.1f} MB "
              f"(idle {idle / 1_048_576:.1f} MB, peak {peak / 1_048_576:.1f} MB; target < 150 MB)")
        for line in (work / "worker.log").read_text().splitlines():  # the worker's own breakdown
            if "extracted" in line or "files stored" in line:
                print("  worker:", line.split(": ", 1)[-1])
    finally:
        for proc in (worker, serve):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
