"""Every model module, imported so that Base.metadata knows all tables (Alembic, tests)."""

from coursehost.db.models import accounts, courses, jobs, lms, lrs, mail, registrations, settings, tenancy, xapi  # noqa: F401
