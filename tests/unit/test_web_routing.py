"""include_flat: a router's routes in the app's own list, routed as include_router routes them."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI

from coursehost.web.routing import include_flat
from tests.servers import run_coroutine


def _router(tag: str) -> APIRouter:
    router = APIRouter(prefix="/r")

    @router.get("/item/{item_id}")
    def item(item_id: str) -> dict:
        return {"router": tag, "item": item_id}

    @router.get("/{rest:path}")
    def catch_all(rest: str) -> dict:
        return {"router": tag, "rest": rest}

    return router


def _answers(app: FastAPI, requests: list[tuple[str, str]]) -> list[tuple[int, bytes]]:
    async def run():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return [((r := await client.request(method, path)).status_code, r.content) for method, path in requests]

    return run_coroutine(run())


def test_flat_routes_answer_as_included_ones_in_the_same_order():
    flat, included = FastAPI(), FastAPI()
    include_flat(flat, _router("a"))
    include_flat(flat, _router("b"))  # shadowed by a's catch-all, as with include_router
    included.include_router(_router("a"))
    included.include_router(_router("b"))
    assert [r.path for r in flat.router.routes[-4:]] == ["/r/item/{item_id}", "/r/{rest:path}"] * 2
    requests = [("GET", "/r/item/7"), ("GET", "/r/x/y"), ("POST", "/r/item/7"), ("GET", "/nope")]
    answers = _answers(flat, requests)
    assert answers == _answers(included, requests)
    assert [status for status, _ in answers] == [200, 200, 405, 404]
    assert answers[1][1] == b'{"router":"a","rest":"x/y"}'


def test_a_router_that_includes_routers_is_included_the_usual_way():
    outer = APIRouter()
    outer.include_router(_router("inner"))
    app = FastAPI()
    before = len(app.router.routes)
    include_flat(app, outer)
    assert len(app.router.routes) == before + 1  # one inclusion, not the inner routes
    assert _answers(app, [("GET", "/r/item/3")]) == [(200, b'{"router":"inner","item":"3"}')]
