"""The LRS tab (administrators and owners): each application's LRS endpoint and how to authenticate
to it (here), its activity providers (lrs_providers.py), the statement viewer and its JSON export
(lrs_statements.py) and statement forwarding (lrs_pipes.py). Every page calls the domain functions
the XapiApi operations and the LRS's own resources call."""

from __future__ import annotations

from fastapi import APIRouter, Request

from coursehost.console.app_picker import choose_application
from coursehost.console.lrs_common import ADMIN, AUTH_TYPES, PERMISSIONS, lrs_url
from coursehost.console.lrs_pipes import build_pipes_router
from coursehost.console.lrs_providers import build_providers_router
from coursehost.console.lrs_statements import build_statements_router
from coursehost.console.pages import render
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.applications import service as apps
from coursehost.domain.lrs import credentials
from coursehost.domain.lrs.versions import SUPPORTED
from coursehost.web import read_unit, services


def build_lrs_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/lrs")
    def endpoints(request: Request, me: SignedIn = ADMIN):
        with read_unit(request) as session:
            chosen = choose_application(session, me, request.query_params.get("app"))
            app = chosen.app
            providers = [] if app.is_management else [
                {"id": c.credential_id, "name": c.name, "auth": AUTH_TYPES.get(c.auth, c.auth),
                 "level": PERMISSIONS.get(c.permissions_level, (c.permissions_level,))[0], "enabled": c.is_enabled,
                 "all": c.all_endpoints, "owner": owner.app_id}
                for c, owner in credentials.realm_credentials(session, realm_id=me.realm_id, app_pk=app.pk)]
            every = [{"app_id": a.app_id, "name": a.name, "url": lrs_url(request, a.app_id)}
                     for a in apps.list_child_applications(session, realm_id=me.realm_id)]
            info = {"app_id": app.app_id, "name": app.name, "management": app.is_management}
        return render(request, "lrs/endpoints.html", me=me, title="LRS endpoints", picker=chosen, app=info,
                      app_id=info["app_id"],
                      url=lrs_url(request, info["app_id"]), providers=providers, every=every,
                      versions=SUPPORTED, latest=services(request).settings.lrs_latest_version)

    router.include_router(build_providers_router())
    router.include_router(build_statements_router())
    router.include_router(build_pipes_router())
    return router
