"""What the player asks of the domain, one call per request: start a launch from a launch link,
reopen it in a window of its own, the SCO's start data, navigation, exit, and a course file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course, CourseFile, CourseVersion
from coursehost.db.models.registrations import Launch, Registration, RegistrationInstance
from coursehost.domain.courses import assets
from coursehost.domain.errors import DomainError, NotFound
from coursehost.domain.registrations import core
from coursehost.domain.registrations.launch_tokens import LaunchRequest
from coursehost.domain.runtime import launch_xapi, navigation, sequenced
from coursehost.domain.runtime.launches import exit_launch, has_exited, require_open, sco_start_data, start_launch
from coursehost.domain.standards import Delivery, LearningStandard
from coursehost.storage.base import BlobStore

# Standards whose content talks to the LRS, not to a JavaScript run-time API: the player hands the
# launch to them (player/cmi5.py for cmi5, which writes the launch data itself; launch_xapi for
# Tin Can packages, framed by the player with the Tin Can launch parameters).


class LaunchRefused(DomainError):
    """A launch the player cannot open; TITLE heads the page the learner reads, STATUS is its HTTP status."""

    def __init__(self, title: str, text: str, status: int):
        super().__init__(text)
        self.title, self.status = title, status


@dataclass(frozen=True)
class PlayerLaunch:
    """Everything the player page of one launch is built from (plain values, no ORM rows)."""

    launch_id: str
    tracking: bool
    options: dict
    version_pk: int
    standard: str
    family: str | None  # "1.2" | "2004" for content that runs with a JavaScript run-time API
    title: str  # the version's title, else the course's
    version_title: str | None
    items: list[dict]  # navigation.leaves: launchable activities in tree order
    sequenced: bool  # navigates through the sequencing engine (SCORM 2004)
    sandbox: bool
    learner_id: str
    learner: dict
    settings: dict  # the effective Player* settings asked for
    xapi: dict | None = None  # Tin Can launch parameters (launch_xapi.launch_params)
    content_generation: int = 1  # the version's content generation: its content URLs carry it


def _launch_row(session: Session, launch_id: str) -> Launch | None:
    return session.scalars(select(Launch).where(Launch.launch_id == launch_id)).first()


def find_launch(session: Session, launch_id: str) -> Launch:
    """The launch LAUNCH_ID (a run-time token's), or NotFound."""
    row = _launch_row(session, launch_id)
    if row is None:
        raise NotFound("This launch no longer exists")
    return row


def _runtime_family(standard: str) -> str | None:
    # AICC content talks HACP (launch_aicc) over SCORM 1.2's data model; the player page frames it.
    parsed = LearningStandard.parse(standard)
    return parsed.family.value if parsed.family and parsed.delivery in (Delivery.RUNTIME_API, Delivery.HACP) else None


def _player_launch(session: Session, *, registration: Registration, instance: RegistrationInstance, course: Course,
                   version: CourseVersion, launch: Launch, setting_ids: list[str]) -> PlayerLaunch:
    settings = core.effective_settings(session, registration=registration, setting_ids=setting_ids, instance=instance)
    return PlayerLaunch(
        launch_id=launch.launch_id, tracking=bool(launch.tracking), options=dict(launch.options or {}),
        version_pk=version.pk, standard=version.learning_standard, family=_runtime_family(version.learning_standard),
        title=version.title or course.title, version_title=version.title, items=navigation.leaves(version.structure),
        sequenced=sequenced.uses_engine(version), sandbox=bool(registration.sandbox),
        learner_id=registration.learner_id, learner=dict(registration.learner or {}), settings=settings,
        content_generation=version.content_generation or 1, xapi=launch_xapi.launch_params(session, registration=registration, instance=instance, course=course,
                                       version=version))


def start_player_launch(session: Session, *, request: LaunchRequest, user_agent: str | None,
                        setting_ids: list[str]) -> PlayerLaunch:
    """A new Launch for a checked launch link's REQUEST; LaunchRefused when the registration or its
    course is gone or the player cannot run the course's standard."""
    registration = session.get(Registration, request.registration_pk)
    if registration is None or registration.application_pk != request.application_pk:
        raise LaunchRefused("Registration not found", "This registration no longer exists.", 404)
    try:
        instance = core.get_instance(session, registration=registration, instance=request.instance)
        course, version = core.instance_course(session, instance)
    except NotFound as exc:
        raise LaunchRefused("Course not found", str(exc), 404) from None
    if LearningStandard.parse(version.learning_standard).delivery is None:
        raise LaunchRefused("Not supported yet",
                            f"This player cannot run {version.learning_standard} courses yet.", 501)
    launch = start_launch(session, registration=registration, instance=instance, tracking=request.tracking,
                          options=request.options, user_agent=user_agent)
    return _player_launch(session, registration=registration, instance=instance, course=course, version=version,
                          launch=launch, setting_ids=setting_ids)


def reopen_player_launch(session: Session, *, launch_id: str, setting_ids: list[str]) -> PlayerLaunch:
    """The launch LAUNCH_ID again, for the player's own window (PlayerLaunchType); LaunchRefused
    once the launch has ended."""
    launch = _launch_row(session, launch_id)
    if launch is None or launch.exit_time is not None:
        raise LaunchRefused("Session ended", "This session has ended. Launch the course again.", 410)
    instance = session.get(RegistrationInstance, launch.instance_pk)
    course, version = core.instance_course(session, instance)
    return _player_launch(session, registration=instance.registration, instance=instance, course=course,
                          version=version, launch=launch, setting_ids=setting_ids)


def start_data(session: Session, *, launch_id: str, activity_id: str) -> dict:
    """What the SCO ACTIVITY_ID of launch LAUNCH_ID starts with (tracking.sco_start_data)."""
    launch = find_launch(session, launch_id)
    require_open(launch)
    return sco_start_data(session, launch=launch, activity_id=activity_id)


def navigate(session: Session, *, launch_id: str, request: str, current: str | None, target: str | None,
             lookahead: bool = True) -> dict:
    """One navigation request of launch LAUNCH_ID's player (navigation.navigate)."""
    launch = find_launch(session, launch_id)
    require_open(launch)
    return navigation.navigate(session, launch=launch, request=request, current=current, target=target,
                               lookahead=lookahead)


def exit_player(session: Session, *, launch_id: str) -> dict:
    """The learner leaves the player: close the sequencing session and the launch -> the launch's options."""
    launch = session.scalars(select(Launch).where(Launch.launch_id == launch_id).with_for_update()
                             .execution_options(populate_existing=True)).first()  # after any commit in flight
    if launch is None:
        raise NotFound("This launch no longer exists")
    if not has_exited(launch):  # a second exit (a beacon after a lost answer) changes nothing
        navigation.exit_sequencing(session, launch=launch)
        exit_launch(session, launch_pk=launch.pk)
    return dict(launch.options or {})


@dataclass(frozen=True)
class ContentVersion:
    """Where a course version's files are, and their generation (bumped by every in-place change)."""

    prefix: str  # blob keys of the files: prefix + path
    generation: int
    changed: datetime | None  # when the generation began: a file written later is not part of it


def content_version(session: Session, *, version_pk: int) -> ContentVersion:
    """The blob-key prefix and content generation of course version VERSION_PK; NotFound."""
    row = session.execute(select(CourseVersion.content_prefix, CourseVersion.content_generation,
                                 CourseVersion.content_changed).where(CourseVersion.pk == version_pk)).first()
    if row is None:
        raise NotFound("course version not found")
    return ContentVersion(row.content_prefix, row.content_generation, row.content_changed)


def content_file(session: Session, *, version_pk: int, path: str) -> tuple[str, ContentVersion, int, datetime]:
    """A file of course version VERSION_PK -> (clean path, its version's content, size, last written);
    NotFound or InvalidInput.
    One query: the content route answers most requests from this alone (a 304, or a small file)."""
    clean = assets.clean_path(path, "path")
    row = session.execute(
        select(CourseVersion.content_prefix, CourseVersion.content_generation, CourseVersion.content_changed,
               CourseFile.size, CourseFile.modified)
        .join(CourseFile, CourseFile.course_version_pk == CourseVersion.pk)
        .where(CourseVersion.pk == version_pk, CourseFile.path == clean)).first()
    if row is None:
        raise NotFound(f"The course has no file [{clean}]")
    found = ContentVersion(row.content_prefix, row.content_generation, row.content_changed)
    return clean, found, row.size, row.modified


def open_content(session: Session, *, store: BlobStore, version_pk: int, path: str) -> tuple[BinaryIO, int, str]:
    """A file of course version VERSION_PK -> (stream, size, clean path); NotFound or InvalidInput."""
    version = session.get(CourseVersion, version_pk)
    if version is None:
        raise NotFound("course version not found")
    clean = assets.clean_path(path, "path")
    stream, size = assets.open_asset(session, store=store, version=version, path=clean)
    return stream, size, clean

