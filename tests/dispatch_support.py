"""Destinations and dispatches made through the official client's DispatchApi (CreateDestinations,
CreateDispatches, UpdateDispatch), for tests of the parts that use them (zip, shell, LTI, PENS):
make_dispatch(live_server, course_id=...). The far-side rows (dispatch_registration) are read from
the database, which the API does not list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import rustici_software_cloud_v2 as cloud
from sqlalchemy import select

from coursehost.db.models.dispatch import Dispatch, DispatchRegistration
from coursehost.db.session import unit_of_work

# Lti13PlatformConfigurationSchema's wire names (as a destination stores them) -> the client's arguments
_LTI13 = {"clientId": "client_id", "platformIssuerIdentifier": "platform_issuer_identifier",
          "deploymentId": "deployment_id", "oidcAuthorizationEndpoint": "oidc_authorization_endpoint",
          "jsonWebKeySetUrl": "json_web_key_set_url", "accessTokenUrl": "access_token_url"}


@dataclass(frozen=True)
class MadeDispatch:
    dispatch_id: str
    dispatch_key: str
    destination_id: str
    secret: str  # the plain shared secret (LTI 1.1, signatures)
    pk: int


def dispatch_api(live_server, creds=None) -> cloud.DispatchApi:
    return cloud.DispatchApi(live_server.client(creds))


def make_dispatch(live_server, *, course_id: str, creds=None, destination_id: str | None = None,
                  lti13: dict | None = None, instanced: bool = False, **fields) -> MadeDispatch:
    """A dispatch of COURSE_ID to DESTINATION_ID (made by CreateDestinations when not given, with
    LTI13 platform settings) by CreateDispatches, as the application CREDS (the default one);
    FIELDS are further CreateDispatchSchema fields (enabled=False, registration_cap=1, ...). The
    key and shared secret come from GetLtiDispatch (they are the LTI 1.1 consumer key and secret)."""
    api = dispatch_api(live_server, creds)
    if destination_id is None:
        destination_id = f"dest-{uuid.uuid4().hex[:8]}"
        lti13_data = cloud.Lti13PlatformConfigurationSchema(**{_LTI13[k]: v for k, v in lti13.items()}) \
            if lti13 else None
        api.create_destinations(cloud.DestinationListSchema(destinations=[cloud.DestinationIdSchema(
            id=destination_id, data=cloud.DestinationSchema(name="Receiving LMS", lti13_data=lti13_data))]))
    dispatch_id = f"dispatch-{uuid.uuid4().hex[:8]}"
    api.create_dispatches(cloud.CreateDispatchListSchema(dispatches=[cloud.CreateDispatchIdSchema(
        id=dispatch_id, data=cloud.CreateDispatchSchema(destination_id=destination_id, course_id=course_id,
                                                         instanced=instanced, **fields))]))
    info = api.get_lti_dispatch(dispatch_id)
    with unit_of_work(live_server.services.session_factory) as session:
        pk = session.scalars(select(Dispatch.pk).where(Dispatch.dispatch_key == info.consumer_key)).one()
    return MadeDispatch(dispatch_id, info.consumer_key, destination_id, info.shared_secret, pk)


def update_dispatch(live_server, dispatch_id: str, creds=None, **fields) -> None:
    """UpdateDispatch through the official client: FIELDS are UpdateDispatchSchema fields."""
    dispatch_api(live_server, creds).update_dispatch(dispatch_id, cloud.UpdateDispatchSchema(**fields))


def dispatch_registrations(svc, dispatch_key: str) -> tuple[int, list[str]]:
    """(registrationCount, the registration ids made through the dispatch)."""
    with unit_of_work(svc.session_factory) as session:
        d = session.scalars(select(Dispatch).where(Dispatch.dispatch_key == dispatch_key)).one()
        ids = session.scalars(select(DispatchRegistration.registration_id)
                              .where(DispatchRegistration.dispatch_pk == d.pk).order_by(DispatchRegistration.pk))
        return d.registration_count, list(ids)


def dispatch_counts(svc, dispatch_key: str) -> tuple[int, int]:
    """(registrationCount, rows of dispatch_registration) of the dispatch: what launches created."""
    count, ids = dispatch_registrations(svc, dispatch_key)
    return count, len(ids)


def dispatch_registration(svc, dispatch_key: str) -> DispatchRegistration:
    """The one far-side row of the dispatch (detached)."""
    with unit_of_work(svc.session_factory) as session:
        d = session.scalars(select(Dispatch).where(Dispatch.dispatch_key == dispatch_key)).one()
        row = session.scalars(select(DispatchRegistration).where(DispatchRegistration.dispatch_pk == d.pk)).one()
        session.expunge(row)
        return row
