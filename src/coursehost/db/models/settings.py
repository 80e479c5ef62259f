"""Configuration setting values set explicitly at one level of the cascade."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coursehost.db.base import Base, UTCDateTime, utcnow


class SettingValue(Base):
    """One explicit value. `scope` names the level ("application", "learningStandardForApplication",
    "course", "dispatch", "registration") and `scope_key` the thing at that level ("" for the
    application, "SCORM12|single" for a learning standard, a course id, ...)."""

    __tablename__ = "setting_value"
    __table_args__ = (UniqueConstraint("application_pk", "scope", "scope_key", "setting_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_pk: Mapped[int] = mapped_column(ForeignKey("application.pk", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(40))
    scope_key: Mapped[str] = mapped_column(String(600), default="")
    setting_id: Mapped[str] = mapped_column(String(120))
    value: Mapped[str] = mapped_column(Text)
    updated: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
