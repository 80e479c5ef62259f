"""Which learning standard a package is, and the parser for it."""

from __future__ import annotations

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import ParsedCourse
from coursehost.domain.courses.packages.parsers.aicc import find_aicc_descriptor, parse_aicc
from coursehost.domain.courses.packages.parsers.cmi5 import parse_cmi5
from coursehost.domain.courses.packages.parsers.scorm import parse_scorm
from coursehost.domain.courses.packages.parsers.xapi import parse_tincan
from coursehost.domain.courses.packages.reader import PackageReader


def parse_package(reader: PackageReader) -> ParsedCourse:
    """Find the package's course descriptor and parse it with its standard's parser.

    Order matters when a package carries several descriptors (authoring tools often ship a
    tincan.xml or cmi5.xml beside imsmanifest.xml): cmi5 first (a cmi5 package is explicit about
    it), then SCORM, then xAPI, then AICC — the way a SCORM Cloud user expects such packages to play.
    """
    found = reader.find_descriptor("cmi5.xml")
    if found:
        return parse_cmi5(reader, found)
    found = reader.find_descriptor("imsmanifest.xml")
    if found:
        return parse_scorm(reader, found)
    found = reader.find_descriptor("tincan.xml")
    if found:
        return parse_tincan(reader, found)
    found = find_aicc_descriptor(reader)
    if found:
        return parse_aicc(reader, found)
    raise PackageError(
        "The zip is not a course package: it has no imsmanifest.xml (SCORM), cmi5.xml (cmi5), "
        "tincan.xml (xAPI) or .crs file (AICC) at its root or one folder down"
    )
