"""The player's HTML pages: the player itself, messages (errors, exit pages)."""

from __future__ import annotations

import hashlib
import hmac
import html
import json
from functools import lru_cache
from pathlib import Path
from string import Template
from urllib.parse import quote

from starlette.responses import HTMLResponse

from coursehost.domain.crypto import derive_key

TEMPLATES = Path(__file__).with_name("templates")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                    "Referrer-Policy": "same-origin"}

# The Player* settings the browser code reads (settings.md); everything else stays on the server.
PLAYER_SETTINGS = [
    "PlayerLaunchType", "PlayerScoreOverridesStatus", "PlayerScoLaunchType", "PlayerCommCommitFrequency", "PlayerCommMaxFailedSubmissions",
    "PlayerFinishCausesImmediateCommit", "PlayerValidateInteractionResponses", "PlayerShowNavBar",
    "PlayerShowFinishButton", "PlayerShowCourseStructure", "PlayerCourseStructureStartsOpen",
    "PlayerCourseStructureWidth", "PlayerEnableChoiceNav", "PlayerEnableFlowNav", "PlayerShowTitleBar",
    "PlayerDesiredWidth", "PlayerDesiredHeight", "PlayerLogoutCausesPlayerExit",
    "PlayerDebugControlAudit", "PlayerDebugControlDetailed", "PlayerDebugRteAudit", "PlayerDebugRteDetailed",
    "PlayerDebugIncludeTimestamps", "PlayerPreventRightClick",
    "PlayerDebugSequencingAudit", "PlayerDebugSequencingDetailed", "PlayerDebugLookAheadAudit",
    "PlayerDebugLookAheadDetailed", "PlayerInvalidMenuItemAction", "PlayerLookaheadSequencerMode",
] + [f"Player{p}Sco{s}{m}ExitAction" for p in ("Intermediate", "Final") for s in ("Satisfied", "NotSatisfied")
     for m in ("Normal", "Suspend", "Timeout", "Logout")]


NEW_WINDOW_MODES = ("NEW_WINDOW", "NEW_WINDOW_AFTER_CLICK", "NEW_WINDOW_WITHOUT_BROWSER_TOOLBAR",
                    "NEW_WINDOW_AFTER_CLICK_WITHOUT_BROWSER_TOOLBAR")


@lru_cache(maxsize=8)
def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def message_page(title: str, text: str, status: int = 200, *, script: str | None = None) -> HTMLResponse:
    """A page with one message for the learner (errors, the exit pages)."""
    tag = f'<script src="{html.escape(script)}"></script>' if script else ""
    body = _template("message.html").substitute(title=html.escape(title), text=html.escape(text), script=tag)
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def player_page(config: dict, *, title: str) -> HTMLResponse:
    """The player page for CONFIG, with the scorm-again build of its run-time family."""
    family = config["scorm"]
    css = config.get("cssUrl")
    body = _template("player.html").substitute(
        lang=html.escape((config.get("culture") or "en").split(",")[0], quote=True),
        title=html.escape(title),
        extra_css=f'<link rel="stylesheet" href="{html.escape(css, quote=True)}">' if css else "",
        library="scorm12.min.js" if family == "1.2" else "scorm2004.min.js",
        # JSON inside <script>: no "<" can end the element early.
        config=json.dumps(config, separators=(",", ":")).replace("<", "\\u003c"),
    )
    return HTMLResponse(body, headers=SECURITY_HEADERS)


def launcher_page(*, title: str, mode: str, player_url: str, exit_url: str, redirect: str,
                  settings: dict) -> HTMLResponse:
    """The page a launch link opens when PlayerLaunchType puts the player in a new window."""
    def size(key: str, default: int) -> int:
        try:
            return max(200, min(10000, int(settings.get(key) or default)))
        except (TypeError, ValueError):
            return default
    config = {"mode": mode, "playerUrl": player_url, "exitUrl": exit_url, "redirect": redirect,
              "width": size("PlayerDesiredWidth", 1000), "height": size("PlayerDesiredHeight", 700)}
    body = _template("launcher.html").substitute(
        title=html.escape(title), config=json.dumps(config, separators=(",", ":")).replace("<", "\\u003c"))
    return HTMLResponse(body, headers=SECURITY_HEADERS)


@lru_cache(maxsize=8)
def _content_path_key(instance_key: str) -> bytes:
    return derive_key(instance_key, "content-path")


def content_key(instance_key: str, version_pk: int, generation: int | None = None) -> str:
    """The path segment naming a course version's files: '<pk>-<mac>' (not guessable from the pk),
    and '<pk>-<mac>-g<generation>' for the files of one content generation (cached as immutable)."""
    mac = hmac.new(_content_path_key(instance_key), str(version_pk).encode(), hashlib.sha256).hexdigest()
    return f"{version_pk}-{mac[:24]}" + ("" if generation is None else f"-g{generation}")


def read_content_key(instance_key: str, key: str) -> tuple[int, int | None] | None:
    """(course version pk, generation or None) a content key names, or None when it was not made here."""
    pk, _, rest = key.partition("-")
    mac, _, generation = rest.partition("-")
    if not pk.isdigit() or len(pk) > 12:
        return None
    if generation and not (generation[:1] == "g" and generation[1:].isdigit() and len(generation) <= 11):
        return None
    if not hmac.compare_digest(content_key(instance_key, int(pk)), f"{pk}-{mac}"):
        return None
    return int(pk), int(generation[1:]) if generation else None


def redirect_target(options: dict) -> str:
    """Where the player goes after exit: a URL, or our closer / blank / message page."""
    target = options.get("redirectOnExitUrl") or "message"
    if target in ("closer", "blank", "message"):
        return f"/player/exit/{target}"
    return target


STATE_LABELS = {"not attempted": "Not attempted", "attempted": "Attempted", "completed": "Completed",
                "passed": "Passed", "failed": "Failed", "satisfied": "Satisfied", "waived": "Waived"}


def _outline_items(nodes: list[dict], au_action: str) -> str:
    """The outline's nested list: a block's title and its children, an AU's button (a form POST
    that starts it) with its state, and for a satisfied AU a Review button (cmi5 launchMode Review)."""
    out = []
    for node in nodes:
        title = html.escape(node["title"])
        status = "satisfied" if node["satisfied"] else ""
        if node["kind"] == "block":
            out.append(f'<li class="block"><span class="block-title" data-status="{status}">{title}</span>'
                       f'<ol>{_outline_items(node["children"], au_action)}</ol></li>')
            continue
        target = html.escape(f"{au_action}&au={quote(node['id'], safe='')}", quote=True)
        states = " · ".join(STATE_LABELS.get(s, s) for s in node["states"])
        review = (f'<form method="post" action="{target}&amp;mode=Review"><button type="submit" class="review" '
                  f'aria-label="Review {title}">Review</button></form>' if node["satisfied"] and
                  "waived" not in node["states"] else "")
        out.append(f'<li class="au" data-au-id="{html.escape(node["id"], quote=True)}"><div class="au-row">'
                   f'<form method="post" action="{target}"><button type="submit" data-status="{status}">'
                   f'{title} <span class="au-state">({states})</span></button></form>{review}</div></li>')
    return "".join(out)


def outline_page(outline: dict, *, token: str, culture: str | None = None, css_url: str | None = None) -> HTMLResponse:
    """A multi-AU cmi5 course's outline (domain/cmi5/outline.py): pick an AU, see each one's state."""
    course = outline["course"]
    au_action = f"/player/cmi5/au?t={quote(token, safe='')}"
    done = course["satisfied"]
    body = _template("cmi5-outline.html").substitute(
        lang=html.escape((culture or "en").split(",")[0], quote=True), title=html.escape(outline["title"]),
        extra_css=f'<link rel="stylesheet" href="{html.escape(css_url, quote=True)}">' if css_url else "",
        exit_action=html.escape(f"/player/cmi5/exit?t={quote(token, safe='')}", quote=True),
        course_status="satisfied" if done else "",
        course_state="Course satisfied" if done else "Choose a lesson to start it.",
        tree=f'<ol id="toc-list">{_outline_items(course.get("children") or [], au_action)}</ol>')
    return HTMLResponse(body, headers=SECURITY_HEADERS)
