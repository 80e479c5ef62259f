"""Download a package from a URL to a local file, bounded in size and time, from public addresses
only unless COURSEHOST_ALLOW_PRIVATE_URLS (issue 13); messages say what failed in the outbound
client's own words, never in the far side's."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from coursehost.domain.courses.errors import PackageError
from coursehost.outbound import (
    AddressPolicy,
    OutboundClient,
    OutboundError,
    OutboundTimeout,
    ResponseTooLarge,
    Timeouts,
)

_CHUNK = 1024 * 1024


def download(url: str, dest: Path, *, max_bytes: int, timeout: float, progress: Callable[[str], None],
             allow_private_urls: bool = False) -> tuple[str | None, str | None]:
    """Stream URL into DEST; returns (content type, file name). PackageError says what went wrong."""
    timeouts = Timeouts(connect=min(timeout, 15.0), read=timeout)
    policy = AddressPolicy(allow_private=allow_private_urls)
    try:
        with OutboundClient(timeouts=timeouts, follow_redirects=True, max_bytes=max_bytes, policy=policy) as client, \
                client.stream("GET", url, headers={"User-Agent": "Coursehost course import"}) as resp:
            if resp.status_code >= 400:
                raise PackageError(f"Fetching {url} failed: the server answered HTTP {resp.status_code}")
            chunks = resp.iter_bytes(_CHUNK)  # refuses a declared length over max_bytes at once
            received = 0
            with open(dest, "wb") as out:
                for chunk in chunks:
                    received += len(chunk)
                    out.write(chunk)
                    progress(f"Downloading the package: {received / 1_048_576:.1f} MB")
            if received == 0:
                raise PackageError(f"The file at {url} is empty (0 bytes)")
            ctype = resp.headers.get("content-type", "").split(";")[0].strip() or None
            return ctype, _filename(resp.headers.get("content-disposition"), resp.url)
    except ResponseTooLarge:
        raise PackageError(f"The package at {url} is larger than the {max_bytes} bytes allowed") from None
    except OutboundTimeout:
        raise PackageError(f"Fetching {url} timed out after {timeout:.0f} s") from None
    except OutboundError as exc:
        raise PackageError(f"Fetching {url} failed: {exc}") from None


def _filename(disposition: str | None, url: str) -> str | None:
    if disposition:
        match = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition, re.I)
        if match:
            return match.group(1)
    path = urlsplit(url).path
    return path.rsplit("/", 1)[-1] or None
