"""The run-time domain functions the player calls (coursehost.domain.runtime), in one place."""

from __future__ import annotations

from coursehost.domain.runtime.commits import apply_commit
from coursehost.domain.runtime.launches import exit_launch, sco_start_data, start_launch

__all__ = ["apply_commit", "exit_launch", "sco_start_data", "start_launch"]
