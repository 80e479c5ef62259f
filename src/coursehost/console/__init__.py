"""The web console on the service origin under /console: server-rendered pages (Jinja2) that work as
plain HTML forms, enhanced by htmx. `install_console(app)` adds its routes, its static files and
the handler that answers its errors as pages. The work is done by the domain (domain/accounts, ...)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from coursehost.console.invite import build_invite_router
from coursehost.console.pages import ConsolePageError, error_page
from coursehost.console.routes import build_console_router

PREFIX = "/console"


def install_console(app: FastAPI, *, static_dir) -> None:
    """Mount the console on APP: pages, /console/static (its CSS), /console/vendor/htmx and /console/vendor/chartjs."""
    app.include_router(build_console_router(), prefix=PREFIX)
    app.include_router(build_invite_router())  # public invitation pages: /invite/{id}
    app.mount(f"{PREFIX}/static", StaticFiles(directory=static_dir / "console", check_dir=False))
    app.mount(f"{PREFIX}/vendor/htmx", StaticFiles(directory=static_dir / "vendor" / "htmx", check_dir=False))
    app.mount(f"{PREFIX}/vendor/chartjs", StaticFiles(directory=static_dir / "vendor" / "chartjs", check_dir=False))
    app.add_exception_handler(ConsolePageError, error_page)
