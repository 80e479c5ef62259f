"""BuildRegistrationLaunchLink and the course preview links through the official client."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from coursehost.domain.registrations.launch_tokens import make_launch_token, read_launch_token
from tests.builders.scorm import scorm12_zip
from tests.contract.helpers import message, new_child_app
from tests.e2e.support import create_registration, import_course, launch_link


@pytest.fixture(scope="module")
def setup(live_server, tmp_path_factory):
    _, creds = new_child_app(live_server)
    course_id = import_course(live_server, tmp_path_factory.mktemp("c"), scorm12_zip(
        "Two SCOs", scos=[("sco1", "One", "one.html"), ("sco2", "Two", "two.html")]), creds)
    reg = create_registration(live_server, course_id, creds)
    return creds, course_id, reg


def reg_api(live_server, creds):
    return cloud.RegistrationApi(live_server.client(creds))


def test_link_points_at_the_player_and_opens_it(live_server, setup):
    creds, _, reg = setup
    link = launch_link(live_server, reg, creds, redirect_on_exit_url="message")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == live_server.content_url  # the content origin
    assert parts.path == "/player/launch" and "token" in parse_qs(parts.query)
    page = httpx.get(link)
    assert page.status_code == 200 and 'id="player-config"' in page.text


@pytest.mark.parametrize("expiry", [9, 301, 0, -5, 100000])
def test_expiry_out_of_range(live_server, setup, expiry):
    creds, _, reg = setup
    with pytest.raises(ApiException) as exc:
        launch_link(live_server, reg, creds, expiry=expiry)
    assert exc.value.status == 400 and message(exc.value) == "expiry is out of range"


@pytest.mark.parametrize("expiry", [10, 300])
def test_expiry_bounds_accepted(live_server, setup, expiry):
    creds, _, reg = setup
    token = parse_qs(urlsplit(launch_link(live_server, reg, creds, expiry=expiry)).query)["token"][0]
    req = read_launch_token(live_server.services.instance_key, token)
    assert abs(req.expires - time.time() - expiry) < 5


def test_default_expiry_is_120_and_options_are_carried(live_server, setup):
    creds, _, reg = setup
    link = launch_link(live_server, reg, creds, redirect_on_exit_url="https://example.com/done?x=1",
                       tracking=False, start_sco="sco2", culture="fr-FR", css_url="https://example.com/a.css")
    req = read_launch_token(live_server.services.instance_key, parse_qs(urlsplit(link).query)["token"][0])
    assert abs(req.expires - time.time() - 120) < 5
    assert req.tracking is False
    assert req.options == {"redirectOnExitUrl": "https://example.com/done?x=1", "startSco": "sco2",
                           "culture": "fr-FR", "cssUrl": "https://example.com/a.css"}


@pytest.mark.parametrize("kw, field", [
    ({"css_url": "ftp://x/y.css"}, "cssUrl"),
    ({"start_sco": "nope"}, "startSco"),
])
def test_bad_options(live_server, setup, kw, field):
    creds, _, reg = setup
    with pytest.raises(ApiException) as exc:
        launch_link(live_server, reg, creds, **kw)
    assert exc.value.status == 400 and field in message(exc.value)


def test_invalid_redirect_falls_back_to_the_message_page(live_server, setup):
    creds, _, reg = setup
    link = launch_link(live_server, reg, creds, redirect_on_exit_url="javascript:alert(1)")
    req = read_launch_token(live_server.services.instance_key, parse_qs(urlsplit(link).query)["token"][0])
    assert req.options["redirectOnExitUrl"] == "message"


def test_unknown_registration_is_404(live_server, setup):
    creds, _, _ = setup
    with pytest.raises(ApiException) as exc:
        reg_api(live_server, creds).build_registration_launch_link(
            "no-such-reg", cloud.LaunchLinkRequestSchema(redirect_on_exit_url=""))
    assert exc.value.status == 404
    assert message(exc.value) == "Registration [no-such-reg] not found"


def test_other_application_cannot_build_a_link(live_server, setup):
    _, _, reg = setup
    _, other = new_child_app(live_server)
    with pytest.raises(ApiException) as exc:
        launch_link(live_server, reg, other)
    assert exc.value.status == 404


def test_tampered_links_are_refused(live_server, setup):
    creds, _, reg = setup
    link = launch_link(live_server, reg, creds)
    token = parse_qs(urlsplit(link).query)["token"][0]
    body, mac = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (f"{flipped}.{mac}", f"{body}.{mac[:-1]}x", body, "garbage", ""):
        page = httpx.get(f"{live_server.content_url}/player/launch", params={"token": bad})
        assert page.status_code in (400, 403), bad
        assert "This launch link is not valid" in page.text
    # signed with another key
    forged = make_launch_token("x" * 48, registration_pk=1, application_pk=1, instance=0, options={},
                               tracking=True, expiry_seconds=60)
    assert httpx.get(f"{live_server.content_url}/player/launch", params={"token": forged}).status_code == 403


def test_expired_link_says_so(live_server, setup):
    key = live_server.services.instance_key
    old = make_launch_token(key, registration_pk=1, application_pk=1, instance=0, options={}, tracking=True,
                            expiry_seconds=10, now=time.time() - 60)
    page = httpx.get(f"{live_server.content_url}/player/launch", params={"token": old})
    assert page.status_code in (403, 410)
    assert "This launch link has expired. Ask for a new link." in page.text


def test_course_preview_links(live_server, setup):
    creds, course_id, _ = setup
    api = cloud.CourseApi(live_server.client(creds))
    link = api.build_course_preview_launch_link(course_id, cloud.LaunchLinkRequestSchema(redirect_on_exit_url="")).launch_link
    assert "/player/launch?token=" in link
    link0 = api.build_course_preview_launch_link_with_version(course_id, 0, cloud.LaunchLinkRequestSchema(redirect_on_exit_url="")).launch_link
    assert link0 != link
    assert httpx.get(link0).status_code == 200
    with pytest.raises(ApiException) as exc:
        api.build_course_preview_launch_link_with_version(course_id, 7, cloud.LaunchLinkRequestSchema(redirect_on_exit_url=""))
    assert exc.value.status == 404
    with pytest.raises(ApiException) as exc:
        api.build_course_preview_launch_link("no-such-course", cloud.LaunchLinkRequestSchema(redirect_on_exit_url=""))
    assert exc.value.status == 404
    with pytest.raises(ApiException) as exc:
        api.build_course_preview_launch_link(course_id, cloud.LaunchLinkRequestSchema(expiry=301, redirect_on_exit_url=""))
    assert exc.value.status == 400


def test_content_is_served_with_types_ranges_and_no_traversal(live_server, setup):
    creds, _, reg = setup
    page = httpx.get(launch_link(live_server, reg, creds)).text
    import json
    import re

    config = json.loads(re.search(r'id="player-config">(.*?)</script>', page).group(1))
    base = live_server.content_url + config["contentBase"]
    r = httpx.get(base + "one.html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["x-content-type-options"] == "nosniff"
    part = httpx.get(base + "one.html", headers={"Range": "bytes=2-5"})
    assert part.status_code == 206 and part.content == r.content[2:6]
    assert part.headers["content-range"] == f"bytes 2-5/{len(r.content)}"
    assert httpx.get(base + "one.html", headers={"Range": "bytes=99999-"}).status_code == 416
    import http.client

    host = urlsplit(live_server.content_url)
    for bad in ("../one.html", "..%2fone.html", "%2e%2e/%2e%2e/etc/passwd", "x/../../../etc/passwd", "missing.html",
                "..%5c..%5cone.html"):
        conn = http.client.HTTPConnection(host.hostname, host.port)  # sends the path as is
        conn.request("GET", config["contentBase"] + bad)
        answer = conn.getresponse()
        assert answer.status == 404, (bad, answer.status)
        conn.close()
    wrong_key = config["contentBase"].split("/")[2].split("-")[0] + "-0000"
    assert httpx.get(f"{live_server.content_url}/content/{wrong_key}/one.html").status_code == 404



def test_every_other_spelling_of_the_signature_is_refused(live_server, setup):
    creds, _, reg = setup
    token = parse_qs(urlsplit(launch_link(live_server, reg, creds)).query)["token"][0]
    body, mac = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for ch in alphabet.replace(mac[-1], ""):  # base64 ignores the last character's low bits
        page = httpx.get(f"{live_server.content_url}/player/launch", params={"token": f"{body}.{mac[:-1]}{ch}"})
        assert page.status_code == 403, ch
