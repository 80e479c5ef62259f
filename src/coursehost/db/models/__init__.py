"""Every model module, imported so that Base.metadata knows all tables (Alembic, tests)."""

from coursehost.db.models import (  # noqa: F401
    accounts,
    connectors,
    courses,
    dispatch,
    invitations,
    jobs,
    lms,
    lrs,
    lti,
    lti11,
    mail,
    pens,
    registrations,
    report_facts,
    reports,
    settings,
    shared_state,
    tenancy,
    xapi,
)
