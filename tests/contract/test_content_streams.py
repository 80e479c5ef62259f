"""Course files streamed to a browser that goes away: a video element asks for a range, reads the
first bytes and drops the connection (Chromium does this all the time while seeking). The server
must close the file it opened for that answer, however early the client left (found playing
CATAPULT's cmi5 examples, whose AU holds an MP4)."""

from __future__ import annotations

import gc
import json
import random
import re
import socket
import time
from urllib.parse import urlsplit

import httpx

from tests.builders.scorm import scorm12_zip
from tests.e2e.support import create_registration, import_course, launch_link

VIDEO = random.Random(14).randbytes(6 * 1024 * 1024)  # 6 MiB: far more than one chunk


def test_a_dropped_range_request_closes_its_file(live_server, tmp_path):
    course = import_course(live_server, tmp_path, scorm12_zip("Video", extra_files={"media/clip.mp4": VIDEO}))
    page = httpx.get(launch_link(live_server, create_registration(live_server, course))).text
    base = json.loads(re.search(r'id="player-config">(.*?)</script>', page).group(1))["contentBase"]
    host = urlsplit(live_server.content_url)
    for start in range(0, 40 * 4096, 4096):
        with socket.create_connection((host.hostname, host.port), timeout=10) as sock:
            sock.sendall(f"GET {base}media/clip.mp4 HTTP/1.1\r\nHost: {host.netloc}\r\n"
                         f"Range: bytes={start}-\r\n\r\n".encode())
            assert sock.recv(64).startswith(b"HTTP/1.1 206")
    time.sleep(1.0)  # the server notices each disconnect
    gc.collect()  # an unclosed file would now warn (ResourceWarning), an error in this suite
    whole = httpx.get(live_server.content_url + base + "media/clip.mp4", headers={"Range": "bytes=100-"})
    assert whole.status_code == 206 and whole.content == VIDEO[100:]
