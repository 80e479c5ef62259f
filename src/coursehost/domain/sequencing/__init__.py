"""SCORM 2004 4th Edition sequencing engine (SN book, Appendix C pseudo code). Pure Python."""

from coursehost.domain.sequencing.session import NavResult, SequencingSession
from coursehost.domain.sequencing.tree import ActivityTree

__all__ = ["ActivityTree", "NavResult", "SequencingSession"]
