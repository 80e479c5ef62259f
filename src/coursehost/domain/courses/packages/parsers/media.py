"""A single PDF, MP4 or MP3 becomes a one-AU cmi5 course played through a viewer page we write.

Public API:
    detect_media(head, filename, declared_type) -> "application/pdf" | "video/mp4" | "audio/mpeg" | None
    build_media_course(*, media_href, media_type, title, description=None, language=None,
                       filename=None) -> (ParsedCourse, {"index.html": bytes})

The viewer (index.html) embeds the media (PDF: <iframe>, video: <video controls>, audio: <audio
controls>) and is a minimal cmi5 AU: from the launch query (endpoint, fetch, actor,
registration, activityId; cmi5 8.1) it POSTs to fetch for the auth token (8.2), reads
LMS.LaunchData (10.0) for the context template and launch mode, sends "initialized", then
"completed" when the video / audio ends or, for a PDF, when the learner presses "Mark as
complete" or has had it open PDF_SECONDS (not in Browse / Review mode, 9.3), and "terminated" on
pagehide. Opened without launch parameters (a preview) it only shows the media; no request is
made and nothing can break the page.

Every inserted value is escaped: html.escape for markup, JSON with <, >, & and the JS line
separators escaped for the script.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any
from urllib.parse import quote, urlsplit

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import AGGREGATION, CMI5, SCO, Activity, CourseMetadata, ParsedCourse

PDF, MP4, MP3 = "application/pdf", "video/mp4", "audio/mpeg"
MEDIA_TYPES = (PDF, MP4, MP3)
VIEWER = "index.html"
PDF_SECONDS = 20
_EXT = {".pdf": PDF, ".mp4": MP4, ".m4v": MP4, ".mp3": MP3}
_ACTIVITY_TYPE = {PDF: "http://adlnet.gov/expapi/activities/file",
                  MP4: "https://w3id.org/xapi/video/activity-type/video",
                  MP3: "http://adlnet.gov/expapi/activities/media"}
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def detect_media(head: bytes, filename: str | None, declared_type: str | None) -> str | None:
    """The media type of a file starting with HEAD (its first bytes; 64 suffice) when it is a PDF,
    an MP4 or an MP3, else None. The content decides; the name and declared type only allow a
    slightly later signature (a PDF with junk before %PDF-, an MP3 with junk before its first
    frame); they never make a file media on their own."""
    head = head or b""
    if head.startswith(b"%PDF-"):
        return PDF
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return MP4
    if head.startswith(b"ID3") or _mpeg_frame(head, 0):
        return MP3
    hint = _hint(filename, declared_type)
    if hint == PDF and b"%PDF-" in head[:1024]:
        return PDF
    if hint == MP3 and any(_mpeg_frame(head, i) for i in range(min(len(head) - 3, 1024))):
        return MP3
    return None


def _mpeg_frame(head: bytes, i: int) -> bool:
    """An MPEG audio frame header at I: 11 sync bits, a defined version, layer I-III, a bitrate
    index other than 'bad' and a defined sample rate (ADTS AAC, layer 00, is excluded)."""
    if len(head) < i + 4 or head[i] != 0xFF or head[i + 1] & 0xE0 != 0xE0:
        return False
    version = (head[i + 1] >> 3) & 0x03
    layer = (head[i + 1] >> 1) & 0x03
    bitrate = head[i + 2] >> 4
    rate = (head[i + 2] >> 2) & 0x03
    return version != 1 and layer != 0 and bitrate != 0x0F and rate != 0x03


def _hint(filename: str | None, declared_type: str | None) -> str | None:
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    if declared in ("audio/mp3", "audio/mpeg3", "audio/x-mp3"):
        declared = MP3
    if declared in MEDIA_TYPES:
        return declared
    name = (filename or "").lower()
    for ext, media_type in _EXT.items():
        if name.endswith(ext):
            return media_type
    return None


def build_media_course(*, media_href: str, media_type: str, title: str | None,
                       description: str | None = None, language: str | None = None,
                       filename: str | None = None,
                       course_id: str | None = None) -> tuple[ParsedCourse, dict[str, bytes]]:
    """The cmi5 course for one media file and the viewer page to store beside it.

    media_href: the media file's name in the course's folder ("lecture.mp4", %-encoded here) or
    an absolute http(s) URL for remote media. course_id: the course IRI (default: a new urn:uuid).
    """
    if media_type not in MEDIA_TYPES:
        raise PackageError(f"A media course must be a PDF, an MP4 or an MP3, not '{media_type}'")
    src = _media_src(media_href)
    name = (filename or media_href.rsplit("/", 1)[-1].split("?", 1)[0] or "").strip()
    course_title = " ".join((title or "").split()) or name or "Media"
    description = (description or "").strip() or None
    language = (language or "").strip() or None
    course_id = course_id or f"urn:uuid:{uuid.uuid4()}"
    au_id = f"urn:uuid:{uuid.uuid4()}"
    au = Activity(
        id=au_id, title=course_title, activity_type=SCO, href=VIEWER,
        data={"moveOn": "Completed", "masteryScore": None, "launchMethod": "AnyWindow",
              "launchParameters": None, "entitlementKey": None,
              "activityType": _ACTIVITY_TYPE[media_type], "url": VIEWER},
    )
    root = Activity(id=course_id, title=course_title, activity_type=AGGREGATION, children=[au])
    parsed = ParsedCourse(
        learning_standard=CMI5, title=course_title, root=root,
        languages=[language] if language else [],
        metadata=CourseMetadata(title=course_title, title_language=language, description=description,
                                description_language=language if description else None),
        activity_id=course_id,
        extra={"mediaType": media_type, "mediaHref": media_href},
    )
    page = viewer_page(src=src, media_type=media_type, title=course_title, description=description,
                       language=language, filename=name or None)
    return parsed, {VIEWER: page}


def _media_src(media_href: str) -> str:
    href = (media_href or "").strip()
    if not href:
        raise PackageError("A media course needs the media file's name or URL")
    if _SCHEME.match(href):
        parts = urlsplit(href)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise PackageError(f"A media URL must start with http:// or https:// (got '{href}')")
        return href
    if href.startswith("//") or ".." in href.split("/"):
        raise PackageError(f"'{href}' is not a file name inside the course")
    return quote(href.lstrip("/"), safe="/")


def _js(value: Any) -> str:
    """VALUE as a JSON literal safe inside <script> (no </script>, <!--, or JS line separators)."""
    return (json.dumps(value, ensure_ascii=False)
            .replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def viewer_page(*, src: str, media_type: str, title: str, description: str | None = None,
                language: str | None = None, filename: str | None = None) -> bytes:
    """The viewer HTML (UTF-8). SRC must already be URL-encoded; everything is escaped here."""
    e = html.escape
    if media_type == PDF:
        player = (f'<iframe id="media" class="pdf" src="{e(src)}" title="{e(title)}"></iframe>\n'
                  f'<p class="fallback"><a href="{e(src)}" target="_blank" rel="noopener">'
                  f'Open {e(filename or "the PDF")} in a new window</a></p>\n'
                  '<p><button type="button" id="complete" hidden>Mark as complete</button></p>')
    elif media_type == MP4:
        player = (f'<video id="media" controls preload="metadata" playsinline src="{e(src)}">'
                  f'<a href="{e(src)}">Download the video</a></video>')
    else:
        player = (f'<audio id="media" controls preload="metadata" src="{e(src)}">'
                  f'<a href="{e(src)}">Download the audio</a></audio>')
    lang_attr = f' lang="{e(language)}"' if language else ""
    desc = f'<p class="description">{e(description)}</p>\n' if description else ""
    config = _js({"kind": {PDF: "pdf", MP4: "video", MP3: "audio"}[media_type], "pdfSeconds": PDF_SECONDS})
    page = _TEMPLATE.replace("{LANG}", lang_attr).replace("{TITLE}", e(title)) \
        .replace("{DESCRIPTION}", desc).replace("{PLAYER}", player).replace("{CONFIG}", config)
    return page.encode("utf-8")


_TEMPLATE = """<!DOCTYPE html>
<html{LANG}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE}</title>
<style>
html, body { margin: 0; height: 100%; font-family: system-ui, sans-serif; background: #f6f7f9; color: #1d2330; }
main { box-sizing: border-box; display: flex; flex-direction: column; height: 100%; padding: 1rem; gap: .5rem; }
h1 { font-size: 1.25rem; margin: 0; }
.description { margin: 0; }
video, audio { width: 100%; max-height: 80vh; background: #000; }
audio { background: transparent; }
iframe.pdf { flex: 1; width: 100%; min-height: 70vh; border: 1px solid #ccd; background: #fff; }
.status { font-size: .875rem; color: #556; min-height: 1.2em; margin: 0; }
button { font: inherit; padding: .4rem 1rem; }
</style>
</head>
<body>
<main>
<h1>{TITLE}</h1>
{DESCRIPTION}{PLAYER}
<p class="status" id="status" aria-live="polite"></p>
</main>
<script>
(function () {
  "use strict";
  var CONFIG = {CONFIG};
  var VERBS = {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    terminated: "http://adlnet.gov/expapi/verbs/terminated"
  };
  var CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  var MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon";
  var media = document.getElementById("media");
  var button = document.getElementById("complete");
  var statusEl = document.getElementById("status");
  var started = Date.now();
  var lms = null, chain = null, ready = false, completed = false, terminated = false, launchMode = "Normal";

  function say(text) { if (statusEl) { statusEl.textContent = text; } }
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = Math.random() * 16 | 0; return (c === "x" ? r : (r & 3 | 8)).toString(16);
    });
  }
  function duration() { return "PT" + (Math.max(0, Date.now() - started) / 1000).toFixed(2) + "S"; }
  function clone(o) { try { return JSON.parse(JSON.stringify(o || {})); } catch (e) { return {}; } }

  function readLaunch() {
    var q = new URLSearchParams(window.location.search);
    var p = { endpoint: q.get("endpoint"), fetch: q.get("fetch"), actor: q.get("actor"),
              registration: q.get("registration"), activityId: q.get("activityId") };
    if (!p.endpoint || !p.fetch || !p.actor || !p.registration || !p.activityId) { return null; }
    try { p.actor = JSON.parse(p.actor); } catch (e) { return null; }
    if (p.endpoint.charAt(p.endpoint.length - 1) !== "/") { p.endpoint += "/"; }
    return p;
  }

  function xapi(method, path, body, keepalive) {
    var init = { method: method, headers: { "Authorization": "Basic " + lms.token,
                 "X-Experience-API-Version": "1.0.3" }, keepalive: !!keepalive };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(lms.endpoint + path, init);
  }

  function statement(verb, result, moveOn) {
    var context = clone(lms.contextTemplate);
    context.registration = lms.registration;
    context.contextActivities = context.contextActivities || {};
    var cats = context.contextActivities.category || [];
    cats.push({ id: CMI5_CATEGORY, objectType: "Activity" });
    if (moveOn) { cats.push({ id: MOVEON_CATEGORY, objectType: "Activity" }); }
    context.contextActivities.category = cats;
    var s = { id: uuid(), timestamp: new Date().toISOString(), actor: lms.actor,
              verb: { id: VERBS[verb], display: { "en-US": verb } },
              object: { id: lms.activityId, objectType: "Activity" }, context: context };
    if (result) { s.result = result; }
    return s;
  }

  function send(verb, result, moveOn, keepalive) {
    if (!ready) { return; }
    var body = statement(verb, result, moveOn);
    chain = (chain || Promise.resolve()).then(function () {
      return xapi("POST", "statements", body, keepalive);
    }).then(function (r) { if (r && !r.ok) { say("Progress could not be saved (" + r.status + ")."); } })
      .catch(function () { say("Progress could not be saved."); });
  }

  function complete() {
    if (completed) { return; }
    completed = true;
    if (button) { button.disabled = true; button.textContent = "Completed"; }
    if (!ready || launchMode !== "Normal") { return; }
    send("completed", { completion: true, duration: duration() }, true);
    say("Completed.");
  }

  function terminate() {
    if (!ready || terminated) { return; }
    terminated = true;
    send("terminated", { duration: duration() }, false, true);
  }

  function wireCompletion() {
    if (CONFIG.kind === "pdf") {
      if (button) { button.hidden = false; button.addEventListener("click", complete); }
      var seen = 0, timer = setInterval(function () {
        if (document.visibilityState === "visible") { seen += 1; }
        if (seen >= CONFIG.pdfSeconds) { clearInterval(timer); complete(); }
      }, 1000);
    } else if (media) {
      media.addEventListener("ended", complete);
    }
  }

  function start(p) {
    var auth = fetch(p.fetch, { method: "POST" }).then(function (r) { return r.json(); });
    chain = auth.then(function (data) {
      if (!data || !data["auth-token"]) { throw new Error((data && data["error-text"]) || "no token"); }
      lms = { token: data["auth-token"], endpoint: p.endpoint, actor: p.actor,
              registration: p.registration, activityId: p.activityId, contextTemplate: {} };
      var q = "activities/state?stateId=LMS.LaunchData&activityId=" + encodeURIComponent(p.activityId) +
              "&agent=" + encodeURIComponent(JSON.stringify(p.actor)) +
              "&registration=" + encodeURIComponent(p.registration);
      return xapi("GET", q).then(function (r) { return r.ok ? r.json() : {}; }).catch(function () { return {}; });
    }).then(function (launchData) {
      launchData = launchData || {};
      lms.contextTemplate = launchData.contextTemplate || {};
      launchMode = launchData.launchMode || "Normal";
      // cmi5 11.0: the learner preferences are read before initialized.
      return xapi("GET", "agents/profile?profileId=cmi5LearnerPreferences&agent=" +
                  encodeURIComponent(JSON.stringify(p.actor))).catch(function () {});
    }).catch(function () {
      lms = null;
      say("This page was opened without a working connection to the learning platform; progress is not recorded.");
    }).then(function () {
      if (!lms) { return; }
      ready = true;
      send("initialized");
      if (completed && launchMode === "Normal") {
        send("completed", { completion: true, duration: duration() }, true);
      }
    });
  }

  try {
    wireCompletion();
    var launch = readLaunch();
    if (launch) { start(launch); }
    window.addEventListener("pagehide", terminate);
  } catch (e) {
    say("");
  }
})();
</script>
</body>
</html>
"""
