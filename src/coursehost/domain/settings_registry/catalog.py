"""Every configuration setting we know: its default, data type, valid values and where it may be set.

The wire names (data types, levels, variants, learning standards) are the strings that go out in
the official client's SettingMetadata model, so they are spelled exactly as the API spells them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from coursehost.domain.errors import InvalidInput

# Levels a value may be set at, least to most specific. "dispatchDestination" is in the wire enum of
# SettingItem.effectiveValueSource between learningStandardForApplication and course, so it ranks there.
LEVELS = (
    "application", "learningStandardForApplication", "dispatchDestination", "course", "dispatch",
    "registration",
)
DATA_TYPES = ("string", "bool", "int", "number", "enum", "url", "pixels", "ms", "minutes")
VARIANTS = ("singleScoOnly", "multiScoOnly", "either")

SCORM12_FAMILY = ("SCORM11", "SCORM12", "AICC")
SCORM2004 = ("SCORM20042NDEDITION", "SCORM20043RDEDITION", "SCORM20044THEDITION")
SCORM_AND_AICC = ("SCORM11", "SCORM12", *SCORM2004, "AICC")
ALL_STANDARDS: tuple[str, ...] = ()  # empty on the wire means "not limited to certain standards"

_INTEGER_TYPES = frozenset({"int", "pixels", "ms", "minutes"})
_MAX_INT = 2**31 - 1  # what every consumer (and a 32-bit column) can hold


class UnknownSettingError(InvalidInput):
    """A setting id that is not in the catalog."""


class SettingValueError(InvalidInput):
    """A value a setting does not accept; the message names the setting and what it allows."""


@dataclass(frozen=True)
class SettingDefinition:
    """One setting as SettingMetadata describes it."""

    id: str
    default: str
    data_type: str
    description: str
    level: str
    learning_standards: tuple[str, ...]
    variant: str
    fallback: str | None
    valid_values: tuple[tuple[str, str], ...]


CATALOG: dict[str, SettingDefinition] = {}


def _add(
    setting_id: str,
    default: str,
    data_type: str,
    description: str,
    *,
    level: str = "registration",
    standards: tuple[str, ...] = ALL_STANDARDS,
    variant: str = "either",
    fallback: str | None = None,
    values: tuple[tuple[str, str], ...] = (),
) -> None:
    if setting_id in CATALOG:
        raise RuntimeError(f"setting {setting_id} defined twice")
    CATALOG[setting_id] = SettingDefinition(
        setting_id, default, data_type, description, level, standards, variant, fallback, values
    )


_BOOL = (("true", "Yes."), ("false", "No."))


def _bool(setting_id: str, default: bool, description: str, **kw) -> None:
    _add(setting_id, "true" if default else "false", "bool", description, values=_BOOL, **kw)


def _enum(setting_id: str, default: str, description: str, values, **kw) -> None:
    _add(setting_id, default, "enum", description, values=tuple(values), **kw)


# ---------------------------------------------------------------- postbacks (registration level)

_add("ApiRollupRegistrationPostBackUrl", "", "url",
     "The URL that receives a registration's progress (a postback) whenever it changes; unset sends none.")
_enum("ApiRollupRegistrationAuthType", "form",
      "How postbacks authenticate to the receiving URL.", (
          ("form", "User name and password travel as form fields in the request body."),
          ("httpbasic", "User name and password travel in an HTTP Basic Authorization header."),
      ))
_add("ApiRollupRegistrationAuthUser", "", "string", "The user name sent with postbacks.")
_add("ApiRollupRegistrationAuthPassword", "", "string", "The password sent with postbacks.")
_enum("ApiRollupRegistrationFormat", "course",
      "How much of the registration's progress each postback carries.", (
          ("course", "The registration summary only."),
          ("activity", "The summary plus the status of every activity."),
          ("full", "Everything, including run-time data and interactions."),
      ))
_bool("ApiRollupRegistrationIsJson", True,
      "Whether postbacks are sent as JSON (true) or in the legacy XML format (false).")

# ---------------------------------------------------------------- launching

_WINDOWS = (
    ("FRAMESET", "In the same window, inside a frame."),
    ("NEW_WINDOW", "In a new window opened at once."),
    ("NEW_WINDOW_AFTER_CLICK", "In a new window opened when the learner clicks (pop-up blockers allow it)."),
    ("NEW_WINDOW_WITHOUT_BROWSER_TOOLBAR", "In a new window without browser toolbars, opened at once."),
    ("NEW_WINDOW_AFTER_CLICK_WITHOUT_BROWSER_TOOLBAR",
     "In a new window without browser toolbars, opened when the learner clicks."),
)
_enum("PlayerLaunchType", "FRAMESET", "How the launch link opens the player.", _WINDOWS)
_enum("PlayerScoLaunchType", "FRAMESET", "How the player opens each SCO or lesson.", _WINDOWS)
_enum("WhenToRestartRegistration", "NEVER",
      "When launching an existing registration starts a new instance of it, usually to move the "
      "learner onto a newer course version.", (
          ("NEVER", "Never; the registration keeps the course version it started on."),
          ("WHEN_EXISTING_REG_IS_COMPLETE_AND_NEWER_COURSE_VERSION",
           "When the registration is complete and a newer course version exists."),
          ("WHEN_NEWER_COURSE_VERSION", "Whenever a newer course version exists."),
          ("WHEN_EXISTING_REG_IS_COMPLETE", "Whenever the registration is complete."),
          ("WHEN_EXISTING_REG_IS_SATISFIED", "Whenever the registration is satisfied (passed)."),
          ("WHEN_EXISTING_REG_IS_SATISFIED_AND_NEWER_COURSE_VERSION",
           "When the registration is satisfied and a newer course version exists."),
          ("WHEN_EXISTING_REG_IS_INCOMPLETE_AND_NEWER_COURSE_VERSION",
           "When the registration is not complete and a newer course version exists."),
      ), level="course")

# ---------------------------------------------------------------- run-time data

_enum("PlayerResetRunTimeData", "WHEN_EXIT_IS_NOT_SUSPEND",
      "When a SCO's run-time data is cleared so that its next launch starts a fresh attempt.", (
          ("NEVER", "Never; data is kept from launch to launch."),
          # SCORM 2004 4th Ed. RTE 4.2.8: an exit other than suspend ends the attempt.
          ("WHEN_EXIT_IS_NOT_SUSPEND", "When the SCO last exited without suspending."),
          ("ON_EACH_NEW_SEQUENCING_ATTEMPT", "Whenever sequencing begins a new attempt on the activity."),
      ), standards=SCORM_AND_AICC)
# SCORM 2004 4th Ed. RTE 4.2.28 sets the smallest permitted maximum of cmi.suspend_data at 64000
# characters; SCORM 1.2 said 4096, but content written for 1.2 routinely stores more.
_add("PlayerSuspendDataMaxLength", "64000", "int",
     "The longest suspend_data, in characters, the player accepts from a SCO.", standards=SCORM_AND_AICC)

# ---------------------------------------------------------------- rollup (multi-SCO SCORM 1.2 / AICC)

_enum("PlayerStatusRollupModeValue", "STATUS_PROVIDED_BY_COURSE",
      "How the overall completion of a multi-SCO SCORM 1.2 or AICC course is derived from its SCOs.", (
          ("STATUS_PROVIDED_BY_COURSE", "The course's own rollup rules decide."),
          ("COMPLETE_WHEN_ALL_UNITS_COMPLETE", "Complete when every SCO is complete."),
          ("COMPLETE_WHEN_ALL_UNITS_COMPLETE_AND_NOT_FAILED",
           "Complete when every SCO is complete and none has failed."),
          ("COMPLETE_WHEN_THRESHOLD_SCORE_IS_MET",
           "Complete when the rolled-up score reaches PlayerStatusRollupModeThresholdScore."),
          ("COMPLETE_WHEN_ALL_UNITS_COMPLETE_AND_THRESHOLD_SCORE_IS_MET",
           "Complete when every SCO is complete and the rolled-up score reaches the threshold."),
          ("COMPLETE_WHEN_ALL_UNITS_ARE_PASSED", "Complete when every SCO has passed."),
      ), standards=SCORM12_FAMILY, variant="multiScoOnly")
_add("PlayerStatusRollupModeThresholdScore", "80", "number",
     "The rolled-up score (0 to 100) at which the threshold modes of PlayerStatusRollupModeValue "
     "count the course as complete.", standards=SCORM12_FAMILY, variant="multiScoOnly")
_enum("PlayerScoreRollupModeValue", "SCORE_PROVIDED_BY_COURSE",
      "How the overall score of a multi-SCO SCORM 1.2 or AICC course is derived from its SCOs' scores.", (
          ("SCORE_PROVIDED_BY_COURSE", "The course's own rollup rules decide."),
          ("AVERAGE_SCORE_OF_ALL_UNITS", "The average over every SCO, a SCO without a score counting as 0."),
          ("AVERAGE_SCORE_OF_ALL_UNITS_WITH_SCORES", "The average over the SCOs that reported a score."),
          ("FIXED_AVERAGE", "The sum of the SCO scores divided by PlayerScoreRollupModeNumberOfScoringObjects."),
          ("AVERAGE_SCORE_OF_ALL_UNITS_WITH_NONZERO_SCORES",
           "The average over the SCOs that reported a score above zero."),
          ("LAST_SCO_SCORE", "The score of the SCO that reported one last."),
      ), standards=SCORM12_FAMILY, variant="multiScoOnly")
_add("PlayerScoreRollupModeNumberOfScoringObjects", "1", "int",
     "The divisor of the FIXED_AVERAGE score rollup.", standards=SCORM12_FAMILY, variant="multiScoOnly")
# SCORM 1.2 RTE 3.4.4 (cmi.student_data.mastery_score): the LMS may set passed/failed from the score.
_bool("PlayerScoreOverridesStatus", False,
      "Whether a SCO's score compared with its mastery score decides passed or failed, overriding the "
      "status the SCO reports.", standards=SCORM12_FAMILY)
_bool("PlayerApplyRollupStatusToSuccess", False,
      "Whether the rolled-up status of a multi-SCO SCORM 1.2 or AICC course also sets its success "
      "(passed or failed), not only its completion.", standards=SCORM12_FAMILY, variant="multiScoOnly")
# SCORM 2004 4th Ed. SN 4.6: rollup over children that contribute nothing is vacuous.
_bool("PlayerRollupEmptySetToUnknown", True,
      "Whether rolling up an activity whose children contribute nothing gives unknown instead of the "
      "vacuous all-children-satisfied result.", standards=SCORM2004, variant="multiScoOnly")
_bool("PlayerScaleRawScore", False,
      "Whether the player derives a scaled score from the raw, min and max scores when a SCO reports "
      "no scaled score.", standards=SCORM_AND_AICC)
_bool("PlayerAllowCompleteStatusChange", True,
      "Whether a SCO may change a lesson status that is already completed or passed.",
      standards=SCORM12_FAMILY)
_bool("PlayerFirstScoIsPretest", False,
      "Whether passing the first SCO completes the whole course, as a pre-test.",
      standards=SCORM12_FAMILY, variant="multiScoOnly")
_enum("PlayerStatusDisplayPreference", "COMBINED",
      "Which status the player shows the learner for each item.", (
          ("SUCCESS_ONLY", "Passed or failed only."),
          ("COMPLETION_ONLY", "Completed or incomplete only."),
          ("SEPARATE", "Completion and success as two indicators."),
          ("COMBINED", "One indicator combining completion and success."),
          ("NONE", "No status."),
      ))

# ---------------------------------------------------------------- communication

_add("PlayerCommCommitFrequency", "10000", "ms",
     "How often, in milliseconds, the player sends changed run-time data to the server.",
     standards=SCORM_AND_AICC)
_add("PlayerCommMaxFailedSubmissions", "2", "int",
     "How many consecutive failed sends the player tolerates before warning the learner that "
     "progress is not being saved.", standards=SCORM_AND_AICC)
_bool("PlayerFinishCausesImmediateCommit", True,
      "Whether LMSFinish or Terminate sends the SCO's data to the server at once instead of at the "
      "next scheduled send.", standards=SCORM_AND_AICC)
_bool("PlayerLaunchCompletedRegsAsNoCredit", False,
      "Whether relaunching a completed registration runs in no-credit mode, so the new session "
      "cannot change its recorded results.", standards=SCORM_AND_AICC)
_add("PlayerTimeLimit", "0", "minutes",
     "The time limit, in minutes, a learner has in the course; 0 means no limit.", standards=SCORM_AND_AICC)

# ---------------------------------------------------------------- player chrome and navigation

_bool("PlayerShowNavBar", True, "Whether the player shows its navigation bar.")
_bool("PlayerShowFinishButton", True,
      "Whether the navigation bar has a button that ends the session and leaves the course.")
_bool("PlayerShowCloseItem", True,
      "Whether the navigation bar has a button that closes the current item without leaving the course.")
_bool("PlayerShowHelp", False, "Whether the navigation bar has a Help button.")
_bool("PlayerShowProgressBar", True, "Whether the player shows how far through the course the learner is.")
_bool("PlayerShowTitleBar", False, "Whether the player shows a title bar with the course title.")
_bool("PlayerShowCourseStructure", True,
      "Whether the player shows the course structure (table of contents) beside the content.",
      variant="multiScoOnly")
_bool("PlayerCourseStructureStartsOpen", True,
      "Whether the course structure is expanded when the player opens; unset, it follows "
      "PlayerShowCourseStructure.", variant="multiScoOnly", fallback="PlayerShowCourseStructure")
_add("PlayerCourseStructureWidth", "300", "pixels",
     "The width of the course structure, in pixels.", variant="multiScoOnly")
# SCORM 2004 4th Ed. SN 4.4.3: choice and flow requests are honoured only where sequencing allows.
_bool("PlayerEnableChoiceNav", True,
      "Whether the learner may jump to an item from the course structure (choice navigation) where "
      "sequencing allows it.", variant="multiScoOnly")
_bool("PlayerEnableFlowNav", True,
      "Whether the learner may move with Previous and Next (flow navigation) where sequencing allows it.",
      variant="multiScoOnly")
_enum("PlayerInvalidMenuItemAction", "SHOW",
      "How the course structure presents items that sequencing would not let the learner choose now.", (
          ("SHOW", "Show them; choosing one explains why it is not available."),
          ("HIDE", "Hide them."),
          ("DISABLE", "Show them greyed out and not selectable."),
      ), standards=SCORM2004, variant="multiScoOnly")
_enum("PlayerLookaheadSequencerMode", "ENABLED",
      "Whether the player works out in advance which navigation requests sequencing allows, so menus "
      "and buttons match the rules.", (
          ("DISABLED", "No look-ahead; a request is checked only when the learner makes it."),
          ("ENABLED", "Look ahead each time a SCO's data reaches the server."),
          ("REALTIME", "Look ahead on every change the SCO reports."),
      ), standards=SCORM2004, variant="multiScoOnly")
_bool("PlayerAlwaysFlowToFirstSco", False,
      "Whether a launch always starts with the first SCO, even where the course would show the menu "
      "or resume elsewhere.", standards=SCORM_AND_AICC, variant="multiScoOnly")
# SCORM 1.2 RTE 3.4.4 (cmi.core.exit): "logout" means the learner is leaving the whole course.
_bool("PlayerLogoutCausesPlayerExit", True,
      "Whether a SCO exiting with logout ends the whole course session, not only that SCO.",
      standards=SCORM12_FAMILY)

# ---------------------------------------------------------------- what happens when a SCORM 1.2 SCO exits

_EXIT_ACTIONS = (
    ("EXIT_COURSE", "End the session and leave the course."),
    ("EXIT_COURSE_AFTER_CONFIRM", "Ask the learner, then end the session and leave the course."),
    ("GO_TO_NEXT_SCO", "Continue to the next SCO."),
    ("DISPLAY_MESSAGE", "Show a message that the SCO has ended and let the learner choose what is next."),
    ("DO_NOTHING", "Do nothing; the learner navigates from the menu or navigation bar."),
)
_EXIT_MODES = {  # id part -> how cmi.core.exit reads (SCORM 1.2 RTE 3.4.4)
    "Normal": "normally (an empty exit)", "Suspend": "with suspend", "Timeout": "with time-out",
    "Logout": "with logout",
}
for _position in ("Intermediate", "Final"):
    for _satisfied in ("Satisfied", "NotSatisfied"):
        for _mode, _how in _EXIT_MODES.items():
            # Moving on is the natural end of a lesson in the middle of a course; a time-out or a
            # logout means the learner is leaving, and after the last SCO there is nowhere to go.
            _next = _position == "Intermediate" and _mode in ("Normal", "Suspend")
            _which = "a SCO other than the last" if _position == "Intermediate" else "the last SCO"
            _state = "satisfied" if _satisfied == "Satisfied" else "not satisfied"
            _enum(
                f"Player{_position}Sco{_satisfied}{_mode}ExitAction",
                "GO_TO_NEXT_SCO" if _next else "EXIT_COURSE",
                f"What the player does when {_which} exits {_how} while the course is {_state}.",
                _EXIT_ACTIONS,
                standards=SCORM12_FAMILY,
                variant="multiScoOnly" if _position == "Intermediate" else "either",
            )

# ---------------------------------------------------------------- windows

_add("PlayerDesiredWidth", "1000", "pixels", "The width, in pixels, of a window the player opens.")
_add("PlayerDesiredHeight", "800", "pixels", "The height, in pixels, of a window the player opens.")
_bool("PlayerDesiredFullScreen", False, "Whether a window the player opens asks to fill the screen.")
_bool("PlayerRequiredFullScreen", False,
      "Whether the content needs the whole screen, so a window the player opens must fill it.")
_bool("PlayerPreventWindowResize", False, "Whether the learner is kept from resizing a window the player opens.")
_bool("PlayerPreventRightClick", False, "Whether the player blocks the browser's context menu.")

# ---------------------------------------------------------------- run-time strictness

# SCORM 2004 4th Ed. RTE 4.2.9.1 defines a response format per interaction type; authoring tools
# often send looser ones, so false records what they send.
_bool("PlayerValidateInteractionResponses", True,
      "Whether the run-time rejects interaction responses that do not follow the format SCORM defines "
      "for their interaction type.", standards=("SCORM11", "SCORM12", *SCORM2004))
_bool("PlayerWrapScoWindowWithApi", False,
      "Whether windows a SCO opens itself also get the run-time API, for content that runs its lesson "
      "in a pop-up.", standards=SCORM_AND_AICC)

# ---------------------------------------------------------------- debug log

for _part, _what in (
    ("Control", "the player's own actions (launch, navigation, sending data)"),
    ("Rte", "the SCO's calls to the run-time API"),
    ("Sequencing", "sequencing decisions"),
    ("LookAhead", "look-ahead sequencing"),
):
    # Look-ahead is a sequencing run, so unless told otherwise it is logged like sequencing.
    _look = _part == "LookAhead"
    _bool(f"PlayerDebug{_part}Audit", True, f"Whether the debug log records a summary of {_what}.",
          fallback="PlayerDebugSequencingAudit" if _look else None)
    _bool(f"PlayerDebug{_part}Detailed", False, f"Whether the debug log records {_what} in full detail.",
          fallback="PlayerDebugSequencingDetailed" if _look else None)
_bool("PlayerDebugIncludeTimestamps", True, "Whether each debug log entry carries a timestamp.")

# ---------------------------------------------------------------- offline use

_enum("PlayerOfflineSynchMode", "MostRecent",
      "How data a learner recorded offline is merged with the data already on the server.", (
          ("MostRecent", "Keep whichever copy was recorded last."),
          ("Simple", "Replace the server's data with the offline data."),
          ("MostComplete", "Keep the copy furthest towards completion."),
          ("MostSatisfied", "Keep the copy furthest towards success (passed over failed over unknown)."),
          ("MostDone", "Keep the copy that is furthest along, completion first and success second."),
          ("BestDone", "Keep the copy with the best result, success first, then completion, then score."),
      ), standards=SCORM_AND_AICC)

# ---------------------------------------------------------------- application-wide

_add("WebPathToContentRoot", "", "url",
     "Where learners' browsers fetch course content from, as an absolute URL or a path on this "
     "server; unset, this server serves it.", level="application")

_bool("XapiForScormEnabled", True,
      "Whether SCORM courses' run-time data (initialized, completed, passed, failed, suspended, each "
      "answered interaction) is also written as xAPI statements into the application's LRS, with the "
      "registration as context.registration.", level="application", standards=SCORM_AND_AICC[:-1])

# ---------------------------------------------------------------- media courses (a single PDF, MP4 or MP3)
# Coursehost's own: SCORM Cloud names no setting for when its media viewers count a file as done. The
# values reach the viewer in LMS.LaunchData's launchParameters at each launch (domain/cmi5/launch.py).

_enum("MediaPdfCompletionRule", "ALL_PAGES_SEEN",
      "When the viewer of a PDF course counts the document as completed (and passed).", (
          ("ALL_PAGES_SEEN", "Once the learner has seen every page."),
          ("PERCENT_OF_PAGES_SEEN", "Once the learner has seen MediaPercentRequired percent of the pages."),
      ), standards=("CMI5",))
_add("MediaPercentRequired", "90", "int",
     "For a video or audio course, the percentage of its length the learner must actually play (seeking "
     "ahead does not count) before it is completed and passed; for a PDF course whose completion rule is "
     "PERCENT_OF_PAGES_SEEN, the percentage of pages to see. A whole number from 1 to 100.",
     standards=("CMI5",))
_add("Cmi5SessionTimeout", "1440", "minutes",
     "How long a cmi5 AU session may go without a statement before the LMS ends it as abandoned "
     "(cmi5 9.3.6: a session that never sends terminated is abandoned at the next launch or by a "
     "timeout): the abandoned statement is stated and the session's auth token is refused from then "
     "on. In minutes; 0 leaves such sessions open until the next launch.", standards=("CMI5",))

# WebPathToContentRoot is documented as a "URL path": a root-relative path is as good as a full URL.
_PATH_ALLOWED = frozenset({"WebPathToContentRoot"})
# Whole-number settings with a narrower range than 0 or more (allowed_values_text says which).
_INT_RANGES = {"MediaPercentRequired": (1, 100)}

del _position, _satisfied, _mode, _how, _next, _which, _state, _part, _what, _look


# ---------------------------------------------------------------- look-up and values


def get_definition(setting_id: str) -> SettingDefinition:
    """The definition of SETTING_ID, or UnknownSettingError."""
    definition = CATALOG.get(setting_id) if isinstance(setting_id, str) else None
    if definition is None:
        raise UnknownSettingError(f"Unknown setting id [{setting_id}]")
    return definition


def allowed_values_text(definition: SettingDefinition) -> str:
    """What the setting accepts, in words, for error messages."""
    if definition.valid_values:
        return ", ".join(value for value, _ in definition.valid_values)
    if definition.id in _INT_RANGES:
        return "a whole number from {} to {}".format(*_INT_RANGES[definition.id])
    return {
        "int": "a whole number, 0 or more",
        "pixels": "a whole number of pixels, 0 or more",
        "ms": "a whole number of milliseconds, 0 or more",
        "minutes": "a whole number of minutes, 0 or more",
        "number": "a number",
        "url": "an absolute http or https URL"
        + (" or a path starting with /" if definition.id in _PATH_ALLOWED else ""),
        "string": "any text",
    }.get(definition.data_type, "any text")


_BOOL_WORDS = {"true": "true", "yes": "true", "1": "true", "false": "false", "no": "false", "0": "false"}
_DIGITS = re.compile(r"[0-9]+")


def normalize_value(definition: SettingDefinition, raw) -> str:
    """The canonical string for RAW, or SettingValueError naming the setting and what it allows."""
    if raw is None:
        raise SettingValueError(f"A value is required for setting [{definition.id}]")
    if isinstance(raw, bool):
        raw = "true" if raw else "false"
    text = str(raw).strip()
    if text == "":
        raise SettingValueError(
            f"Empty value for setting [{definition.id}]; to clear a value, DELETE the setting instead"
        )
    canonical = _canonical(definition, text, raw)
    if canonical is None:
        raise SettingValueError(
            f"Invalid value [{raw}] for setting [{definition.id}]; allowed: {allowed_values_text(definition)}"
        )
    return canonical


def _canonical(definition: SettingDefinition, text: str, raw) -> str | None:
    """The canonical form of TEXT (RAW stripped) for the setting's type; None when it is not valid."""
    kind = definition.data_type
    if kind == "bool":
        return _BOOL_WORDS.get(text.lower())
    if definition.valid_values:  # enums (and any other type with a fixed list)
        return next((value for value, _ in definition.valid_values if value.lower() == text.lower()), None)
    if kind in _INTEGER_TYPES:
        low, high = _INT_RANGES.get(definition.id, (0, _MAX_INT))
        return str(int(text)) if _DIGITS.fullmatch(text) and low <= int(text) <= high else None
    if kind == "number":
        return _number(text)
    if kind == "url":
        return _url(definition, text)
    # Free text is kept exactly as given: a password may well begin or end with a space.
    return str(raw)


def _number(text: str) -> str | None:
    """A finite number, written as an integer when it is one."""
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return str(int(number)) if number.is_integer() else repr(number)


def _url(definition: SettingDefinition, text: str) -> str | None:
    """An absolute http(s) URL without spaces, or a site path for the settings that allow one."""
    if any(ch.isspace() for ch in text):
        return None
    if definition.id in _PATH_ALLOWED and text.startswith("/") and not text.startswith("//"):
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text
