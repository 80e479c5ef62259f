"""The one configuration object. Built by the caller (CLI, tests), passed down; never read at import."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field
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
    base_url: str | None = Field(None, description="public URL of this service; default http://HOST:PORT")
    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8000, description="port to listen on")
    secret_key: str | None = Field(
        None, description="instance key for tokens and secrets at rest; generated into DATA_DIR when unset"
    )
    run_worker: bool = Field(True, description="run one job worker inside `serve`")
    max_json_body_bytes: int = Field(1_048_576, description="largest JSON request body accepted")
    worker_poll_seconds: float = Field(1.0, description="how often an idle worker looks for jobs")
    job_lease_seconds: float = Field(300.0, description="a running job not finished by then is run again")
    lrs_max_body_bytes: int = Field(
        16 * 1024 * 1024, description="largest request body the LRS accepts (statements with attachments)")
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
    auth_failures_per_minute: int = Field(
        20, ge=1, description="failed authentications of one key (application id, xAPI credential) in a "
        "minute before it is refused with 429 until the minute ends"
    )
    auth_failures_per_address_per_minute: int = Field(
        100, ge=1, description="failed authentications from one client address in a minute before it is "
        "refused with 429 until the minute ends"
    )

    def resolved(self) -> Settings:
        """Return a copy with every default that depends on DATA_DIR filled in (creates DATA_DIR)."""
        data_dir = self.data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        updates: dict = {"data_dir": data_dir}
        if not self.database_url:
            updates["database_url"] = f"sqlite:///{data_dir / 'coursehost.db'}"
        if not self.storage_url:
            updates["storage_url"] = f"file://{data_dir / 'content'}"
        if not self.base_url:
            updates["base_url"] = f"http://{self.host}:{self.port}"
        if not self.secret_key:
            updates["secret_key"] = _instance_key(data_dir)
        return self.model_copy(update=updates)

    def check_safe(self) -> None:
        """Refuse configurations that would run insecurely, with a message saying why."""
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise ValueError("COURSEHOST_SECRET_KEY must be at least 32 characters")
        if self.max_json_body_bytes < 1024:
            raise ValueError("COURSEHOST_MAX_JSON_BODY_BYTES must be at least 1024")


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
