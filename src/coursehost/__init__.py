"""Coursehost: self-hostable training delivery behind the SCORM Cloud API v2 wire contract."""

__version__ = "0.1.0"
