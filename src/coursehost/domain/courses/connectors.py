"""Content connectors (ContentConnectorsApi): an application's LTI 1.3 tools, which Coursehost
launches as a platform. A course imported through a connector (import_jobs, source "connector")
names it; launching that course launches the tool (domain/lti/platform.py).

A configuration is secret-free: the tool authenticates to our token endpoint with a JWT signed by
its own key, checked against its JWKS URL (LTI Security Framework 1.0 §4.1.1).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from coursehost.db.base import utcnow
from coursehost.db.models.connectors import ContentConnector
from coursehost.domain.errors import InvalidInput, NotFound
from coursehost.outbound import AddressPolicy, OutboundError

LTI13 = "LTI13"
TYPES = (LTI13,)
# configuration keys: (required, is a URL, fetched by us)
_FIELDS = {
    "clientId": (True, False, False), "loginUrl": (True, True, False), "launchUrl": (True, True, False),
    "jwksUrl": (True, True, True), "deploymentId": (False, False, False), "name": (False, False, False),
}
# Whether id_tokens carry the learner's name and e-mail (LTI 1.3 core §5.3.6.1, optional claims);
# without them the tool knows the learner only by an opaque sub. Default true.
SHARE_IDENTITY = "shareLearnerIdentity"
DEFAULT_DEPLOYMENT = "1"
# Where the tool finds us (additionalInstanceInformation), under the service origin.
AUTH_PATH, TOKEN_PATH, JWKS_PATH = "/lti/platform/auth", "/lti/platform/token", "/lti/jwks"


@dataclass(frozen=True)
class Lti13Tool:
    """A connector's configuration as typed values."""

    client_id: str
    login_url: str
    launch_url: str
    jwks_url: str
    deployment_id: str
    name: str | None
    share_identity: bool = True


def tool_of(connector: ContentConnector) -> Lti13Tool:
    c = connector.configuration or {}
    return Lti13Tool(client_id=c["clientId"], login_url=c["loginUrl"], launch_url=c["launchUrl"],
                     jwks_url=c["jwksUrl"], deployment_id=c.get("deploymentId") or DEFAULT_DEPLOYMENT,
                     name=c.get("name"), share_identity=c.get(SHARE_IDENTITY, True) is not False)


def check_type(value: str | None) -> str:
    """The connector type VALUE names (LTI13 is the one Coursehost speaks), or InvalidInput."""
    kind = (value or "").strip().upper().replace(" ", "").replace(".", "")
    if kind not in TYPES:
        raise InvalidInput(f"contentConnectorType must be one of {', '.join(TYPES)}, not [{value}]")
    return kind


def check_configuration(raw: object, *, allow_private_urls: bool) -> dict:
    """An LTI 1.3 tool's configuration, cleaned; InvalidInput naming the field at fault."""
    if not isinstance(raw, dict):
        raise InvalidInput("configuration must be an object with clientId, loginUrl, launchUrl and jwksUrl")
    unknown = sorted(set(raw) - set(_FIELDS) - {SHARE_IDENTITY})
    if unknown:
        raise InvalidInput(f"configuration.{unknown[0]} is not a known field (known: {', '.join(_FIELDS)})")
    clean: dict = {}
    if raw.get(SHARE_IDENTITY) is not None:
        if not isinstance(raw[SHARE_IDENTITY], bool):
            raise InvalidInput(f"configuration.{SHARE_IDENTITY} must be true or false")
        clean[SHARE_IDENTITY] = raw[SHARE_IDENTITY]
    for name, (required, is_url, fetched) in _FIELDS.items():
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise InvalidInput(f"configuration.{name} is required")
            continue
        if not isinstance(value, str) or len(value) > 2000:
            raise InvalidInput(f"configuration.{name} must be a string of at most 2000 characters")
        clean[name] = value.strip()
        if is_url:
            _check_url(f"configuration.{name}", clean[name], fetched and not allow_private_urls)
    return clean


def _check_url(field: str, url: str, guard: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{field} must be an http or https URL: [{url}]")
    if guard:  # we fetch it: refused now, and again by the outbound client when fetched
        try:
            AddressPolicy(allow_private=False).check_url(url)
        except OutboundError as exc:
            raise InvalidInput(f"{field} [{url}]: {exc}") from None


def instance_information(connector: ContentConnector, *, service_url: str) -> dict:
    """What the tool is configured with on its side: our issuer, its client id and deployment, our
    OIDC authorization, token and key set URLs (LTI 1.3 core §5.1.1, Security Framework §5.1.3)."""
    base = service_url.rstrip("/")
    tool = tool_of(connector)
    return {"issuer": base, "clientId": tool.client_id, "deploymentId": tool.deployment_id,
            "authenticationRequestUrl": base + AUTH_PATH, "accessTokenUrl": base + TOKEN_PATH,
            "jwksUrl": base + JWKS_PATH}


def create_connector(session: Session, *, application_pk: int, connector_type: str | None, configuration: object,
                     enabled: bool = True, allow_private_urls: bool = False) -> ContentConnector:
    """A new connector of the application, its id made here."""
    config = check_configuration(configuration, allow_private_urls=allow_private_urls)
    row = ContentConnector(application_pk=application_pk, connector_id=str(uuid.uuid4()),
                           connector_type=check_type(connector_type), configuration=config,
                           client_id=config["clientId"], enabled=bool(enabled))
    session.add(row)
    session.flush()
    return row


def list_connectors(session: Session, *, application_pk: int) -> list[ContentConnector]:
    return list(session.scalars(select(ContentConnector).where(ContentConnector.application_pk == application_pk)
                                .order_by(ContentConnector.created, ContentConnector.pk)))


def get_connector(session: Session, *, application_pk: int, connector_id: str) -> ContentConnector:
    """The application's connector CONNECTOR_ID, or NotFound (another application's is not found either)."""
    row = session.scalars(select(ContentConnector).where(ContentConnector.application_pk == application_pk,
                                                         ContentConnector.connector_id == connector_id)).first()
    if row is None:
        raise NotFound(f"Connector [{connector_id}] not found")
    return row


def update_connector(session: Session, *, application_pk: int, connector_id: str, configuration: object | None,
                     enabled: bool | None, allow_private_urls: bool = False) -> ContentConnector:
    """A new configuration and/or enabled flag; what is not given stays."""
    row = get_connector(session, application_pk=application_pk, connector_id=connector_id)
    if configuration is not None:
        row.configuration = check_configuration(configuration, allow_private_urls=allow_private_urls)
        row.client_id = row.configuration["clientId"]
    if enabled is not None:
        row.enabled = bool(enabled)
    row.updated = utcnow()
    session.flush()
    return row


def connectors_of_client(session: Session, client_id: str) -> list[ContentConnector]:
    """The enabled connectors whose tool has CLIENT_ID (the token endpoint's candidates; a client
    id is the tool's, so two applications may name the same one: each candidate's key is tried)."""
    return list(session.scalars(select(ContentConnector).where(ContentConnector.client_id == client_id,
                                                               ContentConnector.enabled.is_(True))))


def delete_connector(session: Session, *, application_pk: int, connector_id: str) -> None:
    """Gone; courses imported through it stay, and refuse to launch with a clear message."""
    session.delete(get_connector(session, application_pk=application_pk, connector_id=connector_id))
    session.flush()
