"""In Chromium, a SCO that is open while a file of its course is replaced keeps working: its
relative URLs still name the generation it was launched with (cached copies stay generation 1's,
a file it had not fetched yet comes as the current bytes, never kept); a new launch gets the next
generation's URLs and the new bytes (issue 21, docs/PLAYER.md "Content generations")."""

from __future__ import annotations

from tests.builders.scorm import scorm12_zip
from tests.contract.courses import course_api
from tests.e2e.support import create_registration, import_course, launch_link, progress
from tests.e2e.test_player_scorm12 import content_frame, wait_for

SCO = """<!DOCTYPE html><html><head><title>gen</title><script>
window.load = async (name) => { const r = await fetch(name); return [await r.text(), r.headers.get("cache-control")]; };
window.finish = () => { const api = window.parent.API; api.LMSInitialize("");
  api.LMSSetValue("cmi.core.lesson_status", "completed"); return api.LMSFinish(""); };
</script></head><body>gen</body></html>"""


def test_an_open_sco_keeps_working_when_its_files_change(live_server, context, tmp_path):
    course_id = import_course(live_server, tmp_path, scorm12_zip(
        "Generations", scos=[("sco1", "SCO", "one.html")],
        extra_files={"one.html": SCO, "data.txt": "old data", "later.txt": "old later"}))
    reg = create_registration(live_server, course_id)
    page = context.new_page()
    page.goto(launch_link(live_server, reg, redirect_on_exit_url="message"))
    sco = content_frame(page, "one.html")
    assert "-g1/" in sco.url
    assert sco.evaluate("() => load('data.txt')") == ["old data", "public, max-age=31536000, immutable"]

    api = course_api(live_server)
    for name, text in (("data.txt", "new data"), ("later.txt", "new later")):
        (tmp_path / name).write_text(text)
        api.upload_course_version_asset_file(course_id, 0, name, file=str(tmp_path / name), update_asset_policy="lax")

    # The open SCO: what it already had stays generation 1's; what it fetches now is the current file,
    # revalidated on each use; and it still reaches the run-time API.
    assert sco.evaluate("() => load('data.txt')")[0] == "old data"
    assert sco.evaluate("() => load('later.txt')") == ["new later", "no-cache"]
    assert sco.evaluate("() => window.finish()") == "true"
    assert wait_for(lambda: progress(live_server, reg).registration_completion == "COMPLETED")

    # A new launch: generation 3 (two replacements), the new bytes, immutable again.
    second = context.new_page()
    second.goto(launch_link(live_server, create_registration(live_server, course_id, learner_id="learner-2"),
                            redirect_on_exit_url="message"))
    fresh = content_frame(second, "one.html")
    assert "-g3/" in fresh.url
    assert fresh.evaluate("() => load('data.txt')") == ["new data", "public, max-age=31536000, immutable"]
