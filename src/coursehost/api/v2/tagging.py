"""The four tag operations every taggable resource has (Get/Put/Delete ...Tags, Put...TagsBatch), once.

A resource's routes name a `Taggable`: its tag kind, the noun its messages use, how to find one
(the finder raises the resource's 404, so tags of an unknown id are never read or written) and how
its ids are checked. The route handlers stay one line each, with their operation ids and docs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request, Response
from sqlalchemy.orm import Session

from coursehost.api.v2.schemas.common import TagListSchema
from coursehost.api.v2.schemas.courses import BatchTagsBody, TagsBody
from coursehost.domain.applications.auth import Principal
from coursehost.domain.errors import InvalidInput
from coursehost.domain.tags import clean_tags, get_tags, remove_tags, set_tags
from coursehost.web import unit

Finder = Callable[[Session, int, str], object]


def _same(key: str) -> str:
    return key


@dataclass(frozen=True)
class Taggable:
    kind: str
    noun: str
    find: Finder | None  # None: any id may carry tags (learners exist only as ids)
    check_id: Callable[[str], str] = _same

    def read(self, request: Request, principal: Principal, key: str) -> TagListSchema:
        key = self.check_id(key)
        with unit(request) as session:
            self._found(session, principal, key)
            return TagListSchema(tags=get_tags(session, application_pk=principal.app_pk, kind=self.kind, key=key))

    def replace(self, request: Request, principal: Principal, key: str, body: TagsBody) -> Response:
        return self._change(request, principal, key, body, set_tags)

    def remove(self, request: Request, principal: Principal, key: str, body: TagsBody) -> Response:
        return self._change(request, principal, key, body, remove_tags)

    def batch(self, request: Request, principal: Principal, body: BatchTagsBody) -> Response:
        """Set the tags of every listed id; all or nothing (an unknown id is its 404)."""
        tags = clean_tags(body.tags)
        if not body.ids:
            raise InvalidInput(f"ids must name at least one {self.noun}")
        keys = [self.check_id(key) for key in dict.fromkeys(body.ids)]
        with unit(request) as session:
            for key in keys:
                self._found(session, principal, key)
                set_tags(session, application_pk=principal.app_pk, kind=self.kind, key=key, tags=tags)
        return Response(status_code=204)

    def _change(self, request: Request, principal: Principal, key: str, body: TagsBody, change) -> Response:
        tags, key = clean_tags(body.tags), self.check_id(key)
        with unit(request) as session:
            self._found(session, principal, key)
            change(session, application_pk=principal.app_pk, kind=self.kind, key=key, tags=tags)
        return Response(status_code=204)

    def _found(self, session: Session, principal: Principal, key: str) -> None:
        if self.find is not None:
            self.find(session, principal.app_pk, key)
