"""Reports (a Reportage equivalent): summary tables kept current by the transaction that changes a
registration (summary.py, the one-line hooks), filters (filters.py) and query functions returning
plain dataclasses (queries.py). The console pages, the ReportingApi and the exports call these
functions only; nothing here scans run-time JSON per page view."""
