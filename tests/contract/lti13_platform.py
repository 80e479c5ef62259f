"""A real LTI 1.3 platform for tests: the PyPI package lti1p3platform (its registration, OIDC login,
message launch, access token and AGS score service), served by a small HTTP server in a thread:
GET /jwks (its key set), GET /auth (its authorization endpoint: the launch as an auto-posting form),
POST /token (client credentials with our signed assertion, verified by the
library against our /lti/jwks), POST /lineitems/{id}/scores (the scores it receives)."""

from __future__ import annotations

import html
import json
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService

ISSUER = "https://lms.example.edu"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


def rsa_pems() -> tuple[str, str]:
    """(private PEM, public PEM) of a new RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


class PlainRequest(Request):
    def build_metadata(self, request: Any):
        return request


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self.registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self.registration


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict, **kwargs: Any) -> dict:
        return launch_data


class Scores(AssignmentsGradesService):
    def __init__(self, request, platform_config, lineitems_url, received: list):
        super().__init__(request, platform_config, lineitems_url)
        self.received = received

    def update_score(self, line_item_id: str, score) -> UpdateScoreStatus:
        self.received.append({"lineitem": line_item_id, **score})
        return UpdateScoreStatus.SUCCESS

    def find_lineitems(self, *a, **k):
        raise NotImplementedError

    def find_lineitem(self, line_item_id):
        raise NotImplementedError

    def create_lineitem(self, creation_data):
        raise NotImplementedError

    def update_lineitem(self, update_data):
        raise NotImplementedError

    def delete_lineitem(self, line_item_id):
        raise NotImplementedError

    def get_results(self, *a, **k):
        raise NotImplementedError


@dataclass
class Platform:
    """One running platform and what it received."""

    url: str
    client_id: str
    deployment_id: str
    registration: Registration
    conf: PlatformConf
    scores: list = field(default_factory=list)
    assertions: list = field(default_factory=list)  # the client assertions our server sent, decoded unverified
    errors: list = field(default_factory=list)  # why the library refused a token request
    token_outages: int = 0  # the next N token requests are answered 503

    def lti13_config(self) -> dict:
        """Lti13PlatformConfigurationSchema of this platform, as a destination stores it."""
        return {"clientId": self.client_id, "platformIssuerIdentifier": ISSUER, "deploymentId": self.deployment_id,
                "oidcAuthorizationEndpoint": self.url + "/auth", "jsonWebKeySetUrl": self.url + "/jwks",
                "accessTokenUrl": self.url + "/token"}

    def login_url(self, target_link_uri: str, *, user: str, hint: str = "link-1") -> str:
        """The platform's third-party login initiation request to the tool (a URL the browser GETs)."""
        self.registration.set_launch_url(target_link_uri)
        login = Login(None, self.conf)
        login.set_lti_message_hint(hint=hint)
        return login.initiate_login(user)

    def launch(self, auth_params: dict, *, user: str, resource_link: str = "link-1", name: str = "Ada Lovelace",
               email: str = "ada@example.com", ags: bool = True, expiration: int = 300) -> dict:
        """The launch the platform answers our authorization request AUTH_PARAMS with: {id_token, state,
        launch_url} (launch_url: the redirect_uri we named)."""
        launch = Launch(PlainRequest({"method": "GET", "get_data": auth_params, "form_data": {}}), self.conf)
        launch.set_user_data(user, ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"], full_name=name,
                             email_address=email)
        launch.set_resource_link_claim(resource_link, title="Golf")
        if ags:
            launch.set_ags(self.url + "/lineitems", self.url + "/lineitems/1", scores_service_enabled=True)
        launch.set_id_token_expiration(expiration)
        return launch.lti_launch()

    def sign(self, claims: dict, *, private_pem: str | None = None) -> str:
        """CLAIMS signed with the platform's key id (with another key when PRIVATE_PEM is given)."""
        return jwt.encode(claims, private_pem or self.registration.get_platform_private_key(), algorithm="RS256",
                          headers={"kid": self.registration.get_kid()})


def _handler(platform: Platform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, code: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/jwks":
                return self._answer(200, {"keys": platform.registration.get_jwks()})
            if self.path.startswith("/auth?"):  # our authorization request: the launch as an auto-posting form
                params = dict(parse_qsl(urlsplit(self.path).query))
                data = platform.launch(params, user=params["login_hint"])
                page = (f'<!doctype html><form method="post" action="{html.escape(data["launch_url"])}">'
                        f'<input type="hidden" name="id_token" value="{html.escape(data["id_token"])}">'
                        f'<input type="hidden" name="state" value="{html.escape(data["state"])}"></form>'
                        "<script>document.forms[0].submit()</script>").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return None
            return self._answer(404, {})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urlsplit(self.path).path
            if path == "/token" and platform.token_outages > 0:
                platform.token_outages -= 1
                return self._answer(503, {"error": "temporarily_unavailable"})
            if path == "/token":
                form = dict(parse_qsl(body.decode()))
                platform.assertions.append(jwt.decode(form.get("client_assertion", ""),
                                                      options={"verify_signature": False}))
                try:
                    return self._answer(200, platform.conf.get_access_token(form))
                except Exception as exc:  # the library's refusal: a 400 as a token endpoint answers
                    platform.errors.append(repr(exc))
                    return self._answer(400, {"error": "invalid_client", "detail": type(exc).__name__})
            if path.startswith("/lineitems/") and path.endswith("/scores"):
                request = PlainRequest({"method": "POST", "headers": dict(self.headers), "json": json.loads(body),
                                        "get_data": {}, "form_data": {}, "path": path})
                service = Scores(request, platform.conf, platform.url + "/lineitems", platform.scores)
                resp = service.handle_resp(service.handle_update_score, line_item_id=path.split("/")[2])
                if resp.code == 200:
                    platform.scores[-1]["contentType"] = self.headers.get("Content-Type")
                return self._answer(resp.code, {"message": resp.message})
            return self._answer(404, {})

    return Handler


@contextmanager
def running_platform(tool_jwks_url: str, tool_login_url: str):
    """An lti1p3platform platform on a free port that knows our tool (its login URL and key set URL)."""
    private, public = rsa_pems()
    registration = (Registration().set_iss(ISSUER).set_client_id(f"client-{uuid.uuid4().hex[:8]}")
                    .set_deployment_id("deployment-1").set_oidc_login_url(tool_login_url)
                    .set_platform_private_key(private).set_platform_public_key(public)
                    .set_tool_key_set_url(tool_jwks_url))
    conf = PlatformConf(registration=registration)
    conf.get_registration()
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    platform = Platform(f"http://127.0.0.1:{server.server_address[1]}", registration.get_client_id(),
                        "deployment-1", registration, conf)
    server.RequestHandlerClass = _handler(platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
