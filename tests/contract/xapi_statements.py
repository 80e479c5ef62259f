"""Talking xAPI to an LRS in tests: post statements with their own ids, read every id back."""

from __future__ import annotations

import time
from urllib.parse import urljoin

import httpx

from tests.factories.xapi import numbered_statement

HEADERS = {"X-Experience-API-Version": "1.0.3"}


def post_statements(lrs_url: str, auth: tuple[str, str], count: int, batch: int = 50) -> list[str]:
    """POST COUNT new statements in batches; returns their ids in order."""
    ids = []
    for start in range(0, count, batch):
        body = [numbered_statement(n) for n in range(start, min(count, start + batch))]
        r = httpx.post(lrs_url.rstrip("/") + "/statements", json=body, auth=auth, headers=HEADERS, timeout=30)
        assert r.status_code == 200, r.text
        assert r.json() == [s["id"] for s in body]
        ids += r.json()
    return ids


def all_ids(lrs_url: str, auth: tuple[str, str]) -> list[str]:
    """Every statement id the LRS returns (following more), in its order; duplicates kept."""
    url = lrs_url.rstrip("/") + "/statements?format=ids&limit=200"
    ids = []
    while url:
        r = httpx.get(url, auth=auth, headers=HEADERS, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        ids += [s["id"] for s in body["statements"]]
        url = urljoin(url, body["more"]) if body.get("more") else None
    return ids


def wait_for_ids(lrs_url: str, auth: tuple[str, str], expected: set[str], timeout: float = 60.0) -> list[str]:
    """Poll until the LRS holds every id in EXPECTED; returns all its ids."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = all_ids(lrs_url, auth)
        except httpx.HTTPError:
            got = []
        if expected <= set(got) or time.monotonic() > deadline:
            missing = expected - set(got)
            assert not missing, f"{len(missing)} of {len(expected)} statements never arrived"
            return got
        time.sleep(0.5)
