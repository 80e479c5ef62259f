"""Two origins (issue 13 item 2): the content origin serves the player and course files and nothing
else; the service origin serves the API and the LRS and no course file; each answers with its own
security headers."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import httpx
import pytest

from tests.builders.scorm import scorm12_zip
from tests.e2e.support import create_registration, import_course, launch_link


@pytest.fixture(scope="module")
def launched(live_server, tmp_path_factory):
    """A launched registration: (link, player page response, its config)."""
    course_id = import_course(live_server, tmp_path_factory.mktemp("origins"), scorm12_zip(
        "Origins", scos=[("sco1", "One", "one.html")]))
    reg = create_registration(live_server, course_id)
    link = launch_link(live_server, reg, redirect_on_exit_url="blank")
    page = httpx.get(link)
    assert page.status_code == 200, page.text
    config = json.loads(re.search(r'id="player-config">(.*?)</script>', page.text).group(1))
    return link, page, config


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_the_two_origins_differ(live_server):
    assert origin(live_server.content_url) != origin(live_server.service_url)
    assert live_server.base_url == live_server.service_url and live_server.api_url.startswith(live_server.service_url)


@pytest.mark.parametrize("path", ["/api/v2/ping", "/api/openapi.json", "/api/docs", "/api/v2/courses",
                                  "/lrs/{app}/about", "/lrs/{app}/statements", "/lrs/{app}/activities/state"])
def test_content_origin_serves_no_api_or_lrs_route(live_server, path):
    creds = live_server.default_app
    url = live_server.content_url + path.format(app=creds.app_id)
    answer = httpx.get(url, auth=(creds.app_id, creds.secret), headers={"X-Experience-API-Version": "1.0.3"})
    assert answer.status_code == 404, (path, answer.status_code, answer.text[:200])
    assert "pong" not in answer.text and "openapi" not in answer.text


def test_service_origin_serves_no_player_page_or_course_file(live_server, launched):
    link, _page, config = launched
    assert origin(link) == live_server.content_url
    path_and_query = link[len(live_server.content_url):]
    assert httpx.get(live_server.service_url + path_and_query).status_code == 404
    course_file = config["contentBase"] + "one.html"
    assert httpx.get(live_server.content_url + course_file).status_code == 200
    assert httpx.get(live_server.service_url + course_file).status_code == 404
    assert httpx.get(live_server.content_url + "/static/player/player.js").status_code == 200
    assert httpx.get(live_server.service_url + "/static/player/player.js").status_code == 404
    token = {"x-player-token": config["runtimeToken"]}
    assert httpx.get(live_server.content_url + "/player/runtime/start?activityId=sco1", headers=token).status_code == 200
    for method, path in (("GET", "/player/runtime/start?activityId=sco1"), ("POST", "/player/runtime/commit"),
                         ("POST", "/player/runtime/exit"), ("GET", "/player/exit/message")):
        assert httpx.request(method, live_server.service_url + path, headers=token).status_code == 404, path


def test_content_origin_sets_no_cookie_and_keeps_referrers_home(live_server, launched):
    link, page, config = launched
    token = {"x-player-token": config["runtimeToken"]}
    answers = [page, httpx.get(live_server.content_url + config["contentBase"] + "one.html"),
               httpx.get(live_server.content_url + "/static/player/player.js"),
               httpx.get(live_server.content_url + "/player/runtime/start?activityId=sco1", headers=token),
               httpx.post(live_server.content_url + "/player/runtime/commit", headers=token, content=json.dumps(
                   {"seq": 1, "activityId": "sco1", "runtime": {"core": {"lesson_status": "incomplete"}}})),
               httpx.get(live_server.content_url + "/player/exit/message"),
               httpx.get(live_server.content_url + "/no/such/path")]
    for answer in answers:
        assert "set-cookie" not in answer.headers, answer.url
        # The launch token sits in the player page's URL: no other origin may see it in a Referer.
        assert answer.headers.get("referrer-policy") in ("same-origin", "no-referrer"), answer.url
        assert answer.headers.get("x-content-type-options") == "nosniff", answer.url


SERVICE_PATHS = ["/api/v2/ping", "/api/v2/courses", "/api/v2/no/such/operation", "/api/openapi.json",
                 "/lrs/{app}/about", "/lrs/{app}/statements", "/player/launch", "/"]


@pytest.mark.parametrize("authenticated", [True, False])
@pytest.mark.parametrize("path", SERVICE_PATHS)
def test_service_origin_answers_with_security_headers(live_server, path, authenticated):
    creds = live_server.default_app
    answer = httpx.get(live_server.service_url + path.format(app=creds.app_id),
                       auth=(creds.app_id, creds.secret) if authenticated else None,
                       headers={"X-Experience-API-Version": "1.0.3"})
    csp = answer.headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, (path, answer.headers)
    assert answer.headers.get("referrer-policy") == "no-referrer"
    assert answer.headers.get("x-content-type-options") == "nosniff"
    assert "strict-transport-security" not in answer.headers  # the public URL is http
