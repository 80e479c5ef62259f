"""Builders for sequencing tests: activity trees in code, ADL test manifests parsed for real."""

from __future__ import annotations

import io
import posixpath
import random
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

from coursehost.domain.courses.model import AGGREGATION, SCO, Activity
from coursehost.domain.courses.packages.parsers.scorm import parse_scorm
from coursehost.domain.courses.packages.reader import PackageReader
from coursehost.domain.sequencing import ActivityTree, SequencingSession
from tests.adl_suite import suite_dir


def sco(ident: str, seq: dict[str, Any] | None = None, **data: Any) -> Activity:
    return Activity(ident, ident.title(), SCO, href=f"{ident}.html", sequencing=seq, data=data)


def agg(ident: str, children: list[Activity], seq: dict[str, Any] | None = None) -> Activity:
    return Activity(ident, ident.title(), AGGREGATION, children=children, sequencing=seq)


def session(root: Activity, seed: int = 1) -> SequencingSession:
    return SequencingSession(ActivityTree.from_course(root), rng=random.Random(seed))


def rule(action: str, *conds: str, combination: str = "all", objective: str | None = None,
         threshold: float | None = None) -> dict[str, Any]:
    conditions = []
    for c in conds:
        neg = c.startswith("not ")
        item: dict[str, Any] = {"condition": c[4:] if neg else c, "operator": "not" if neg else "noOp"}
        if objective:
            item["referencedObjective"] = objective
        if threshold is not None:
            item["measureThreshold"] = threshold
        conditions.append(item)
    return {"ruleConditions": {"conditionCombination": combination, "ruleCondition": conditions},
            "ruleAction": {"action": action}}


def adl_course(name: str, tmp_path: Path) -> Activity:
    """The organization of ADL's LMSTestPackage_NAME, parsed by the real manifest parser."""
    manifest = suite_dir() / f"LMSTestPackage_{name}" / "imsmanifest.xml"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(manifest, "imsmanifest.xml")
        for launch in _launch_files(manifest):  # the suite ships manifests only: stand-in files
            z.writestr(launch, "<html></html>")
    path = tmp_path / f"{name}.zip"
    path.write_bytes(buf.getvalue())
    with PackageReader(path) as reader:
        return parse_scorm(reader, "imsmanifest.xml").root


def _launch_files(manifest: Path) -> set[str]:
    root = ET.parse(manifest).getroot()
    base_attr = "{http://www.w3.org/XML/1998/namespace}base"
    names = set()
    for res in root.iter():
        if res.tag.endswith("}resource"):
            base = res.get(base_attr, "")
            for href in [res.get("href")] + [f.get("href") for f in res if f.tag.endswith("}file")]:
                if href:
                    names.add(posixpath.normpath(base + href))
    return names


def walk(s: SequencingSession, *steps: str) -> list[str | None]:
    """Navigate through STEPS ('continue', 'choice:x', ...), returning what each delivered."""
    out = []
    for step in steps:
        req, _, target = step.partition(":")
        out.append(s.navigate(req, target or None).delivered)
    return out
