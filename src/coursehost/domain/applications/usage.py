"""How much each application uses: course and registration counts for the management API."""

from __future__ import annotations

from sqlalchemy.orm import Session

from coursehost.domain.courses.catalog import course_counts

# One counter per kind of thing: fn(session, app_pks) -> {pk: n}. Registrations arrive with the player.
COUNTERS: dict[str, object] = {"courses": course_counts}


def usage_counts(session: Session, *, app_pks: list[int], courses: bool, registrations: bool) -> dict[int, dict]:
    """{app_pk: {"courseCount": n, "registrationCount": n}} for the counts asked for."""
    wanted = [(key, name) for key, name, asked in (
        ("courses", "courseCount", courses), ("registrations", "registrationCount", registrations)
    ) if asked]
    result: dict[int, dict] = {pk: {} for pk in app_pks}
    for key, name in wanted:
        counter = COUNTERS.get(key)
        per_app = counter(session, app_pks) if counter else {}
        for pk in app_pks:
            # Nothing of that kind stored yet for the application: a true zero.
            result[pk][name] = int(per_app.get(pk, 0))
    return result
