"""Realm limits (issue 15, "Realms"): the operator sets them with `coursehost realm limits`; imports
and CreateRegistration over a limit are refused through the official client with 403 and a message
naming the limit and the usage, and leave nothing behind; linked realms share their limits; the
registration count resets where the realm allows it; concurrent creations never pass the limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2.rest import ApiException

from coursehost.db.models.tenancy import Realm
from coursehost.db.session import unit_of_work
from coursehost.domain.applications import service as apps
from tests.builders.scorm import scorm12_zip
from tests.contract.courses import course_api, upload, wait_for_job
from tests.contract.helpers import message
from tests.servers import AppCreds

SRC = Path(__file__).resolve().parents[2] / "src"


def new_realm(live_server, apps_in_it: int = 1) -> tuple[int, list[AppCreds]]:
    """A realm of its own (limits on it touch no other test) with APPS_IN_IT applications."""
    svc = live_server.services
    with unit_of_work(svc.session_factory) as session:
        realm = Realm(name=f"realm-{uuid.uuid4().hex[:8]}")
        session.add(realm)
        session.flush()
        made = [apps.create_application(session, box=svc.box, realm_id=realm.id, name=f"app-{n}")
                for n in range(apps_in_it)]
        return realm.id, [AppCreds(app.app_id, secret) for app, secret in made]


def cli(live_server, tmp_path, *args: str) -> subprocess.CompletedProcess:
    """`coursehost ARGS` as the operator runs it, on the live server's database."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "COURSEHOST_DATABASE_URL": live_server.services.settings.database_url,
           "COURSEHOST_DATA_DIR": str(tmp_path / "cli-data")}
    return subprocess.run([sys.executable, "-m", "coursehost.cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def limits(live_server, tmp_path, realm_id: int, *args: str) -> dict:
    done = cli(live_server, tmp_path, "realm", "limits", "--realm", str(realm_id), *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def imported(live_server, creds: AppCreds, tmp_path: Path, title: str = "Limited course") -> str:
    course_id = f"c-{uuid.uuid4().hex[:8]}"
    status = upload(course_api(live_server, creds), tmp_path, scorm12_zip(title), course_id=course_id)
    assert status.status == "COMPLETE", status.message
    return course_id


def register(live_server, creds: AppCreds, course_id: str, registration_id: str | None = None) -> str:
    registration_id = registration_id or f"r-{uuid.uuid4().hex[:10]}"
    cloud.RegistrationApi(live_server.client(creds)).create_registration(cloud.CreateRegistrationSchema(
        course_id=course_id, registration_id=registration_id, learner=cloud.LearnerSchema(id="learner-1")))
    return registration_id


def registration_ids(live_server, creds: AppCreds) -> set[str]:
    found = cloud.RegistrationApi(live_server.client(creds)).get_registrations()
    return {r.id for r in found.registrations}


def stored_paths(live_server, app_id: str) -> list[str]:
    """Every blob the application has in the filesystem store (courses and staged packages)."""
    root = Path(live_server.services.settings.storage_url.removeprefix("file://"))
    return [str(p) for kind in ("courses", "packages") for p in (root / kind / app_id).rglob("*") if p.is_file()]


def test_cli_prints_limits_and_usage(live_server, tmp_path):
    realm_id, (creds,) = new_realm(live_server)
    shown = cli(live_server, tmp_path, "realm", "limits", "--realm", str(realm_id))
    assert shown.returncode == 0, shown.stderr
    assert "storage:       0 bytes used, no limit" in shown.stdout
    assert "registrations: 0 registrations used, no limit (not resettable)" in shown.stdout
    course_id = imported(live_server, creds, tmp_path)
    register(live_server, creds, course_id)
    data = limits(live_server, tmp_path, realm_id, "--storage-bytes", "10000000", "--registrations", "7",
                  "--resettable", "yes")
    assert data["storage_limit_bytes"] == 10_000_000 and data["registration_limit"] == 7
    assert data["registrations_used"] == 1 and data["registrations_resettable"] is True
    assert data["storage_used_bytes"] > 0
    shown = cli(live_server, tmp_path, "realm", "limits", "--realm", str(realm_id))
    assert f"storage:       {data['storage_used_bytes']} of 10000000 bytes used" in shown.stdout
    assert "registrations: 1 of 7 registrations used (resettable)" in shown.stdout
    bad = cli(live_server, tmp_path, "realm", "limits", "--realm", str(realm_id), "--registrations", "-1")
    assert bad.returncode == 2 and "whole number" in bad.stderr
    assert limits(live_server, tmp_path, realm_id, "--registrations", "none")["registration_limit"] is None


def test_registration_over_the_limit_is_refused_and_creates_nothing(live_server, tmp_path):
    realm_id, (creds,) = new_realm(live_server)
    course_id = imported(live_server, creds, tmp_path)
    limits(live_server, tmp_path, realm_id, "--registrations", "2")
    made = {register(live_server, creds, course_id) for _ in range(2)}
    with pytest.raises(ApiException) as refused:
        register(live_server, creds, course_id, "one-too-many")
    assert refused.value.status == 403
    assert message(refused.value) == (
        f"Registration limit reached: realm [{limits(live_server, tmp_path, realm_id)['realm_name']}] "
        "may create 2 registrations and 2 are used")
    assert registration_ids(live_server, creds) == made
    regs = cloud.RegistrationApi(live_server.client(creds))
    with pytest.raises(ApiException) as missing:
        regs.get_registration("one-too-many")
    assert missing.value.status == 404
    assert limits(live_server, tmp_path, realm_id)["registrations_used"] == 2


def test_sandbox_preview_registrations_do_not_count(live_server, tmp_path):
    realm_id, (creds,) = new_realm(live_server)
    course_id = imported(live_server, creds, tmp_path)
    limits(live_server, tmp_path, realm_id, "--registrations", "0")
    link = course_api(live_server, creds).build_course_preview_launch_link(
        course_id, cloud.LaunchLinkRequestSchema(redirect_on_exit_url="closer"))
    assert link.launch_link.startswith(live_server.content_url)
    assert limits(live_server, tmp_path, realm_id)["registrations_used"] == 0


def test_reset_registrations_where_resettable_keeps_every_registration(live_server, tmp_path):
    realm_id, (creds,) = new_realm(live_server)
    course_id = imported(live_server, creds, tmp_path)
    limits(live_server, tmp_path, realm_id, "--registrations", "1")
    first = register(live_server, creds, course_id)
    refused = cli(live_server, tmp_path, "realm", "reset-registrations", "--realm", str(realm_id))
    assert refused.returncode == 2 and "cannot be reset" in refused.stderr
    assert limits(live_server, tmp_path, realm_id)["registrations_used"] == 1
    limits(live_server, tmp_path, realm_id, "--resettable", "yes")
    reset = cli(live_server, tmp_path, "realm", "reset-registrations", "--realm", str(realm_id))
    assert reset.returncode == 0, reset.stderr
    assert "registrations: 0 of 1 registrations used (resettable, last reset " in reset.stdout
    assert registration_ids(live_server, creds) == {first}  # nothing deleted
    second = register(live_server, creds, course_id)
    assert registration_ids(live_server, creds) == {first, second}


def test_linked_realms_share_their_limits(live_server, tmp_path):
    main_id, (main_creds,) = new_realm(live_server)
    linked_id, (linked_creds,) = new_realm(live_server)
    main_course = imported(live_server, main_creds, tmp_path)
    linked_course = imported(live_server, linked_creds, tmp_path)
    data = limits(live_server, tmp_path, linked_id, "--linked-to", str(main_id))
    assert data["shared_from_id"] == main_id
    limits(live_server, tmp_path, main_id, "--registrations", "2")
    register(live_server, main_creds, main_course)
    register(live_server, linked_creds, linked_course)  # counts against the main realm's limit
    for creds, course_id in ((main_creds, main_course), (linked_creds, linked_course)):
        with pytest.raises(ApiException) as refused:
            register(live_server, creds, course_id)
        assert refused.value.status == 403 and "2 are used" in message(refused.value)
    shared = limits(live_server, tmp_path, main_id)
    assert shared["registrations_used"] == 2 and len(shared["linked_realms"]) == 1
    assert shared["storage_used_bytes"] == limits(live_server, tmp_path, linked_id)["storage_used_bytes"] > 0
    own = limits(live_server, tmp_path, linked_id, "--linked-to", "none")
    assert own["registration_limit"] is None and own["shared_from_id"] is None
    register(live_server, linked_creds, linked_course)


def test_import_over_the_storage_limit_ends_in_error_and_stores_nothing(live_server, tmp_path):
    realm_id, (first, second) = new_realm(live_server, apps_in_it=2)
    imported(live_server, first, tmp_path)
    used = limits(live_server, tmp_path, realm_id)["storage_used_bytes"]
    limits(live_server, tmp_path, realm_id, "--storage-bytes", str(used + 10))
    api = course_api(live_server, second)  # another application of the same realm: its content counts too
    status = upload(api, tmp_path, scorm12_zip("Too big"), course_id="too-big")
    assert status.status == "ERROR"
    assert status.message.startswith("Storage limit exceeded: realm [")
    assert f"may store {used + 10} bytes of course content, {used} are used and this course needs" in status.message
    assert api.get_courses().courses == []
    with pytest.raises(ApiException) as missing:
        api.get_course("too-big")
    assert missing.value.status == 404
    assert stored_paths(live_server, second.app_id) == []
    assert limits(live_server, tmp_path, realm_id)["storage_used_bytes"] == used


def test_import_when_storage_is_full_is_refused_at_once(live_server, tmp_path):
    realm_id, (creds,) = new_realm(live_server)
    imported(live_server, creds, tmp_path)
    used = limits(live_server, tmp_path, realm_id, "--storage-bytes", "0")["storage_used_bytes"]
    api = course_api(live_server, creds)
    package = tmp_path / "full.zip"
    package.write_bytes(scorm12_zip("No room"))
    before = sorted(stored_paths(live_server, creds.app_id))  # the first course's files and original zip
    with pytest.raises(ApiException) as refused:
        api.create_upload_and_import_course_job("no-room", file=str(package))
    assert refused.value.status == 403
    assert message(refused.value).endswith(f"may store 0 bytes of course content and {used} are used")
    assert [c.id for c in api.get_courses().courses] != ["no-room"] and len(api.get_courses().courses) == 1
    assert sorted(stored_paths(live_server, creds.app_id)) == before


def test_parallel_registrations_never_pass_the_limit(live_server, tmp_path):
    realm_id, (creds,) = new_realm(live_server)
    course_id = imported(live_server, creds, tmp_path)
    limits(live_server, tmp_path, realm_id, "--registrations", "4")

    def attempt(n: int) -> int:
        try:
            register(live_server, creds, course_id, f"parallel-{n}")
            return 200
        except ApiException as exc:
            assert "Registration limit reached" in message(exc)
            return exc.status

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(attempt, range(24)))
    assert sorted(answers) == [200] * 4 + [403] * 20
    assert len(registration_ids(live_server, creds)) == 4
    assert limits(live_server, tmp_path, realm_id)["registrations_used"] == 4


def test_queued_imports_never_pass_the_storage_limit_together(live_server, tmp_path):
    realm_id, (creds,) = new_realm(live_server)
    probe = new_realm(live_server)
    imported(live_server, probe[1][0], tmp_path, title="Same size")
    one = limits(live_server, tmp_path, probe[0])["storage_used_bytes"]
    limits(live_server, tmp_path, realm_id, "--storage-bytes", str(one))
    api = course_api(live_server, creds)
    jobs, outcomes = [], []
    for n in range(3):  # queued while the realm is empty, unless the first has already finished
        path = tmp_path / f"same-{n}.zip"
        path.write_bytes(scorm12_zip("Same size"))
        try:
            jobs.append(api.create_upload_and_import_course_job(f"same-{n}", file=str(path)).result)
        except ApiException as exc:  # the first one is stored already: refused at once
            assert exc.status == 403 and message(exc).startswith("Storage limit reached"), exc.body
            outcomes.append("refused")
    for job in jobs:
        status = wait_for_job(api, job)
        assert status.status == "COMPLETE" or status.message.startswith("Storage limit exceeded"), status.message
        outcomes.append(status.status)
    assert outcomes.count("COMPLETE") == 1 and len(outcomes) == 3
    assert len(api.get_courses().courses) == 1
    assert limits(live_server, tmp_path, realm_id)["storage_used_bytes"] == one
