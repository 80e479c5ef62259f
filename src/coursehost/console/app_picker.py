"""The application a console page works in: pages that show one application's data (the library,
the People tab, the LRS viewer) take `?app=APP_ID` and offer a picker when the realm has several.

    chosen = choose_application(session, me, request.query_params.get("app"))
    render(..., picker=chosen)            # templates: {% include "_app_picker.html" %}

Without `app`, the realm's oldest normal application is chosen (the management application only
when it is the only one). Another realm's application id is a 404 page, never its data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from coursehost.console.pages import ConsolePageError
from coursehost.domain.accounts.sessions import SignedIn
from coursehost.domain.applications import service as apps


@dataclass(frozen=True)
class ChosenApplication:
    app: Any  # the domain's Application row
    choices: list[tuple[str, str]]  # (app id, name) of every application of the realm, for the picker

    @property
    def app_id(self) -> str:
        return self.app.app_id


def choose_application(session: Session, me: SignedIn, app_id: str | None) -> ChosenApplication:
    """The application APP_ID of the signed-in user's realm (or its default one), with the picker's choices."""
    found = apps.list_realm_applications(session, realm_id=me.realm_id)
    if not found:
        raise ConsolePageError(404, "No application", f"{me.realm_name} has no application yet.", me=me)
    choices = [(a.app_id, a.name) for a in found]
    if app_id:
        chosen = next((a for a in found if a.app_id == app_id), None)
        if chosen is None:
            raise ConsolePageError(404, "Application not found",
                                   f"There is no application {app_id} in {me.realm_name}.", me=me)
    else:
        chosen = next((a for a in found if not a.is_management), found[0])
    return ChosenApplication(chosen, choices)
