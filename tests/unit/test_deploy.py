"""The deployment files (issue 21) checked without Docker, which this machine cannot run: the
Dockerfile's shape, compose.yaml's services, health checks and COURSEHOST_ variables (each a real
setting), the Caddyfile's two origins, and docs/DEPLOY.md's settings reference generated from Settings.

`python -m tests.unit.test_deploy` prints the reference table to paste into docs/DEPLOY.md."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from coursehost.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTING_NAMES = {f"COURSEHOST_{name.upper()}" for name in Settings.model_fields}
TABLE_START, TABLE_END = "<!-- settings-reference:start -->", "<!-- settings-reference:end -->"


def settings_reference() -> str:
    """The environment variables reference: one row per Settings field, from its default and description."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        shown = "(unset)" if default is None else f"`{str(default).lower() if isinstance(default, bool) else default}`"
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `COURSEHOST_{name.upper()}` | {shown} | {description} |")
    return "\n".join(rows)


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_dockerfile_is_multi_stage_slim_non_root_with_a_health_check():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\w+))?", text, re.M)
    assert [alias for _, alias in stages] == ["assets", "build", "runtime"]
    assert "make npm-deps" in text  # the vendor assets the same way as `make` (npm ci, then the copies)
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11-slim", text)
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^USER 10001", runtime, re.M) and "useradd --system --uid 10001" in runtime
    assert "npm" not in runtime and "COPY src" not in runtime  # only the built virtual environment
    assert re.search(r"^EXPOSE 8000 8001$", runtime, re.M)
    assert re.search(r"^HEALTHCHECK .*\n\s+CMD .*http://127\.0\.0\.1:8000/healthz", runtime, re.M)
    assert '\nCMD ["coursehost", "serve", "--host", "0.0.0.0"]' in runtime
    for name in re.findall(r"\b(COURSEHOST_[A-Z_]+)=", text):
        assert name in SETTING_NAMES, name
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".git", ".venv", "node_modules", "var", "tests", "src/coursehost/static/vendor"):
        assert path in ignored, path


def test_compose_has_the_production_shape():
    services = _compose()["services"]
    assert set(services) == {"postgres", "minio", "minio-init", "migrate", "web", "worker", "proxy"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["minio"]["image"].startswith("minio/minio")
    assert "mc mb --ignore-existing store/coursehost-content" in services["minio-init"]["command"][0]
    assert "mc version enable" in services["minio-init"]["command"][0]  # bucket versioning, for restores
    assert services["migrate"]["command"] == ["coursehost", "db", "upgrade"]
    assert services["web"]["command"][:3] == ["coursehost", "serve", "--host"] and "--workers" in services["web"]["command"]
    assert services["worker"]["command"] == ["coursehost", "worker"]
    assert services["proxy"]["image"].startswith("caddy:")
    for name in ("web", "worker"):  # nothing of this version runs before its schema is in place
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["minio-init"] == {"condition": "service_completed_successfully"}
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["proxy"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("postgres", "minio"):
        assert services[name]["healthcheck"]["test"], name
    assert services["web"]["environment"]["COURSEHOST_RUN_WORKER"] == "false"
    assert services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"].startswith("/run/")
    assert set(services["proxy"]["ports"]) == {"80:80", "443:443"}
    assert not any("ports" in services[name] for name in services if name != "proxy")  # one way in


def test_compose_sets_only_real_settings_and_every_process_the_same():
    services = _compose()["services"]
    envs = {name: services[name]["environment"] for name in ("migrate", "web", "worker")}
    for name, env in envs.items():
        for key in env:
            if key.startswith("COURSEHOST_"):
                assert key in SETTING_NAMES, f"{name}: {key} is not a setting"
        for shared in ("COURSEHOST_DATABASE_URL", "COURSEHOST_STORAGE_URL", "COURSEHOST_SECRET_KEY",
                       "COURSEHOST_PUBLIC_URL", "COURSEHOST_CONTENT_URL", "COURSEHOST_S3_ENDPOINT_URL"):
            assert env[shared] == envs["web"][shared], (name, shared)
    web = envs["web"]
    assert web["COURSEHOST_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in web["COURSEHOST_DATABASE_URL"]
    assert web["COURSEHOST_STORAGE_URL"].startswith("s3://coursehost-content")
    assert web["COURSEHOST_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert web["COURSEHOST_LOG_FORMAT"] == "json"
    text = (ROOT / "compose.yaml").read_text()
    for name in re.findall(r"\b(COURSEHOST_[A-Z_]+)\b", text):
        assert name in SETTING_NAMES or name == "COURSEHOST_IMAGE", name
    example = (ROOT / "deploy" / "env.example").read_text()
    for name in re.findall(r"^(COURSEHOST_[A-Z_]+)=", example, re.M):
        assert name in SETTING_NAMES, name


def test_caddyfile_serves_two_origins_and_keeps_monitoring_inside():
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    blocks = dict(re.findall(r"^\{\$(\w+)\} \{\n(.*?)^\}", text, re.M | re.S))
    assert set(blocks) == {"SERVICE_HOST", "CONTENT_HOST"}
    assert "reverse_proxy web:8000" in blocks["SERVICE_HOST"] and "reverse_proxy web:8001" in blocks["CONTENT_HOST"]
    for block in blocks.values():
        assert "@internal path /metrics /readyz" in block and "respond @internal 404" in block
    assert {"SERVICE_HOST", "CONTENT_HOST"} <= set(_compose()["services"]["proxy"]["environment"])


def test_deploy_doc_settings_reference_is_generated_from_settings():
    doc = (ROOT / "docs" / "DEPLOY.md").read_text()
    assert TABLE_START in doc and TABLE_END in doc
    table = doc.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip()
    assert table == settings_reference(), "docs/DEPLOY.md is stale: paste `python -m tests.unit.test_deploy`"
    assert "not been built" in doc  # said plainly: no image was built where this was written
    for name in re.findall(r"\b(COURSEHOST_[A-Z_]+)\b", doc):
        assert name in SETTING_NAMES or name == "COURSEHOST_IMAGE", name


if __name__ == "__main__":
    print(settings_reference())
