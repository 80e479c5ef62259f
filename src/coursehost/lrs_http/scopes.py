"""OAuth token scopes on the LRS: read:xapi to read, write:xapi to write (SCORM Cloud's scope
names; the broad `read` / `write` / `admin` cover them). Application keys (Basic) and XapiApi
credentials have no scopes; their permission levels apply."""

from __future__ import annotations

from coursehost.domain.applications.auth import authenticate_token_cached
from coursehost.domain.errors import Forbidden

READ_METHODS = {"GET", "HEAD"}


def required_scope(method: str) -> str:
    """The scope METHOD (after the alternate syntax is unwrapped) needs."""
    return "read:xapi" if method in READ_METHODS else "write:xapi"


def require_scope(services, *, authorization: str | None, method: str) -> None:
    """403 when AUTHORIZATION is a bearer token whose scopes do not cover METHOD."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return
    principal = authenticate_token_cached(services.session_factory, instance_key=services.instance_key,
                                          token=value.strip())
    needed = required_scope(method)
    if principal is not None and not principal.allows(needed):
        raise Forbidden(f"This token's scopes do not include {needed}, which "
                        f"{'reading' if needed == 'read:xapi' else 'writing to'} the LRS needs")
