"""The settings catalog, value normalization and the cascade, on every database backend."""

from __future__ import annotations

import itertools
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event, select

from coursehost.db.models.settings import SettingValue
from coursehost.db.models.tenancy import Application, Realm
from coursehost.domain.errors import InvalidInput
from coursehost.domain.settings_registry import (
    CATALOG,
    DATA_TYPES,
    LEVELS,
    VARIANTS,
    SettingDefinition,
    SettingLevelError,
    SettingScope,
    SettingValueError,
    UnknownSettingError,
    application_scope,
    delete_all_settings,
    delete_setting,
    effective_value,
    get_definition,
    learning_standard_scope,
    normalize_value,
    read_settings,
    set_settings,
)
from coursehost.domain.standards import LEARNING_STANDARDS

REFERENCE = Path("/work/shared/reference/settings.md")

APP = application_scope()
STD = learning_standard_scope("SCORM12", True)
COURSE = SettingScope("course", "c1")
COURSE_V2 = SettingScope("course", "c1|v2")
REG = SettingScope("registration", "reg1")
REG_INSTANCE = SettingScope("registration", "reg1|0")
CHAIN = [REG_INSTANCE, REG, COURSE_V2, COURSE, STD, APP]


# ---------------------------------------------------------------- helpers


def _expand(cell: str) -> list[str]:
    """`A, B` -> [A, B]; `P{x,y}Q{1,2}` -> [PxQ1, PxQ2, PyQ1, PyQ2]."""
    ids = []
    for part in re.split(r",\s*(?![^{]*\})", cell.strip()):
        pieces = re.split(r"\{([^}]*)\}", part.strip())
        choices = [[p] if i % 2 == 0 else [c.strip() for c in p.split(",")] for i, p in enumerate(pieces)]
        ids.extend("".join(combo) for combo in itertools.product(*choices))
    return ids


def reference_ids() -> set[str]:
    ids = set()
    for line in REFERENCE.read_text().splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cell = line.split("|")[1].strip()
        if cell and cell != "Setting id":
            ids.update(_expand(cell))
    return ids


def make_app(session, name: str = "A") -> int:
    realm = Realm(name=f"realm {name}")
    session.add(realm)
    session.flush()
    app = Application(app_id=f"T{uuid.uuid4().hex[:12].upper()}", realm_id=realm.id, name=name)
    session.add(app)
    session.flush()
    return app.pk


def items_by_id(session, app_pk, chain, **kw):
    return {item.id: item for item in read_settings(session, application_pk=app_pk, chain=chain, **kw)}


def put(session, app_pk, scope, values):
    set_settings(session, application_pk=app_pk, scope=scope, values=values)


def value_of(session, app_pk, chain, setting_id):
    return effective_value(session, application_pk=app_pk, chain=chain, setting_id=setting_id)


def vs(item):
    """(effective value, source)."""
    return item.effective_value, item.effective_value_source


def vse(item):
    """(effective value, source, explicit value)."""
    return item.effective_value, item.effective_value_source, item.explicit_value


@pytest.fixture
def app_pk(db_session):
    return make_app(db_session)


# ---------------------------------------------------------------- catalog


def test_expand_helper():
    assert _expand("A, B") == ["A", "B"]
    assert _expand("P{x,y}Q{1,2}") == ["PxQ1", "PxQ2", "PyQ1", "PyQ2"]


def test_every_reference_setting_is_in_the_catalog():
    expected = reference_ids()
    assert "PlayerFinalScoNotSatisfiedLogoutExitAction" in expected
    assert "PlayerDebugLookAheadDetailed" in expected
    assert set(CATALOG) - expected == OUR_OWN_SETTINGS  # beyond the reference: only settings of our own
    assert expected <= set(CATALOG)
    assert len(CATALOG) == 77 + len(OUR_OWN_SETTINGS)


#: Settings the reference does not list that Coursehost adds (issue 14: SCORM courses into the LRS; when
#: a media course's viewer counts it as completed; when a silent cmi5 session is abandoned).
OUR_OWN_SETTINGS = {"XapiForScormEnabled", "MediaPdfCompletionRule", "MediaPercentRequired", "Cmi5SessionTimeout"}


@pytest.mark.parametrize("definition", list(CATALOG.values()), ids=list(CATALOG))
def test_definition_is_consistent(definition: SettingDefinition):
    assert definition.data_type in DATA_TYPES
    assert definition.level in LEVELS and definition.level != "dispatchDestination"
    assert definition.variant in VARIANTS
    assert set(definition.learning_standards) <= set(LEARNING_STANDARDS)
    assert definition.description.endswith(".") and definition.description[0].isupper()
    if definition.default:
        assert normalize_value(definition, definition.default) == definition.default
    else:
        assert definition.data_type in ("string", "url")
    if definition.data_type in ("enum", "bool"):
        assert definition.default in [v for v, _ in definition.valid_values]
        assert all(desc for _, desc in definition.valid_values)
    else:
        assert definition.valid_values == ()
    if definition.fallback:
        assert CATALOG[definition.fallback].data_type == definition.data_type


@pytest.mark.parametrize("setting_id,default", [
    ("ApiRollupRegistrationAuthType", "form"),
    ("ApiRollupRegistrationFormat", "course"),
    ("ApiRollupRegistrationIsJson", "true"),
    ("PlayerCommCommitFrequency", "10000"),
    ("PlayerCommMaxFailedSubmissions", "2"),
    ("PlayerLaunchType", "FRAMESET"),
    ("PlayerScoLaunchType", "FRAMESET"),
    ("WhenToRestartRegistration", "NEVER"),
    ("PlayerLookaheadSequencerMode", "ENABLED"),
    ("PlayerInvalidMenuItemAction", "SHOW"),
    ("PlayerValidateInteractionResponses", "true"),
    ("PlayerSuspendDataMaxLength", "64000"),
    ("PlayerIntermediateScoSatisfiedNormalExitAction", "GO_TO_NEXT_SCO"),
    ("PlayerFinalScoSatisfiedNormalExitAction", "EXIT_COURSE"),
    ("PlayerDebugRteAudit", "true"),
    ("PlayerDebugRteDetailed", "false"),
])
def test_known_defaults(setting_id, default):
    assert CATALOG[setting_id].default == default


def test_levels_and_types():
    assert CATALOG["WebPathToContentRoot"].level == "application"
    assert CATALOG["WhenToRestartRegistration"].level == "course"
    assert CATALOG["ApiRollupRegistrationPostBackUrl"].level == "registration"
    assert CATALOG["PlayerShowNavBar"].level == "registration"
    assert CATALOG["PlayerCommCommitFrequency"].data_type == "ms"
    assert CATALOG["PlayerTimeLimit"].data_type == "minutes"
    assert CATALOG["PlayerDesiredWidth"].data_type == "pixels"
    assert CATALOG["PlayerIntermediateScoSatisfiedNormalExitAction"].variant == "multiScoOnly"


def test_unknown_setting_id():
    with pytest.raises(UnknownSettingError, match=r"Unknown setting id \[NoSuchSetting\]"):
        get_definition("NoSuchSetting")
    assert issubclass(UnknownSettingError, InvalidInput) and issubclass(SettingValueError, InvalidInput)


# ---------------------------------------------------------------- normalization


@pytest.mark.parametrize("setting_id,raw,canonical", [
    ("PlayerShowNavBar", "true", "true"),
    ("PlayerShowNavBar", "TRUE", "true"),
    ("PlayerShowNavBar", "Yes", "true"),
    ("PlayerShowNavBar", "1", "true"),
    ("PlayerShowNavBar", " no ", "false"),
    ("PlayerShowNavBar", "False", "false"),
    ("PlayerShowNavBar", "0", "false"),
    ("PlayerShowNavBar", True, "true"),
    ("PlayerLaunchType", "new_window", "NEW_WINDOW"),
    ("PlayerOfflineSynchMode", "mostcomplete", "MostComplete"),
    ("ApiRollupRegistrationAuthType", "HTTPBASIC", "httpbasic"),
    ("PlayerSuspendDataMaxLength", "4096", "4096"),
    ("PlayerSuspendDataMaxLength", "007", "7"),
    ("PlayerCourseStructureWidth", "0", "0"),
    ("PlayerCommCommitFrequency", "5000", "5000"),
    ("PlayerTimeLimit", "90", "90"),
    ("PlayerStatusRollupModeThresholdScore", "75.50", "75.5"),
    ("PlayerStatusRollupModeThresholdScore", "80.0", "80"),
    ("PlayerStatusRollupModeThresholdScore", "-1", "-1"),
    ("ApiRollupRegistrationPostBackUrl", "https://lms.example.com/hook?x=1", "https://lms.example.com/hook?x=1"),
    ("ApiRollupRegistrationPostBackUrl", "HTTP://example.com", "HTTP://example.com"),
    ("WebPathToContentRoot", "/courses/content", "/courses/content"),
    ("WebPathToContentRoot", "https://cdn.example.com/c", "https://cdn.example.com/c"),
    ("ApiRollupRegistrationAuthPassword", " s3cret ", " s3cret "),
    ("MediaPercentRequired", "100", "100"),
    ("MediaPercentRequired", "1", "1"),
    ("MediaPdfCompletionRule", "percent_of_pages_seen", "PERCENT_OF_PAGES_SEEN"),
])
def test_normalize_accepts(setting_id, raw, canonical):
    assert normalize_value(CATALOG[setting_id], raw) == canonical


@pytest.mark.parametrize("setting_id,raw,allowed", [
    ("PlayerShowNavBar", "maybe", "true, false"),
    ("PlayerShowNavBar", "2", "true, false"),
    ("PlayerLaunchType", "POPUP", "FRAMESET, NEW_WINDOW"),
    ("PlayerSuspendDataMaxLength", "-1", "whole number"),
    ("PlayerSuspendDataMaxLength", "1.5", "whole number"),
    ("PlayerSuspendDataMaxLength", "ten", "whole number"),
    ("PlayerSuspendDataMaxLength", "99999999999", "whole number"),
    ("PlayerCourseStructureWidth", "300px", "pixels"),
    ("PlayerCommCommitFrequency", "1e4", "milliseconds"),
    ("PlayerTimeLimit", "-5", "minutes"),
    ("MediaPercentRequired", "0", "a whole number from 1 to 100"),
    ("MediaPercentRequired", "101", "a whole number from 1 to 100"),
    ("MediaPdfCompletionRule", "HALF", "ALL_PAGES_SEEN, PERCENT_OF_PAGES_SEEN"),
    ("PlayerStatusRollupModeThresholdScore", "eighty", "a number"),
    ("PlayerStatusRollupModeThresholdScore", "nan", "a number"),
    ("PlayerStatusRollupModeThresholdScore", "inf", "a number"),
    ("ApiRollupRegistrationPostBackUrl", "ftp://example.com/x", "http or https URL"),
    ("ApiRollupRegistrationPostBackUrl", "/relative/path", "http or https URL"),
    ("ApiRollupRegistrationPostBackUrl", "https://", "http or https URL"),
    ("ApiRollupRegistrationPostBackUrl", "https://exa mple.com", "http or https URL"),
    ("WebPathToContentRoot", "content/relative", "path starting with /"),
    ("WebPathToContentRoot", "//evil.example.com", "path starting with /"),
])
def test_normalize_rejects_with_the_setting_and_what_it_allows(setting_id, raw, allowed):
    with pytest.raises(SettingValueError) as err:
        normalize_value(CATALOG[setting_id], raw)
    message = str(err.value)
    assert f"[{setting_id}]" in message and allowed in message and f"[{raw}]" in message


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_normalize_rejects_empty_and_points_to_delete(raw):
    with pytest.raises(SettingValueError) as err:
        normalize_value(CATALOG["ApiRollupRegistrationAuthUser"], raw)
    assert "[ApiRollupRegistrationAuthUser]" in str(err.value)
    if raw is not None:
        assert "DELETE" in str(err.value)


# ---------------------------------------------------------------- cascade


def test_defaults_when_nothing_is_set(db_session, app_pk):
    items = read_settings(db_session, application_pk=app_pk, chain=CHAIN)
    assert [item.id for item in items] == list(CATALOG)
    for item in items:
        assert item.effective_value == CATALOG[item.id].default
        assert item.effective_value_source == "default"
        assert item.explicit_value is None and item.metadata is None


def test_cascade_across_levels(db_session, app_pk):
    put(db_session, app_pk, APP, [
        ("PlayerShowNavBar", "false"), ("PlayerTimeLimit", "10"), ("PlayerShowHelp", "yes"),
        ("PlayerCommCommitFrequency", "20000"),
    ])
    put(db_session, app_pk, STD, [
        ("PlayerShowNavBar", "true"), ("PlayerTimeLimit", "20"), ("PlayerCommCommitFrequency", "30000"),
    ])
    put(db_session, app_pk, COURSE, [
        ("PlayerTimeLimit", "30"), ("PlayerLaunchType", "new_window"),
    ])
    put(db_session, app_pk, COURSE_V2, [("PlayerLaunchType", "FRAMESET")])
    put(db_session, app_pk, REG, [("PlayerTimeLimit", "40")])
    put(db_session, app_pk, REG_INSTANCE, [("PlayerShowHelp", "no")])

    items = items_by_id(db_session, app_pk, [REG, COURSE, STD, APP])
    assert vs(items["PlayerTimeLimit"]) == ("40", "registration")
    assert items["PlayerTimeLimit"].explicit_value == "40"
    assert vs(items["PlayerLaunchType"]) == ("NEW_WINDOW", "course")
    assert items["PlayerLaunchType"].explicit_value is None  # set at course, not at the registration
    assert vs(items["PlayerShowNavBar"]) == ("true", "learningStandardForApplication")
    assert vs(items["PlayerShowHelp"]) == ("true", "application")
    assert vs(items["PlayerShowTitleBar"]) == ("false", "default")

    # A course version and a registration instance report their level names.
    items = items_by_id(db_session, app_pk, CHAIN)
    assert vs(items["PlayerLaunchType"]) == ("FRAMESET", "course")
    assert vs(items["PlayerShowHelp"]) == ("false", "registration")
    assert items["PlayerShowHelp"].explicit_value == "false"
    assert items["PlayerTimeLimit"].explicit_value is None  # set on reg1, not on the instance reg1|0

    # The application alone: its own value, or the default.
    items = items_by_id(db_session, app_pk, [APP])
    assert vse(items["PlayerCommCommitFrequency"]) == ("20000", "application", "20000")
    items = items_by_id(db_session, app_pk, [learning_standard_scope("SCORM12", False), APP])
    assert items["PlayerShowNavBar"].effective_value_source == "application"  # the multi-SCO variant is unset
    assert value_of(db_session, app_pk, [STD, APP], "PlayerCommCommitFrequency") == "30000"


def test_setting_again_replaces_the_value(db_session, app_pk):
    put(db_session, app_pk, COURSE, [("PlayerTimeLimit", "5")])
    put(db_session, app_pk, COURSE, [("PlayerTimeLimit", "6"), ("PlayerTimeLimit", "7")])
    assert value_of(db_session, app_pk, [COURSE], "PlayerTimeLimit") == "7"
    rows = db_session.scalars(select(SettingValue).where(SettingValue.application_pk == app_pk)).all()
    assert len(rows) == 1 and rows[0].updated is not None


def test_values_are_stored_canonical(db_session, app_pk):
    put(db_session, app_pk, APP, [("PlayerShowNavBar", "YES"), ("PlayerLaunchType", "frameset")])
    stored = dict(db_session.execute(
        select(SettingValue.setting_id, SettingValue.value).where(SettingValue.application_pk == app_pk)
    ).all())
    assert stored == {"PlayerShowNavBar": "true", "PlayerLaunchType": "FRAMESET"}


def test_fallback(db_session, app_pk):
    chain = [REG, APP]
    item = items_by_id(db_session, app_pk, chain)["PlayerDebugLookAheadAudit"]
    assert vs(item) == ("true", "default")

    put(db_session, app_pk, APP, [("PlayerDebugSequencingAudit", "false")])
    item = items_by_id(db_session, app_pk, chain)["PlayerDebugLookAheadAudit"]
    assert vse(item) == ("false", "application", None)

    # Asked alone, the fallback setting is still read (in the same query).
    assert value_of(db_session, app_pk, chain, "PlayerDebugLookAheadAudit") == "false"

    # Its own value, at any level, wins over the fallback.
    put(db_session, app_pk, APP, [("PlayerDebugLookAheadAudit", "true")])
    put(db_session, app_pk, REG, [("PlayerDebugSequencingAudit", "false")])
    item = items_by_id(db_session, app_pk, chain)["PlayerDebugLookAheadAudit"]
    assert vs(item) == ("true", "application")

    put(db_session, app_pk, COURSE, [("PlayerShowCourseStructure", "false")])
    item = items_by_id(db_session, app_pk, [COURSE, APP])["PlayerCourseStructureStartsOpen"]
    assert vs(item) == ("false", "course")


def test_level_restriction(db_session, app_pk):
    with pytest.raises(SettingLevelError, match=r"\[WebPathToContentRoot\].*application") as err:
        put(db_session, app_pk, COURSE, [("WebPathToContentRoot", "/c")])
    assert isinstance(err.value, InvalidInput)
    with pytest.raises(SettingLevelError):
        put(db_session, app_pk, STD, [("WebPathToContentRoot", "/c")])
    with pytest.raises(SettingLevelError, match="WhenToRestartRegistration"):
        put(db_session, app_pk, REG, [("WhenToRestartRegistration", "NEVER")])
    put(db_session, app_pk, APP, [("WebPathToContentRoot", "/c")])
    put(db_session, app_pk, COURSE_V2, [("WhenToRestartRegistration", "when_newer_course_version")])
    put(db_session, app_pk, REG_INSTANCE, [("ApiRollupRegistrationPostBackUrl", "https://x.example/p")])
    items = items_by_id(db_session, app_pk, CHAIN)
    assert items["WhenToRestartRegistration"].effective_value == "WHEN_NEWER_COURSE_VERSION"
    assert items["WebPathToContentRoot"].effective_value == "/c"
    with pytest.raises(ValueError, match="unknown setting scope"):
        put(db_session, app_pk, SettingScope("galaxy", "x"), [("PlayerShowHelp", "true")])


@pytest.mark.parametrize("bad", [
    ("PlayerCommCommitFrequency", "often"),
    ("NoSuchSetting", "true"),
    ("WebPathToContentRoot", "/x"),  # allowed value, wrong level
    ("PlayerShowHelp", ""),
])
def test_nothing_written_when_one_value_is_bad(db_session, app_pk, bad):
    with pytest.raises(InvalidInput):
        put(db_session, app_pk, COURSE, [
            ("PlayerShowNavBar", "false"), bad, ("PlayerTimeLimit", "5"),
        ])
    count = db_session.scalars(select(SettingValue).where(SettingValue.application_pk == app_pk)).all()
    assert count == []


def test_delete_clears_only_its_level(db_session, app_pk):
    for scope, value in ((APP, "1"), (COURSE, "2"), (REG, "3")):
        put(db_session, app_pk, scope, [("PlayerTimeLimit", value), ("PlayerShowHelp", "true")])

    assert delete_setting(db_session, application_pk=app_pk, scope=COURSE, setting_id="PlayerTimeLimit") is True
    assert delete_setting(db_session, application_pk=app_pk, scope=COURSE, setting_id="PlayerTimeLimit") is False
    item = items_by_id(db_session, app_pk, [COURSE, APP])["PlayerTimeLimit"]
    assert vse(item) == ("1", "application", None)
    assert items_by_id(db_session, app_pk, [COURSE, APP])["PlayerShowHelp"].explicit_value == "true"
    item = items_by_id(db_session, app_pk, [REG, COURSE, APP])["PlayerTimeLimit"]
    assert (item.effective_value, item.explicit_value) == ("3", "3")

    delete_setting(db_session, application_pk=app_pk, scope=APP, setting_id="PlayerTimeLimit")
    item = items_by_id(db_session, app_pk, [COURSE, APP])["PlayerTimeLimit"]
    assert vs(item) == ("0", "default")

    with pytest.raises(UnknownSettingError, match=r"\[Nope\]"):
        delete_setting(db_session, application_pk=app_pk, scope=APP, setting_id="Nope")


def test_delete_all_settings(db_session, app_pk):
    for scope in (COURSE, COURSE_V2, SettingScope("course", "c10"), APP):
        put(db_session, app_pk, scope, [("PlayerShowHelp", "true")])
    assert delete_all_settings(db_session, application_pk=app_pk, scope=COURSE) == 1
    assert delete_all_settings(db_session, application_pk=app_pk, scope=COURSE, with_sub_keys=True) == 1
    left = db_session.execute(
        select(SettingValue.scope, SettingValue.scope_key).where(SettingValue.application_pk == app_pk)
    ).all()
    assert sorted(left) == [("application", ""), ("course", "c10")]

    # Key characters that mean something to LIKE match only themselves.
    put(db_session, app_pk, SettingScope("course", "a_b|1"), [("PlayerShowHelp", "true")])
    put(db_session, app_pk, SettingScope("course", "axb|1"), [("PlayerShowHelp", "true")])
    removed = delete_all_settings(db_session, application_pk=app_pk, scope=SettingScope("course", "a_b"),
                                  with_sub_keys=True)
    assert removed == 1


def test_applications_are_isolated(db_session):
    app_a, app_b = make_app(db_session, "A"), make_app(db_session, "B")
    put(db_session, app_a, APP, [("PlayerShowHelp", "true")])
    put(db_session, app_a, COURSE, [("PlayerTimeLimit", "9")])
    items = items_by_id(db_session, app_b, [COURSE, APP])
    assert vs(items["PlayerShowHelp"]) == ("false", "default")
    assert items["PlayerTimeLimit"].effective_value == "0"
    delete_setting(db_session, application_pk=app_b, scope=APP, setting_id="PlayerShowHelp")
    delete_all_settings(db_session, application_pk=app_b, scope=COURSE)
    items = items_by_id(db_session, app_a, [COURSE, APP])
    assert items["PlayerShowHelp"].effective_value == "true" and items["PlayerTimeLimit"].effective_value == "9"


def test_metadata_and_selected_ids(db_session, app_pk):
    items = read_settings(db_session, application_pk=app_pk, chain=[APP], include_metadata=True,
                          setting_ids=["PlayerTimeLimit", "ApiRollupRegistrationAuthType", "PlayerTimeLimit"])
    assert [item.id for item in items] == ["PlayerTimeLimit", "ApiRollupRegistrationAuthType"]
    assert items[1].metadata is CATALOG["ApiRollupRegistrationAuthType"]
    assert [v for v, _ in items[1].metadata.valid_values] == ["form", "httpbasic"]
    with pytest.raises(UnknownSettingError):
        read_settings(db_session, application_pk=app_pk, chain=[APP], setting_ids=["Bogus"])
    with pytest.raises(UnknownSettingError):
        value_of(db_session, app_pk, [APP], "Bogus")


def test_a_read_is_one_query(db_session, app_pk):
    put(db_session, app_pk, APP, [("PlayerShowHelp", "true")])
    put(db_session, app_pk, REG_INSTANCE, [("PlayerTimeLimit", "3")])
    conn = db_session.connection()
    statements = []

    def count(*_args):
        statements.append(_args[2])

    event.listen(conn, "before_cursor_execute", count)
    try:
        items = read_settings(db_session, application_pk=app_pk, chain=CHAIN, include_metadata=True)
    finally:
        event.remove(conn, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    assert len(items) == len(CATALOG)


def test_scope_helpers():
    assert application_scope() == SettingScope("application", "")
    assert learning_standard_scope("SCORM12", True) == SettingScope(
        "learningStandardForApplication", "SCORM12|single")
    assert learning_standard_scope("SCORM20044THEDITION", False).key == "SCORM20044THEDITION|multi"
