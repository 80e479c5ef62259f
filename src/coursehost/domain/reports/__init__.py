"""Reports (Reportage): summary and fact tables kept current by the transaction that changes a
registration, and the queries report pages and exports read (plain dataclasses, never ORM rows)."""
