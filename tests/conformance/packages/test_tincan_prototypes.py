"""RusticiSoftware's Tin Can prototypes (TinCan_Prototypes) played in Chromium from official-client
launch links, driven as a learner would, with TinCanJS's build (the prototypes' empty submodule)
copied in when the package is zipped here. The statements must arrive in our LRS and the official
client's GetRegistrationProgress must show the result the statements say."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

from tests.conformance.packages.conftest import source
from tests.contract.helpers import LrsClient
from tests.e2e.support import create_registration, import_course, launch_link, progress

TETRIS = "http://id.tincanapi.com/activity/tincan-prototypes/tetris"
SKIP = (".git", ".DS_Store", "test_locations.js")


def package(name: str, tmp_path: Path, tincanjs_dir: str) -> bytes:
    """Prototype NAME zipped as make_prototype_packages.sh does, TinCanJS/build filled in."""
    root = tmp_path / name
    shutil.copytree(source("tincan_prototypes") / name, root, ignore=shutil.ignore_patterns(*SKIP))
    build = root / tincanjs_dir / "build"
    build.mkdir(parents=True, exist_ok=True)
    shutil.copy(source("tincanjs") / "build" / "tincan-min.js", build / "tincan-min.js")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())
    return out.getvalue()


def statements(live_server, registration: str) -> list[dict]:
    with LrsClient(live_server, "1.0.3") as lrs:
        answer = lrs.get("statements", params={"registration": registration, "limit": "500"})
        assert answer.status_code == 200, answer.text
        return answer.json()["statements"]


def content_frame(page, path: str):
    for _ in range(600):
        frame = next((f for f in page.frames if path in f.url), None)
        if frame is not None:
            return frame
        page.wait_for_timeout(50)
    raise AssertionError([f.url for f in page.frames])


def launch(live_server, context, tmp_path, name: str, tincanjs_dir: str):
    course = import_course(live_server, tmp_path, package(name, tmp_path, tincanjs_dir))
    reg = create_registration(live_server, course)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the prototypes confirm() and prompt()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    return reg, page


def wait_for_progress(live_server, reg: str, page, completion: str = "COMPLETED"):
    for _ in range(120):
        got = progress(live_server, reg)
        if got.registration_completion == completion:
            return got
        page.wait_for_timeout(250)
    return got


def test_golf_example(live_server, context, tmp_path):
    """Every page with Next, then the assessment answered right and submitted: passed with a score
    about the course, then Save & Exit (terminated)."""
    reg, page = launch(live_server, context, tmp_path, "GolfExample_TCAPI", "scripts/TinCanJS")
    course = content_frame(page, "/index.html")
    course.wait_for_selector("#butNext")
    for _ in range(14):
        course.click("#butNext")
    test = content_frame(page, "/assessmenttemplate.html")
    test.wait_for_selector("#frmTest")
    test.evaluate("""() => {
      document.querySelectorAll('.correctAnswer input[type=radio]').forEach((r) => { r.checked = true; });
      document.querySelectorAll('.correctAnswer input[type=text]').forEach((t) => {
        t.value = t.parentElement.textContent.match(/\\((\\d+)\\)/)[1]; });
    }""")
    test.locator("input[type=button], button").filter(has_text="Submit").first.click() \
        if test.locator("button").filter(has_text="Submit").count() else test.evaluate("SubmitAnswers()")
    test.wait_for_selector("text=Score: 100")
    got = wait_for_progress(live_server, reg, page)
    assert (got.registration_completion, got.registration_success) == ("COMPLETED", "PASSED")
    assert got.score.scaled == 100
    course.click("#exitButton")
    verbs = {s["verb"]["id"].rsplit("/", 1)[-1] for s in statements(live_server, got.xapi_registration_id)}
    assert {"initialized", "attempted", "answered", "passed"} <= verbs, verbs


def test_js_tetris(live_server, context, tmp_path):
    """A new game, pieces dropped (space) until the board fills: the game's completed statement
    about the course's activity, with its score."""
    reg, page = launch(live_server, context, tmp_path, "JsTetris_TCAPI", "TinCanJS")
    game = content_frame(page, "/tetris.html")
    game.wait_for_selector("#tetris-menu-start")
    game.click("#tetris-menu-start")
    for _ in range(400):
        game.evaluate("document.onkeydown({keyCode: 32})")
        page.wait_for_timeout(50)
        if game.evaluate("!document.getElementById('tetris-gameover') || "
                         "document.getElementById('tetris-gameover').style.display === 'block'"):
            break
    got = wait_for_progress(live_server, reg, page)
    assert got.registration_completion == "COMPLETED", got
    found = statements(live_server, got.xapi_registration_id)
    verbs = {s["verb"]["id"].rsplit("/", 1)[-1] for s in found}
    assert {"initialized", "attempted", "completed"} <= verbs, verbs
    assert any(s["verb"]["id"].endswith("/completed") and s["object"]["id"] == TETRIS
               and "raw" in s["result"]["score"] for s in found)


# Locator loads the Google Maps API from maps.googleapis.com, which this machine cannot reach: the
# test answers that one URL with the few constructors the prototype calls (a stand-in for a third
# party's map, not for any part of ours); the locations, the geolocation and the LRS are real.
MAPS_STUB = """window.google = {maps: {
  LatLng: function (lat, lng) { this.lat = () => +lat; this.lng = () => +lng; },
  Map: function () { this.panTo = this.setCenter = function () {}; }, Size: function () {}, MapTypeId: {ROADMAP: "roadmap"},
  Marker: function () { this.setIcon = this.setPosition = this.setMap = function () {}; },
  InfoWindow: function () { this.open = this.close = function () {}; },
  event: {addListener: function () {}}}};"""


def test_locator(live_server, context, tmp_path):
    """The Nashville museums tour: at each museum (the browser's geolocation set there) the
    learner clicks Save Location ("was at"); with every museum visited the prototype says completed."""
    context.route("http://maps.googleapis.com/**", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=MAPS_STUB))
    context.grant_permissions(["geolocation"], origin=live_server.content_url)
    context.set_geolocation({"latitude": 36.2, "longitude": -86.7})  # in Nashville, at no museum
    reg, page = launch(live_server, context, tmp_path, "Locator_TCAPI", "scripts/TinCanJS")
    tour = content_frame(page, "/index.html")
    tour.wait_for_selector(".loc")
    places = tour.evaluate("Scavenger.config.Placemarks.map((p) => [p.name, +p.lat, +p.lng])")
    assert len(places) == 5
    for name, lat, lng in places:
        context.set_geolocation({"latitude": lat, "longitude": lng})
        tour.wait_for_selector(f'.loc.onPlacemark[name="{name}"]', timeout=30000)
        tour.locator(f'.loc[name="{name}"] .btnSaveLocationToLRS').click()
    tour.wait_for_selector(".exerciseComplete", state="visible")
    got = wait_for_progress(live_server, reg, page)
    assert got.registration_completion == "COMPLETED", got
    found = statements(live_server, got.xapi_registration_id)
    assert sum(s["verb"]["id"].endswith("/at") for s in found) == 5
    assert any(s["verb"]["id"].endswith("/completed") for s in found)
