"""DispatchApi's LTI 1.3 wire models (DispatchLti13InfoSchema, Lti13ToolConfigurationSchema), field for field."""

from __future__ import annotations

from coursehost.api.v2.schemas.common import Wire


class DispatchLti13InfoSchema(Wire):
    target_link_uri: str


class Lti13ToolConfigurationSchema(Wire):
    public_key: str
    oidc_login_initiations_url: str
    redirect_uri: str
    json_web_key_set_url: str
