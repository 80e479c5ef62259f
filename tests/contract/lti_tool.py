"""A real LTI 1.3 tool for the platform tests: PyLTI1p3's Flask adapter behind werkzeug's server in
a thread. Its launch validates our id_token with the library's own checks, then posts the score the
test asked for through the library's grade service (AGS), and shows what happened."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify
from flask import request as flask_request
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.grade import Grade
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfDict
from werkzeug.serving import make_server

from tests.servers import free_port


def _key_pair() -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return pem, public


@dataclass
class Tool:
    base_url: str
    client_id: str
    private_pem: str
    public_pem: str
    conf: ToolConfDict | None = None
    score: dict = field(default_factory=lambda: {"given": 8, "maximum": 10})
    launches: list[dict] = field(default_factory=list)  # validated id_token bodies
    errors: list[str] = field(default_factory=list)

    @property
    def urls(self) -> dict:
        return {"loginUrl": self.base_url + "/login", "launchUrl": self.base_url + "/launch",
                "jwksUrl": self.base_url + "/jwks"}

    def configure(self, info: dict) -> None:
        """The tool's side of the registration, from the connector's additionalInstanceInformation."""
        conf = ToolConfDict({info["issuer"]: [{
            "default": True, "client_id": info["clientId"], "auth_login_url": info["authenticationRequestUrl"],
            "auth_token_url": info["accessTokenUrl"], "key_set_url": info["jwksUrl"],
            "deployment_ids": [info["deploymentId"]]}]})
        conf.set_private_key(info["issuer"], self.private_pem, client_id=info["clientId"])
        conf.set_public_key(info["issuer"], self.public_pem, client_id=info["clientId"])
        self.conf = conf


def _app(tool: Tool) -> Flask:
    app = Flask("lti-tool")
    app.secret_key = "tool-session-key"

    @app.route("/login", methods=["GET", "POST"])
    def login():
        target = flask_request.values.get("target_link_uri")
        return FlaskOIDCLogin(FlaskRequest(), tool.conf).redirect(target)

    @app.route("/launch", methods=["POST"])
    def launch():
        try:
            launch = FlaskMessageLaunch(FlaskRequest(), tool.conf)
            data = launch.get_launch_data()  # validates: state, nonce, signature, iss/aud, deployment, message
            tool.launches.append(data)
            grade = (Grade().set_score_given(tool.score["given"]).set_score_maximum(tool.score["maximum"])
                     .set_timestamp(time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()))
                     .set_activity_progress("Completed").set_grading_progress("FullyGraded")
                     .set_user_id(data["sub"]))
            launch.get_ags().put_grade(grade)
        except Exception as exc:  # shown on the page and kept for the test's message
            tool.errors.append(f"{type(exc).__name__}: {exc}")
            return f"<h1>Tool error</h1><p>{exc}</p>", 400
        return f"<h1>Tool launched</h1><p id='who'>{data.get('name', '')}</p><p id='graded'>graded</p>"

    @app.route("/jwks")
    def jwks():
        return jsonify({"keys": [Registration.get_jwk(tool.public_pem)]})

    return app


@contextmanager
def running_tool(client_id: str = "tool-client-1") -> Iterator[Tool]:
    port = free_port()
    pem, public = _key_pair()
    tool = Tool(f"http://127.0.0.1:{port}", client_id, pem, public)
    server = make_server("127.0.0.1", port, _app(tool), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tool
    finally:
        server.shutdown()
        thread.join(timeout=10)
