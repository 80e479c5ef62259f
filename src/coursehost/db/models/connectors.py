"""Content connectors (issue 19): an external LTI 1.3 tool Coursehost launches as a platform. A
course imported through a connector (learning standard LTI13) launches that tool."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class ContentConnector(Base):
    """One application's connector (ConnectorSchema). configuration holds no secret: an LTI 1.3
    tool proves itself with its own key, published at its JWKS URL."""

    __tablename__ = "content_connector"
    __table_args__ = (UniqueConstraint("application_pk", "connector_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    connector_id: Mapped[str] = mapped_column(String(64))
    connector_type: Mapped[str] = mapped_column(String(32))
    # the tool's client id (also in configuration), indexed: the token endpoint finds the tool by it
    client_id: Mapped[str] = mapped_column(String(2000), index=True)
    configuration: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
