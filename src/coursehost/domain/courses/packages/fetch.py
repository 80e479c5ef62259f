"""Download a package from a URL to a local file, bounded in size and time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import httpx

from coursehost.domain.courses.errors import PackageError

_CHUNK = 1024 * 1024


def download(url: str, dest: Path, *, max_bytes: int, timeout: float,
             progress: Callable[[str], None]) -> tuple[str | None, str | None]:
    """Stream URL into DEST; returns (content type, file name). PackageError says what went wrong."""
    limits = httpx.Timeout(timeout, connect=min(timeout, 15.0))
    try:
        with httpx.stream("GET", url, timeout=limits, follow_redirects=True,
                          headers={"User-Agent": "Coursehost course import"}) as resp:
            if resp.status_code >= 400:
                raise PackageError(f"Fetching {url} failed: the server answered HTTP {resp.status_code}")
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise PackageError(f"The package at {url} is larger than the {max_bytes} bytes allowed")
            received = 0
            with open(dest, "wb") as out:
                for chunk in resp.iter_bytes(_CHUNK):
                    received += len(chunk)
                    if received > max_bytes:
                        raise PackageError(f"The package at {url} is larger than the {max_bytes} bytes allowed")
                    out.write(chunk)
                    progress(f"Downloading the package: {received / 1_048_576:.1f} MB")
            if received == 0:
                raise PackageError(f"The file at {url} is empty (0 bytes)")
            ctype = resp.headers.get("content-type", "").split(";")[0].strip() or None
            return ctype, _filename(resp.headers.get("content-disposition"), str(resp.url))
    except httpx.TimeoutException:
        raise PackageError(f"Fetching {url} timed out after {timeout:.0f} s") from None
    except httpx.HTTPError as exc:
        raise PackageError(f"Fetching {url} failed: {exc.__class__.__name__}: {exc}") from None


def _filename(disposition: str | None, url: str) -> str | None:
    if disposition:
        match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition, re.I)
        if match:
            return match.group(1)
    path = urlsplit(url).path
    return path.rsplit("/", 1)[-1] or None
