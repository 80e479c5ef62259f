"""InvitationsApi: public invitations (links anyone may use to register on a course), private ones
(sent by e-mail to a list of addresses by a background job), the people who registered through
them, every invitation of the application, and invitation tags."""

from __future__ import annotations

from fastapi import Request, Response

from coursehost.api.v2.auth import Auth
from coursehost.api.v2.course import query_tags
from coursehost.api.v2.errors import ApiError
from coursehost.api.v2.operations import operation
from coursehost.api.v2.paging import parse_bool, parse_list_request, run_list
from coursehost.api.v2.registration import stored_postback
from coursehost.api.v2.schemas.common import TagListSchema
from coursehost.api.v2.schemas.courses import BatchTagsBody, TagsBody
from coursehost.api.v2.schemas.invitations import (
    CreatePrivateInvitationIn,
    CreatePublicInvitationIn,
    InvitationEmailSchema,
    InvitationJobStatusSchema,
    InvitationSummaryList,
    InvitationSummarySchema,
    PostBackOut,
    PrivateInvitationList,
    PrivateInvitationSchema,
    PrivateInvitationUpdateIn,
    PublicInvitationList,
    PublicInvitationSchema,
    PublicInvitationUpdateIn,
    UserInvitationList,
    UserInvitationRegistrationReport,
    UserInvitationSchema,
)
from coursehost.api.v2.schemas.registrations import ScoreSchema
from coursehost.api.v2.tagging import Taggable
from coursehost.domain.applications.auth import Principal
from coursehost.domain.errors import NotFound
from coursehost.domain.invitations import private, public
from coursehost.domain.reporting.progress import registration_progress
from coursehost.web import services, unit

INVITATION_TAGS = Taggable(public.TAG_KIND, "invitation", lambda session, app_pk, key: public.get_invitation(
    session, application_pk=app_pk, invitation_id=key))


def _base_url(request: Request) -> str:
    s = services(request).settings
    return (s.public_url or s.base_url or "").rstrip("/")


def invitation_url(request: Request, invitation_id: str) -> str:
    """The public page of an invitation, on the service origin (COURSEHOST_PUBLIC_URL)."""
    return public.invitation_url(_base_url(request), invitation_id)


def _public_schema(request: Request, inv, *, title: str, count: int | None) -> PublicInvitationSchema:
    return PublicInvitationSchema(
        id=inv.invitation_id, course_id=inv.course_id, course_title=title, allow_launch=inv.allow_launch,
        allow_new_registrations=inv.allow_new_registrations, url=invitation_url(request, inv.invitation_id),
        create_date=inv.created, updated=inv.updated, post_back=PostBackOut.of(inv.postback),
        expiration_date=inv.expiration_date, registration_cap=inv.registration_cap, registration_count=count)


def _one_public(request: Request, session, inv) -> PublicInvitationSchema:
    title = public.course_titles(session, [inv]).get(inv.course_pk, inv.course_id)
    count = public.registration_counts(session, [inv]).get(inv.pk, 0)
    return _public_schema(request, inv, title=title, count=count)


@operation("CreatePublicInvitation", response_model=PublicInvitationSchema)
def create_public_invitation(request: Request, body: CreatePublicInvitationIn,
                             principal: Principal = Auth) -> PublicInvitationSchema:
    """A public link to the course; anyone with it may register (up to registrationCap, 0: no cap)."""
    new = public.NewInvitation(
        course_id=body.courseId, creating_user_email=body.creatingUserEmail, registration_cap=body.registrationCap,
        expiration_date=body.expirationDate, postback=stored_postback(request, body.postBack), tags=body.tags or [])
    with unit(request) as session:
        try:
            inv = public.create_public_invitation(session, application_pk=principal.app_pk, new=new)
        except NotFound as exc:  # the body names the course: a bad request, not a missing resource
            raise ApiError(400, f"courseId: {exc}") from None
        return _one_public(request, session, inv)


def _list_extra(request: Request, *, with_tags: bool = True) -> dict:
    extra = {}
    if request.query_params.get("courseId"):
        extra["courseId"] = request.query_params["courseId"]
    tags = query_tags(request) if with_tags else []
    if tags:
        extra["tags"] = tags
    return extra


@operation("GetPublicInvitations", response_model=PublicInvitationList)
def get_public_invitations(request: Request, response: Response, principal: Principal = Auth) -> PublicInvitationList:
    """The application's public invitations, newest first by default, with paging and filters."""
    listing = parse_list_request(request, public.INVITATION_LIST, scope="publicInvitations",
                                 extra=_list_extra(request))
    parse_bool(request, "includeRegistrationCount")  # the count is always given (and never stale)
    with unit(request) as session:
        x = listing.query.extra
        stmt = public.invitation_list_query(principal.app_pk, public=True, course_id=x.get("courseId"),
                                            tags=x.get("tags"))
        invs, more = run_list(request, response, session, stmt, public.INVITATION_LIST, listing,
                              scope="publicInvitations")
        titles, counts = public.course_titles(session, invs), public.registration_counts(session, invs)
        items = [_public_schema(request, i, title=titles.get(i.course_pk, i.course_id), count=counts.get(i.pk, 0))
                 for i in invs]
    return PublicInvitationList(invitations=items, more=more)


@operation("GetPublicInvitation", response_model=PublicInvitationSchema)
def get_public_invitation(request: Request, invitationId: str, principal: Principal = Auth) -> PublicInvitationSchema:
    parse_bool(request, "includeRegistrationCount")
    with unit(request) as session:
        inv = public.get_invitation(session, application_pk=principal.app_pk, invitation_id=invitationId, public=True)
        return _one_public(request, session, inv)


@operation("UpdatePublicInvitation", response_model=PublicInvitationSchema)
def update_public_invitation(request: Request, invitationId: str, body: PublicInvitationUpdateIn,
                             principal: Principal = Auth) -> PublicInvitationSchema:
    """Open or close the invitation, move its expiry, change its cap or postback; other fields kept."""
    changes = public.InvitationChanges(
        allow_launch=body.allowLaunch, allow_new_registrations=body.allowNewRegistrations,
        expiration_date=body.expirationDate, registration_cap=body.registrationCap,
        postback=stored_postback(request, body.postBack) if body.postBack is not None else None)
    with unit(request) as session:
        inv = public.get_invitation(session, application_pk=principal.app_pk, invitation_id=invitationId, public=True)
        public.update_public_invitation(session, invitation=inv, changes=changes)
        return _one_public(request, session, inv)


def _report(progress) -> UserInvitationRegistrationReport:
    return UserInvitationRegistrationReport(
        complete=progress.registration_completion, success=progress.registration_success,
        total_seconds_tracked=progress.total_seconds_tracked,
        score=ScoreSchema(scaled=progress.score.scaled) if progress.score else None)


def _user_invitations(request: Request, response: Response, principal: Principal, invitation_id: str,
                      *, is_public: bool) -> UserInvitationList:
    scope = f"userInvitations:{invitation_id}"
    listing = parse_list_request(request, public.USER_INVITATION_LIST, scope=scope)
    include_report = parse_bool(request, "includeRegistrationReport")
    base = _base_url(request)
    with unit(request) as session:
        inv = public.get_invitation(session, application_pk=principal.app_pk, invitation_id=invitation_id,
                                    public=is_public)
        rows, more = run_list(request, response, session, public.user_invitation_query(inv),
                              public.USER_INVITATION_LIST, listing, scope=scope)
        regs = public.registrations_of(session, invitation=inv, rows=rows)
        items = []
        for row in rows:
            reg = regs.get(row.registration_id)
            progress = registration_progress(session, registration=reg) if reg is not None else None
            url = (invitation_url(request, inv.invitation_id) if is_public
                   else private.learner_link(base, inv.invitation_id, row.token or ""))
            items.append(UserInvitationSchema(
                email=row.email, url=url, is_started=bool(progress and progress.first_access_date),
                updated=row.updated, registration_id=reg.registration_id if reg is not None else None,
                registration_report=_report(progress) if progress is not None and include_report else None))
    return UserInvitationList(user_invitations=items, more=more)


@operation("GetPublicUserInvitations", response_model=UserInvitationList)
def get_public_user_invitations(request: Request, response: Response, invitationId: str,
                                principal: Principal = Auth) -> UserInvitationList:
    """The people who registered through the invitation, with their registration's progress on request."""
    return _user_invitations(request, response, principal, invitationId, is_public=True)


@operation("GetAllInvitations", response_model=InvitationSummaryList)
def get_all_invitations(request: Request, response: Response, principal: Principal = Auth) -> InvitationSummaryList:
    """Every invitation of the application, public and private, with paging and filters."""
    listing = parse_list_request(request, public.INVITATION_LIST, scope="allInvitations", extra=_list_extra(request))
    with unit(request) as session:
        x = listing.query.extra
        stmt = public.invitation_list_query(principal.app_pk, public=None, course_id=x.get("courseId"),
                                            tags=x.get("tags"))
        invs, more = run_list(request, response, session, stmt, public.INVITATION_LIST, listing,
                              scope="allInvitations")
        items = [InvitationSummarySchema(id=i.invitation_id, course_id=i.course_id, is_public=i.is_public,
                                         create_date=i.created, updated=i.updated) for i in invs]
    return InvitationSummaryList(invitations=items, more=more)


@operation("PutInvitationTagsBatch", status_code=204)
def put_invitation_tags_batch(request: Request, body: BatchTagsBody, principal: Principal = Auth) -> Response:
    """Set the tags of every listed invitation; all or nothing (an unknown id is a 404)."""
    return INVITATION_TAGS.batch(request, principal, body)


@operation("GetInvitationTags", response_model=TagListSchema)
def get_invitation_tags(request: Request, invitationId: str, principal: Principal = Auth) -> TagListSchema:
    return INVITATION_TAGS.read(request, principal, invitationId)


@operation("PutInvitationTags", status_code=204)
def put_invitation_tags(request: Request, invitationId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    """Replace the invitation's tags with these."""
    return INVITATION_TAGS.replace(request, principal, invitationId, body)


@operation("DeleteInvitationTags", status_code=204)
def delete_invitation_tags(request: Request, invitationId: str, body: TagsBody, principal: Principal = Auth) -> Response:
    return INVITATION_TAGS.remove(request, principal, invitationId, body)


# --- private invitations -----------------------------------------------------------------------------

def _private_schema(inv, *, title: str, count: int, launched: int) -> PrivateInvitationSchema:
    return PrivateInvitationSchema(
        id=inv.invitation_id, course_id=inv.course_id, course_title=title, allow_launch=inv.allow_launch,
        invitation_email=InvitationEmailSchema(subject=inv.email_subject, body=inv.email_body,
                                               addresses=list(inv.addresses or [])),
        create_date=inv.created, updated=inv.updated, post_back=PostBackOut.of(inv.postback),
        expiration_date=inv.expiration_date, registration_count=count, launched_registration_count=launched)


def _private_items(session, invs) -> list[PrivateInvitationSchema]:
    titles, counts = public.course_titles(session, invs), public.registration_counts(session, invs)
    launched = private.launched_counts(session, invs)
    return [_private_schema(i, title=titles.get(i.course_pk, i.course_id), count=counts.get(i.pk, 0),
                            launched=launched.get(i.pk, 0)) for i in invs]


@operation("CreatePrivateInvitation", response_model=InvitationSummarySchema)
def create_private_invitation(request: Request, body: CreatePrivateInvitationIn,
                              principal: Principal = Auth) -> InvitationSummarySchema:
    """Send the course to a list of addresses: one registration and one e-mail each, by a background
    job (GetPrivateInvitationJobStatus). Everything is checked first; a bad request creates nothing."""
    new = private.NewPrivateInvitation(
        course_id=body.courseId, creating_user_email=body.creatingUserEmail, subject=body.invitationEmail.subject,
        body=body.invitationEmail.body, addresses=body.invitationEmail.addresses,
        expiration_date=body.expirationDate, postback=stored_postback(request, body.postBack), tags=body.tags or [],
        duplicate_option=body.duplicateRegistrationOption)
    with unit(request) as session:
        try:
            inv = private.create_private_invitation(session, application_pk=principal.app_pk, new=new)
        except NotFound as exc:
            raise ApiError(400, f"courseId: {exc}") from None
        return InvitationSummarySchema(id=inv.invitation_id, course_id=inv.course_id, is_public=False,
                                       create_date=inv.created, updated=inv.updated)


@operation("GetPrivateInvitationJobStatus", response_model=InvitationJobStatusSchema)
def get_private_invitation_job_status(request: Request, invitationId: str,
                                      principal: Principal = Auth) -> InvitationJobStatusSchema:
    """STARTED while the e-mails go out, then COMPLETE; errors name the addresses that failed: those
    the job could not register, then those whose e-mail the SMTP server refused (its answer quoted)."""
    with unit(request) as session:
        inv = public.get_invitation(session, application_pk=principal.app_pk, invitation_id=invitationId, public=False)
        errors = [*(inv.job_errors or []), *private.failed_deliveries(session, inv)]
        return InvitationJobStatusSchema(status=inv.job_status or private.COMPLETE, errors=errors,
                                         total=len(inv.addresses or []), processed=inv.job_processed)


@operation("GetPrivateInvitations", response_model=PrivateInvitationList)
def get_private_invitations(request: Request, response: Response, principal: Principal = Auth) -> PrivateInvitationList:
    """The application's private invitations, newest first by default, with paging and filters."""
    listing = parse_list_request(request, public.INVITATION_LIST, scope="privateInvitations",
                                 extra=_list_extra(request))
    parse_bool(request, "includeRegistrationCount")
    with unit(request) as session:
        x = listing.query.extra
        stmt = public.invitation_list_query(principal.app_pk, public=False, course_id=x.get("courseId"),
                                            tags=x.get("tags"))
        invs, more = run_list(request, response, session, stmt, public.INVITATION_LIST, listing,
                              scope="privateInvitations")
        return PrivateInvitationList(invitations=_private_items(session, invs), more=more)


@operation("GetPrivateInvitation", response_model=PrivateInvitationSchema)
def get_private_invitation(request: Request, invitationId: str, principal: Principal = Auth) -> PrivateInvitationSchema:
    parse_bool(request, "includeRegistrationCount")
    with unit(request) as session:
        inv = public.get_invitation(session, application_pk=principal.app_pk, invitation_id=invitationId, public=False)
        return _private_items(session, [inv])[0]


@operation("UpdatePrivateInvitation", response_model=PrivateInvitationSchema)
def update_private_invitation(request: Request, invitationId: str, body: PrivateInvitationUpdateIn,
                              principal: Principal = Auth) -> PrivateInvitationSchema:
    """Allow or stop launches, move the expiry, change the postback or the e-mail text."""
    mail = body.invitationEmail
    changes = private.PrivateChanges(
        allow_launch=body.allowLaunch, subject=mail.subject if mail else None, body=mail.body if mail else None,
        expiration_date=body.expirationDate,
        postback=stored_postback(request, body.postBack) if body.postBack is not None else None)
    with unit(request) as session:
        inv = public.get_invitation(session, application_pk=principal.app_pk, invitation_id=invitationId, public=False)
        private.update_private_invitation(session, invitation=inv, changes=changes)
        return _private_items(session, [inv])[0]


@operation("GetPrivateUserInvitations", response_model=UserInvitationList)
def get_private_user_invitations(request: Request, response: Response, invitationId: str,
                                 principal: Principal = Auth) -> UserInvitationList:
    """The invited learners, each with their own link and, on request, their registration's progress."""
    return _user_invitations(request, response, principal, invitationId, is_public=False)
