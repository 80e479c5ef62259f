"""The registrations a ReportFilter narrows a fact table to, as SQL the queries add to their WHERE."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from coursehost.db.models.courses import Course
from coursehost.db.models.dispatch import Destination, Dispatch, DispatchRegistration
from coursehost.db.models.invitations import Invitation, UserInvitation
from coursehost.db.models.registrations import Registration
from coursehost.domain.errors import NotFound
from coursehost.domain.reports.filters import ReportFilter


def course_pk(session: Session, flt: ReportFilter, course_id: str | None = None) -> int:
    """The pk of the filter's course (or COURSE_ID) in its application, NotFound for an unknown id."""
    wanted = course_id or flt.course_id
    pk = session.scalar(select(Course.pk).where(Course.application_pk == flt.application_pk,
                                                Course.course_id == wanted))
    if pk is None:
        raise NotFound(f"Course [{wanted}] not found")
    return pk


def registration_conditions(flt: ReportFilter, registration_pk: ColumnElement) -> list[ColumnElement]:
    """Conditions on REGISTRATION_PK for the filter's learner, invitation and destination (none when
    the filter names none of them, so the common case stays a plain index range scan)."""
    conds: list[ColumnElement] = []
    if flt.learner_id is not None:
        conds.append(registration_pk.in_(select(Registration.pk).where(
            Registration.application_pk == flt.application_pk, Registration.learner_id == flt.learner_id)))
    if flt.invitation_id is not None:
        ids = (select(UserInvitation.registration_id).join(Invitation, Invitation.pk == UserInvitation.invitation_pk)
               .where(Invitation.application_pk == flt.application_pk, Invitation.invitation_id == flt.invitation_id))
        conds.append(registration_pk.in_(select(Registration.pk).where(
            Registration.application_pk == flt.application_pk, Registration.registration_id.in_(ids))))
    if flt.destination_id is not None:
        ids = (select(DispatchRegistration.registration_id)
               .join(Dispatch, Dispatch.pk == DispatchRegistration.dispatch_pk)
               .join(Destination, Destination.pk == Dispatch.destination_pk)
               .where(and_(Destination.application_pk == flt.application_pk,
                           Destination.destination_id == flt.destination_id)))
        conds.append(registration_pk.in_(select(Registration.pk).where(
            Registration.application_pk == flt.application_pk, Registration.registration_id.in_(ids))))
    return conds
