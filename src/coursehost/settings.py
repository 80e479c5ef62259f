"""The one configuration object. Built by the caller (CLI, tests), passed down; never read at import."""

from __future__ import annotations

import os
import secrets
from email.utils import parseaddr
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Coursehost configuration; every field can be set as COURSEHOST_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="COURSEHOST_", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="SQLite file, local content and the instance key")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in DATA_DIR")
    storage_url: str | None = Field(
        None, description="file:///path or s3://bucket/prefix; default DATA_DIR/content"
    )
    s3_endpoint_url: str | None = Field(None, description="S3 endpoint (MinIO, moto, ...); default AWS")
    content_redirect: Literal["", "s3"] = Field(
        "", description="s3: course media and images (not pages, scripts, styles) are answered with a 307 to a "
                        "presigned S3 URL instead of passing through this process; needs an s3:// STORAGE_URL")
    public_url: str | None = Field(
        None, description="the service origin (API, LRS, console) as browsers and clients reach it; "
                          "default http://HOST:PORT")
    base_url: str | None = Field(
        None, description="older name of PUBLIC_URL, still accepted; after resolved() it equals PUBLIC_URL")
    content_url: str | None = Field(
        None, description="the content origin (player pages, course files): another origin than PUBLIC_URL; "
                          "default http://HOST:CONTENT_PORT")
    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8000, description="port the service origin listens on")
    content_port: int = Field(8001, description="port the content origin listens on")
    secret_key: str | None = Field(
        None, description="instance key for tokens and secrets at rest; generated into DATA_DIR when unset"
    )
    run_worker: bool = Field(True, description="run one job worker inside `serve`")
    max_json_body_bytes: int = Field(1_048_576, description="largest JSON request body accepted")
    worker_poll_seconds: float = Field(1.0, description="how often an idle worker looks for jobs")
    job_lease_seconds: float = Field(300.0, description="a running job not finished by then is run again")
    lrs_max_body_bytes: int = Field(
        16 * 1024 * 1024, description="largest request body the LRS accepts (statements with attachments)")
    lrs_max_concurrent_large_bodies: int = Field(
        8, description="LRS request bodies over 1 MiB read at once per process; more wait up to 5 s, then 503")
    lrs_allowed_origins: str = Field(
        "", description="comma-separated origins (https://lms.example.com) whose pages may use the LRS's "
                        "alternate request syntax besides the service origin (docs/LRS.md)")
    lrs_latest_version: Literal["1.0.3", "2.0.0"] = Field(
        "2.0.0", description="xAPI version the LRS names in answers to requests that name none "
        "(GET about without X-Experience-API-Version, and the 400 for any other resource)")
    lrs_strict_state_concurrency: bool = Field(
        False, description="xAPI 2.0 State PUT without If-Match/If-None-Match on an existing document -> 409 "
                           "(IEEE 9274.1.1 4.1.4); off accepts it, as Articulate Storyline needs (docs/LRS.md)")
    page_size: int = Field(100, description="items per page in API lists")
    import_max_package_bytes: int = Field(
        4 * 1024**3, description="largest course package accepted (upload or fetch)"
    )
    import_max_expanded_bytes: int = Field(
        8 * 1024**3, description="most bytes a package may expand to"
    )
    import_max_files: int = Field(50_000, description="most files a package may hold")
    import_max_compression_ratio: float = Field(
        200.0, description="expanded/compressed ratio above which a package is refused as a zip bomb"
    )
    import_fetch_timeout_seconds: float = Field(
        60.0, description="connect and read timeout when fetching a package from a URL"
    )
    allow_private_urls: bool = Field(
        False, description="let server-side requests (import by URL, postbacks, statement pipes) go to "
                           "loopback, private, link-local and reserved addresses: development and tests only"
    )
    auth_failures_per_minute: int = Field(
        20, ge=1, description="failed authentications of one key (application id, xAPI credential) in a "
        "minute before it is refused with 429 until the minute ends"
    )
    auth_failures_per_address_per_minute: int = Field(
        100, ge=1, description="failed authentications from one client address in a minute before it is "
        "refused with 429 until the minute ends"
    )
    invite_signups_per_address_per_minute: int = Field(
        30, ge=1, description="sign-ups on public invitation pages from one client address in a minute before "
        "the page refuses more until the minute ends (against bots; no CAPTCHA service)"
    )
    smtp_url: SecretStr | None = Field(
        None, description="where e-mail goes: smtp://user:password@host:port (STARTTLS when the server offers "
        "it) or smtps://... (implicit TLS), user and password URL-encoded; unset, each message is written as "
        "an .eml file under DATA_DIR/mail/")
    mail_from: str | None = Field(
        None, description="the From of every e-mail, 'Name <address>' or an address; "
        "default Coursehost <coursehost@HOST of PUBLIC_URL>")
    mail_bounce_address: str | None = Field(
        None, description="where bounces go: each message's envelope sender (MAIL FROM, the Return-Path) "
        "is this address with +TOKEN added to its local part (bounces@example.org -> "
        "bounces+TOKEN@example.org), so `coursehost mail bounces` can tell which message bounced; unset, "
        "the envelope sender is the From address and later bounces are not recorded")
    smtp_timeout_seconds: float = Field(
        30.0, gt=0, description="connect and reply timeout when talking to the SMTP server")

    console_max_failed_signins: int = Field(
        5, ge=1, description="wrong passwords in a row after which a console account is locked for its "
        "user's lock-out time (their settings; 30 minutes unless changed)")
    console_signin_link_hours: float = Field(
        24.0, gt=0, description="how long a one-time console sign-in link (printed by `coursehost user create` "
        "without --password-stdin) stays valid")
    console_session_idle_hours: float = Field(
        12.0, gt=0, description="a console session unused this long is signed out")
    migrate_on_start: bool = Field(
        True, description="`serve`, `worker` and the admin commands apply migrations at start; false for a "
        "rolling upgrade, where `coursehost db upgrade` runs once before the new release starts and a process "
        "finding an older schema refuses to start (docs/ARCHITECTURE.md, migrations)")

    # Operations (issue 21, docs/DEPLOY.md)
    log_format: Literal["text", "json"] = Field(
        "text", description="text: readable lines; json: one JSON object per line (time, level, logger, message, "
        "request_id; access lines add method, route, status, duration_ms)")
    metrics_token: SecretStr | None = Field(
        None, description="when set, GET /metrics needs `Authorization: Bearer <token>`; unset, /metrics "
        "answers only loopback and private client addresses")
    readiness_timeout_seconds: float = Field(
        2.0, gt=0, description="how long /readyz waits for the database and for the blob store before "
        "answering 503")
    workers: int = Field(
        1, description="serving processes `coursehost serve` runs (each with both origins and a job worker); "
        "more than 1 needs PostgreSQL")

    def resolved(self) -> Settings:
        """Return a copy with every default that depends on DATA_DIR filled in (creates DATA_DIR)."""
        data_dir = self.data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        updates: dict = {"data_dir": data_dir}
        if not self.database_url:
            updates["database_url"] = f"sqlite:///{data_dir / 'coursehost.db'}"
        if not self.storage_url:
            updates["storage_url"] = f"file://{data_dir / 'content'}"
        if self.public_url and self.base_url and origin(self.public_url) != origin(self.base_url):
            raise UnsafeSettings("COURSEHOST_PUBLIC_URL and its older name COURSEHOST_BASE_URL disagree; set one")
        public = (self.public_url or self.base_url or f"http://{self.host}:{self.port}").rstrip("/")
        updates["public_url"] = updates["base_url"] = public
        if not self.content_url and not (self.public_url or self.base_url):
            updates["content_url"] = f"http://{self.host}:{self.content_port}"
        if not self.secret_key:
            updates["secret_key"] = _instance_key(data_dir)
        return self.model_copy(update=updates)

    def check_safe(self) -> None:
        """Refuse configurations that would run insecurely, with a message saying why."""
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise UnsafeSettings("COURSEHOST_SECRET_KEY must be at least 32 characters")
        if self.max_json_body_bytes < 1024:
            raise UnsafeSettings("COURSEHOST_MAX_JSON_BODY_BYTES must be at least 1024")
        self._check_origins()
        self._check_mail()
        self._check_content_redirect()

    def _check_content_redirect(self) -> None:
        if self.content_redirect == "s3" and not (self.storage_url or "").strip().startswith("s3://"):
            raise UnsafeSettings("COURSEHOST_CONTENT_REDIRECT=s3 needs an S3 store: set COURSEHOST_STORAGE_URL to "
                                 f"s3://bucket/prefix (it is {self.storage_url or 'the default filesystem store'!r})")

    def _check_origins(self) -> None:
        """Course content must not share the service's origin: its scripts could read the API (docs/SECURITY.md)."""
        if self.public_url and not self.content_url:
            raise UnsafeSettings(
                "COURSEHOST_PUBLIC_URL is set but COURSEHOST_CONTENT_URL is not: set the content origin too "
                "(another host name or port; README, Deployment: two hostnames)")
        for name, url in (("COURSEHOST_PUBLIC_URL", self.public_url), ("COURSEHOST_CONTENT_URL", self.content_url)):
            if url is not None and origin(url) is None:
                raise UnsafeSettings(f"{name} must be an http:// or https:// URL with a host name, not {url!r}")
        if self.public_url and origin(self.public_url) == origin(self.content_url):
            raise UnsafeSettings(
                f"COURSEHOST_CONTENT_URL ({self.content_url}) and COURSEHOST_PUBLIC_URL ({self.public_url}) must "
                "differ in origin (scheme, host or port): a course's scripts on the service's origin could read "
                "the API and the LRS with the learner's browser. Use another host name or port (README, "
                "Deployment: two hostnames)")
        if self.port == self.content_port:
            raise UnsafeSettings(f"COURSEHOST_PORT and COURSEHOST_CONTENT_PORT must differ (both {self.port}): "
                                 "the service and the content origin must differ")

    def _check_mail(self) -> None:
        """The SMTP URL and the From address are checked at startup, not when the first message fails."""
        if self.smtp_url is not None:
            try:
                parts = urlsplit(self.smtp_url.get_secret_value().strip())
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                raise UnsafeSettings("COURSEHOST_SMTP_URL is not a valid URL (smtp://user:password@host:port)") from None
            if parts.scheme.lower() not in ("smtp", "smtps") or not parts.hostname:
                raise UnsafeSettings("COURSEHOST_SMTP_URL must be smtp://user:password@host:port (STARTTLS when "
                                     "offered) or smtps://... (implicit TLS), with a host name")
        if self.mail_from is not None:
            name, address = parseaddr(self.mail_from)
            if "@" not in address or address.startswith("@") or address.endswith("@") or \
                    any(ch in self.mail_from for ch in "\r\n"):
                raise UnsafeSettings(f"COURSEHOST_MAIL_FROM must be an e-mail address or 'Name <address>', "
                                     f"not {self.mail_from!r}")
        if self.mail_bounce_address is not None:
            local, _, domain = self.mail_bounce_address.strip().rpartition("@")
            if not local or not domain or any(ch in self.mail_bounce_address for ch in "\r\n<> +\""):
                raise UnsafeSettings("COURSEHOST_MAIL_BOUNCE_ADDRESS must be a plain address such as "
                                     f"bounces@example.org (no name, no '+'), not {self.mail_bounce_address!r}")

    @property
    def https(self) -> bool:
        """Whether the service origin is served over HTTPS (then responses carry HSTS)."""
        return (self.public_url or self.base_url or "").lower().startswith("https://")


class UnsafeSettings(ValueError):
    """A configuration startup refuses; the message says which setting and why."""


def origin(url: str | None) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL (the port filled in from the scheme), or None if it is not one."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80)


def _instance_key(data_dir: Path) -> str:
    """Read the instance key kept in DATA_DIR, creating it (mode 0600) on first run."""
    path = data_dir / "instance.key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    tmp = data_dir / f"instance.key.{secrets.token_hex(4)}"
    tmp.touch(mode=0o600)
    tmp.write_text(key)
    try:
        os.link(tmp, path)  # atomic and exclusive: a second process starting at once keeps the first key
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
