"""Keyset paging, filtering and ordering of any list, shared by every list operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from coursehost.domain.errors import InvalidInput


@dataclass(frozen=True)
class ListSpec:
    """What one list allows: orderBy values, filterBy fields, datetimeFilter fields."""

    order_by: dict[str, tuple[Any, bool]]  # wire value -> (column, descending)
    default_order: str
    filter_by: dict[str, Any]  # wire value -> column matched case-insensitively by substring
    default_filter_by: str | None
    datetime_fields: dict[str, Any]  # wire value -> column
    default_datetime: str
    tiebreak: Any  # a unique column, so the order (and so the paging) is total


def both_ways(name: str, column: Any) -> dict[str, tuple[Any, bool]]:
    """orderBy values NAME_asc and NAME_desc on COLUMN."""
    return {f"{name}_asc": (column, False), f"{name}_desc": (column, True)}


def dated_list(model: Any, *, filter_by: dict[str, Any], default_filter_by: str, orders: dict | None = None,
               default_order: str = "created_desc", creation_date: bool = False) -> ListSpec:
    """The ListSpec of a table with created / updated columns (every list of the API has them): those two
    orders (and SCORM Cloud's creation_date_* names for them where its list uses them) besides ORDERS,
    datetimeFilter created / updated (default updated), the primary key as the tie-break."""
    order_by = {**(orders or {}), **both_ways("created", model.created), **both_ways("updated", model.updated)}
    if creation_date:
        order_by.update(both_ways("creation_date", model.created))
    return ListSpec(order_by=order_by, default_order=default_order, filter_by=filter_by,
                    default_filter_by=default_filter_by,
                    datetime_fields={"created": model.created, "updated": model.updated},
                    default_datetime="updated", tiebreak=model.pk)


@dataclass
class ListQuery:
    """The filters a caller asked for; carried inside the `more` token for the next pages."""

    since: datetime | None = None
    until: datetime | None = None
    datetime_filter: str | None = None
    filter: str | None = None
    filter_by: str | None = None
    order_by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # list-specific filters (tags, courseId, ...)

    def validated(self, spec: ListSpec) -> ListQuery:
        """Check every enum against SPEC and fill the defaults; unknown values are a 400."""
        _one_of("orderBy", self.order_by, spec.order_by)
        _one_of("datetimeFilter", self.datetime_filter, spec.datetime_fields)
        _one_of("filterBy", self.filter_by, spec.filter_by)
        if self.since and self.until and self.since > self.until:
            raise InvalidInput("since must not be later than until")
        return ListQuery(
            since=self.since,
            until=self.until,
            datetime_filter=self.datetime_filter or spec.default_datetime,
            filter=self.filter,
            filter_by=self.filter_by or spec.default_filter_by,
            order_by=self.order_by or spec.default_order,
            extra=dict(self.extra),
        )


def _one_of(name: str, value: str | None, allowed: dict) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(f"Invalid value for {name}: [{value}]; allowed: {', '.join(allowed)}")


@dataclass
class Page:
    rows: list
    after: list | None  # keyset of the last row when more rows follow
    total: int | None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def apply_filters(stmt: Select, spec: ListSpec, query: ListQuery) -> Select:
    """The WHERE clauses for since/until and filter/filterBy."""
    column = spec.datetime_fields[query.datetime_filter]
    if query.since is not None:
        stmt = stmt.where(column >= query.since)
    if query.until is not None:
        stmt = stmt.where(column <= query.until)
    if query.filter:
        if query.filter_by is None:
            raise InvalidInput("filterBy is required with filter")
        stmt = stmt.where(contains_text(spec.filter_by[query.filter_by], query.filter))
    return stmt


def contains_text(column: Any, text: str) -> Any:
    """COLUMN contains TEXT, ignoring case (the `filter` of every list; % and _ match themselves)."""
    return func.lower(column).like(f"%{_escape_like(text.lower())}%", escape="\\")


def _encode_key(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode_key(value: Any, like: Any) -> Any:
    return datetime.fromisoformat(value) if isinstance(value, str) and like == "datetime" else value


def fetch_page(
    session: Session, stmt: Select, *, spec: ListSpec, query: ListQuery, after: list | None,
    limit: int, count_total: bool = False,
) -> Page:
    """One page of STMT, filtered and ordered per QUERY, starting after the keyset AFTER."""
    stmt = apply_filters(stmt, spec, query)
    total = None
    if count_total:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    column, descending = spec.order_by[query.order_by]
    tiebreak = spec.tiebreak
    if after is not None:
        kind, value, last_id = after
        value = _decode_key(value, kind)
        if descending:
            stmt = stmt.where(or_(column < value, and_(column == value, tiebreak < last_id)))
        else:
            stmt = stmt.where(or_(column > value, and_(column == value, tiebreak > last_id)))
    order = (column.desc(), tiebreak.desc()) if descending else (column.asc(), tiebreak.asc())
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)))
    next_after = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        value = getattr(last, column.key)
        next_after = [
            "datetime" if isinstance(value, datetime) else "plain",
            _encode_key(value),
            getattr(last, tiebreak.key),
        ]
    return Page(rows=rows, after=next_after, total=total)
