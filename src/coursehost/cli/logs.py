"""Logging for the `coursehost` processes: readable text (the default) or one JSON object per line
(COURSEHOST_LOG_FORMAT=json) with the request id of the request or job each line belongs to."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from coursehost.domain import request_ids

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Fields an access line adds (web/observability.py passes them as `extra`).
ACCESS_FIELDS = ("method", "route", "status", "duration_ms", "origin")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id; the access fields when present; exc_info as text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),  # after the filters (RedactTokens) rewrote record.args
            "request_id": getattr(record, "request_id", None) or request_ids.current(),
        }
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str) -> None:
    """Send every logger's records to stderr in LOG_FORMAT ("text" or "json"), replacing earlier handlers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
