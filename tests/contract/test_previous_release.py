"""Rolling upgrade: the previous release's processes keep working against the schema this release's
migrations build (expand/contract, docs/ARCHITECTURE.md).

The previous release's source comes out of git (tests/previous_release.py) and runs from the same venv
with its own src first on PYTHONPATH. Its `coursehost serve` migrates a fresh database to its newest
revision; while it keeps running, this release's `coursehost db upgrade` migrates the database to this
release's head; the old process is then driven through the official client and plain HTTP (ping, import,
registration, launch, a run-time commit, progress, the console's sign-in page). Then the old release is
restarted against the upgraded database. Its `serve` cannot be used for that: it runs Alembic's upgrade at
start, and Alembic fails on a revision its scripts do not know (what COURSEHOST_MIGRATE_ON_START and the
"schema is newer" start of this release fix for the next upgrade). So the restart uses what the old code
does support: its create_app / create_content_app / serve_both, started by a small runner script, which is
`serve` without the migration step.

Until this release adds a migration (head == the previous release's head) the upgrade has nothing to do
and the test still checks the old processes end to end; once migrations 0025+ land it covers them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import rustici_software_cloud_v2 as cloud

from coursehost.db.migrate import head_revision, schema_status
from tests.contract.player_http import commit, import_one_sco, open_launch
from tests.contract.server_process import ServerProcess, fresh_database
from tests.databases import BACKENDS
from tests.previous_release import PREVIOUS_RELEASE, PREVIOUS_RELEASE_HEAD, extract_previous_release, newest_migration

THIS_SRC = Path(__file__).resolve().parents[2] / "src"

RUNNER = '''"""The previous release's `serve` without its migration step (see tests/contract/test_previous_release.py)."""
import sys

from coursehost.app import create_app, create_content_app
from coursehost.cli.serving import serve_both
from coursehost.services import build_services
from coursehost.settings import Settings

settings = Settings(port=int(sys.argv[1]), content_port=int(sys.argv[2])).resolved()
settings.check_safe()
services = build_services(settings)
print("previous release serving without migrating", flush=True)
serve_both(create_app(services=services), create_content_app(services), settings, log_level="warning",
           access_log=False)
'''


class PreviousReleaseRunner(ServerProcess):
    """The previous release restarted through RUNNER on the same ports, with the credentials its first start printed."""

    def __init__(self, first: ServerProcess, runner: Path):
        super().__init__(first.database_url, first.data_dir, env=first.extra_env)
        self.port, self.content_port = first.port, first.content_port
        self.base_url = self.service_url = first.base_url
        self.content_url, self.api_url = first.content_url, first.api_url
        self.creds, self.secret_key, self.runner = first.creds, first.secret_key, runner

    def command(self) -> list[str]:
        return [sys.executable, str(self.runner), str(self.port), str(self.content_port)]


def _code_location(env: dict) -> str:
    """Where `import coursehost` resolves under ENV's PYTHONPATH."""
    return subprocess.run([sys.executable, "-c", "import coursehost; print(coursehost.__file__)"],
                          env=env, capture_output=True, text=True, check=True).stdout.strip()


def _learn(server: ServerProcess, tmp_path: Path, name: str) -> None:
    """Import a one-SCO SCORM 1.2 course, register, launch, commit, and read the progress back."""
    client = server.client()
    assert cloud.PingApi(client).ping_app_id().api_message == "pong"
    import_one_sco(client, tmp_path, name)
    regs = cloud.RegistrationApi(client)
    regs.create_registration(cloud.CreateRegistrationSchema(
        course_id=name, registration_id=f"{name}-reg", learner=cloud.LearnerSchema(id=name, first_name="A", last_name="B")))
    _launch_and_commit(server, f"{name}-reg")


def _launch_and_commit(server: ServerProcess, registration_id: str) -> None:
    client = server.client()
    token = open_launch(server.content_url, client, registration_id)
    answer = commit(server.content_url, token, 1, {
        "lesson_status": "passed", "score": {"raw": "87", "min": "0", "max": "100"}, "lesson_location": "p3",
        "exit": "suspend", "session_time": "00:01:10"}, suspend_data=f"state of {registration_id}")
    assert answer, answer
    progress = cloud.RegistrationApi(client).get_registration_progress(
        registration_id, include_child_results=True, include_runtime=True)
    assert progress.registration_success == "PASSED" and progress.registration_completion == "COMPLETED"
    assert progress.score.scaled == 87 and progress.total_seconds_tracked == 70
    assert progress.activity_details.children[0].runtime.suspend_data == f"state of {registration_id}"
    page = httpx.get(server.base_url + "/console/signin")
    assert page.status_code == 200 and "<form" in page.text


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_previous_release_keeps_working_on_the_upgraded_schema(tmp_path, backend):
    old_src = extract_previous_release(tmp_path / "previous")
    assert newest_migration(old_src) == PREVIOUS_RELEASE_HEAD, f"{PREVIOUS_RELEASE}'s newest migration"
    old_env = {"PYTHONPATH": str(old_src)}
    url, cleanup = fresh_database(backend, tmp_path)
    old = ServerProcess(url, tmp_path / "data", env=old_env)
    runner_path = tmp_path / "previous_release_runner.py"
    runner_path.write_text(RUNNER)
    runner = None
    try:
        assert _code_location(dict(os.environ, **old_env)).startswith(str(old_src))
        old.start()  # its own serve: migrates the fresh database to its head
        assert schema_status(url).current == PREVIOUS_RELEASE_HEAD
        client = old.client()
        import_one_sco(client, tmp_path, "before")
        cloud.RegistrationApi(client).create_registration(cloud.CreateRegistrationSchema(
            course_id="before", registration_id="before-reg", learner=cloud.LearnerSchema(id="b", first_name="A",
                                                                                          last_name="B")))

        # This release's `db upgrade`, once, while the old process keeps serving.
        upgraded = subprocess.run(
            [sys.executable, "-m", "coursehost.cli.main", "db", "upgrade"], capture_output=True, text=True, timeout=300,
            env=dict(os.environ, PYTHONPATH=str(THIS_SRC), COURSEHOST_DATABASE_URL=url,
                     COURSEHOST_DATA_DIR=str(tmp_path / "data")))
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
        assert f"rev {PREVIOUS_RELEASE_HEAD} -> rev {head_revision()}" in upgraded.stdout
        assert schema_status(url).current == head_revision()

        _launch_and_commit(old, "before-reg")  # made before the upgrade, played after it
        _learn(old, tmp_path, "during")
        old.stop()

        runner = PreviousReleaseRunner(old, runner_path)
        runner.start()
        deadline = time.monotonic() + 10
        while "previous release serving without migrating" not in "".join(runner.output):
            assert time.monotonic() < deadline, runner.output
            time.sleep(0.05)
        progress = cloud.RegistrationApi(runner.client()).get_registration_progress("during-reg")
        assert progress.registration_success == "PASSED"
        _learn(runner, tmp_path, "after")
        assert schema_status(url).current == head_revision()  # the old release changed nothing
    finally:
        if runner is not None:
            runner.stop()
        old.stop()
        cleanup()
