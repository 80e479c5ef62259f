"""The sequencing session facade (work in progress)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from coursehost.domain.sequencing.tree import ActivityTree


@dataclass
class NavResult:
    valid: bool
    delivered: str | None = None
    ended: bool = False
    exception: str | None = None
    log: list[str] = field(default_factory=list)


class SequencingSession:
    def __init__(self, tree: ActivityTree, state: dict | None = None, *, rng: random.Random | None = None):
        self.tree = tree

    def navigate(self, request: str, target: str | None = None) -> NavResult:
        raise NotImplementedError
