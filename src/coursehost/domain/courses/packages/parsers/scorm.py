"""SCORM 1.2 / SCORM 2004 (2nd, 3rd, 4th edition) imsmanifest.xml -> ParsedCourse.

Public API: parse_scorm(reader, manifest_path) -> ParsedCourse.
Helpers: scorm_sequencing (imsss/adlseq -> dict),
scorm_adlcp (adlcp data, adlnav presentation), scorm_metadata (LOM), scorm_edition (EDITION
DETECTION below), scorm_common.

Lenient where a player can still run the course (the problem becomes a warning naming the file
and element), strict only where it cannot (PackageError): a manifest that is not well-formed XML,
a root element other than <manifest>, or nothing launchable at all.

EDITION DETECTION
    <metadata><schemaversion> decides: "1.2" -> SCORM 1.2, "1.1" -> SCORM 1.1, "CAM 1.3" / "1.3" /
    "2004 2nd Edition" -> 2004 2nd, "2004 3rd Edition" -> 3rd, "2004 4th Edition" -> 4th. Without
    a (recognisable) schemaversion - a warning - the namespaces decide: adlcp_rootv1p2 -> 1.2;
    adlcp_v1p3 / imsss / adlseq / adlnav -> 2004, 4th edition when a 4th-edition-only feature is
    used (adlcp:data, adlseq:objectives, completionThreshold attributes, hideLMSUI exitAll /
    abandonAll / suspendAll, adlcp:sharedDataGlobalToSystem), else 3rd edition (the 2nd and 3rd
    editions share every namespace, and 3rd is by far the more common); no SCORM namespace at
    all -> SCORM 1.2, the classic "plain content package".

HREFS
    resource href, prefixed by the manifest's folder ("sub/" when one folder down, also in
    extra["manifestBase"]) and the xml:base of <manifest>, <resources> and <resource> (each xml:base
    taken as a folder, relative to the one above; an absolute http(s) one replaces what is above),
    normalised ('./', 'a/../'), the real file name when it matches only ignoring case,
    %-encoded (spaces -> %20), query string and fragment kept. Absolute http(s) URLs stay as they
    are. Item parameters stay in Activity.parameters (the player appends them).

SEQUENCING SHAPE (Activity.sequencing, and the root's for the organization's own sequencing)
    A dict with one key per element type of <imsss:sequencing>, named as in the XML, holding only
    what the author wrote (attributes absent from the XML are absent from the dict); with an IDRef
    the sequencingCollection entry is merged in first and the item's own element types replace
    the entry's whole, per type. Spec defaults: domain/sequencing/defaults.py, applied when the
    engine builds its tree. Values: xs:boolean -> bool; measures, weights and
    percents -> float; attemptLimit / minimumCount / selectCount -> int; tokens, durations -> str.

    {
      "controlMode": {"choice", "choiceExit", "flow", "forwardOnly",
                      "useCurrentAttemptObjectiveInfo", "useCurrentAttemptProgressInfo"},
      "sequencingRules": {"preConditionRule" | "exitConditionRule" | "postConditionRule": [
          {"ruleConditions": {"conditionCombination": "all"|"any",
                              "ruleCondition": [{"condition", "operator", "referencedObjective",
                                                 "measureThreshold"}]},
           "ruleAction": {"action"}}]},
      "limitConditions": {"attemptLimit", "attemptAbsoluteDurationLimit", ...},
      "auxiliaryResources": [{"auxiliaryResourceID", "purpose"}],
      "rollupRules": {"rollupObjectiveSatisfied", "rollupProgressCompletion",
                      "objectiveMeasureWeight",
                      "rollupRule": [{"childActivitySet", "minimumCount", "minimumPercent",
                                      "rollupConditions": {"conditionCombination",
                                          "rollupCondition": [{"condition", "operator"}]},
                                      "rollupAction": {"action"}}]},
      "objectives": {"primaryObjective": OBJ, "objective": [OBJ]},
          OBJ = {"objectiveID", "satisfiedByMeasure", "minNormalizedMeasure",
                 "mapInfo": [{"targetObjectiveID", "readSatisfiedStatus", "readNormalizedMeasure",
                              "writeSatisfiedStatus", "writeNormalizedMeasure"}]}
      "adlseqObjectives": {"objective": [{"objectiveID", "mapInfo": [{"targetObjectiveID",
                   "readRawScore", "readMinScore", "readMaxScore", "readCompletionStatus",
                   "readProgressMeasure", "writeRawScore", "writeMinScore", "writeMaxScore",
                   "writeCompletionStatus", "writeProgressMeasure"}]}]},   (adlseq:objectives)
      "randomizationControls": {"randomizationTiming", "selectCount", "reorderChildren",
                                "selectionTiming"},
      "deliveryControls": {"tracked", "completionSetByContent", "objectiveSetByContent"},
      "constrainedChoiceConsiderations": {"preventActivation", "constrainChoice"},
      "rollupConsiderations": {"requiredForSatisfied", "requiredForNotSatisfied",
                               "requiredForCompleted", "requiredForIncomplete",
                               "measureSatisfactionIfActive"},
    }

ACTIVITY DATA (Activity.data)
    SCORM 1.2: masteryscore (str, as written), datafromlms, maxtimeallowed, timelimitaction (str),
    prerequisites {"value": str, "type": str (default "aicc_script")}.
    SCORM 2004: dataFromLMS, timeLimitAction (str); completionThreshold {"completedByMeasure":
    bool, "minProgressMeasure": float, "progressWeight": float} with defaults filled (false, 1.0,
    1.0; a 3rd-edition text value v becomes completedByMeasure true, minProgressMeasure v);
    data [{"targetID", "readSharedData" (default true), "writeSharedData" (default true)}];
    the root also gets sharedDataGlobalToSystem when the organization states it.

COURSE EXTRA (ParsedCourse.extra)
    manifestBase ("sub/") when the manifest is one folder down; schemaVersion (as written); for
    2004: objectivesGlobalToSystem and sharedDataGlobalToSystem (default true).
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urljoin

from coursehost.domain.courses.errors import PackageError
from coursehost.domain.courses.model import (
    AGGREGATION,
    ASSET,
    SCO,
    SCORM11,
    SCORM12,
    Activity,
    CourseMetadata,
    ParsedCourse,
)
from coursehost.domain.courses.packages.parsers.scorm_adlcp import item_data, presentation
from coursehost.domain.courses.packages.parsers.scorm_common import (
    HTTP,
    LABEL,
    SCHEME,
    SCORM2004,
    XML_BASE,
    join_dir,
    ns_kind,
    parse_bool,
    xml_attr,
    xml_child,
    xml_children,
    xml_text,
)
from coursehost.domain.courses.packages.parsers.scorm_edition import detect_edition
from coursehost.domain.courses.packages.parsers.scorm_metadata import LomInfo, find_lom, read_lom
from coursehost.domain.courses.packages.parsers.scorm_sequencing import (
    merge_sequencing,
    parse_sequencing,
    passing_score,
)
from coursehost.domain.courses.packages.reader import PackageReader
from coursehost.domain.courses.packages.safexml import local, parse_xml

MAX_DEPTH = 300
MAX_FILE_WARNINGS = 20
_PATH_SAFE = "/!$&'()*+,;=:@~"


def parse_scorm(reader: PackageReader, manifest_path: str) -> ParsedCourse:
    """The course the imsmanifest.xml at MANIFEST_PATH (package-relative) describes."""
    return _ManifestParser(reader, manifest_path).parse()


@dataclass
class _Resource:
    identifier: str
    scorm_type: str  # "sco" | "asset"
    href: str | None  # package-root relative, encoded; or absolute URL; None when unlaunchable
    missing: bool  # the launch file is not in the package


class _ManifestParser:
    def __init__(self, reader: PackageReader, manifest_path: str):
        self.reader = reader
        self.mf = manifest_path
        self.folder = manifest_path.rsplit("/", 1)[0] + "/" if "/" in manifest_path else ""
        self.warnings: list[str] = []
        self.standard = SCORM12
        self.resources: dict[str, _Resource] = {}
        self.collection: dict[str, dict[str, Any]] = {}
        self.activity_ids: set[str] = set()
        self.missing_files: list[str] = []
        self.referenced: set[str] = set()
        self.org_title = ""
        self.submanifests: dict[str, ET.Element] = {}
        self._seen: set[str] = set()

    # ------------------------------------------------------------------ driver
    def warn(self, message: str) -> None:
        if message not in self._seen:
            self._seen.add(message)
            self.warnings.append(message)

    def parse(self) -> ParsedCourse:
        root = self._manifest_root()
        identifier = (root.get("identifier") or "").strip()
        if not identifier:
            self.warn(f"{self.mf}: <manifest> has no identifier attribute")
        metadata_el = xml_child(root, "metadata")
        schemaversion = xml_text(xml_child(metadata_el, "schemaversion")) if metadata_el is not None else ""
        self.standard = detect_edition(root, schemaversion, self.mf, self.warn)

        base = join_dir(self.folder, root.get(XML_BASE))
        self._read_resources(root, base)
        self._read_collection(root)
        org_el, org_warning = self._default_organization(root)
        lom = self._metadata(metadata_el, base)

        extra: dict[str, Any] = {}
        if self.folder:
            extra["manifestBase"] = self.folder
        if schemaversion:
            extra["schemaVersion"] = schemaversion
        tree = self._tree(org_el, org_warning, identifier, extra)
        self._check_launchable(tree)
        self._report_missing_files()
        tree.title = title = self._course_title(lom, identifier, tree)
        metadata = CourseMetadata(
            title=lom.title or title, title_language=lom.title_language,
            description=lom.description, description_language=lom.description_language,
            duration=lom.duration, typical_time=lom.typical_time, keywords=list(lom.keywords),
        )
        return ParsedCourse(
            learning_standard=self.standard, title=title, root=tree, warnings=self.warnings,
            languages=list(lom.languages), metadata=metadata, activity_id=identifier or None,
            extra=extra,
        )

    def _manifest_root(self) -> ET.Element:
        """The manifest's root element; PackageError when it is not <manifest>."""
        root = parse_xml(self.reader.read(self.mf), self.mf)
        if local(root.tag) != "manifest":
            raise PackageError(
                f"{self.mf}: the root element is <{local(root.tag)}>, not <manifest>; "
                "this is not a SCORM / IMS content package manifest"
            )
        return root

    def _tree(self, org_el: ET.Element | None, org_warning: str | None, identifier: str,
              extra: dict[str, Any]) -> Activity:
        """The default organization's activity tree, or one built from the resources when it is
        missing or empty; the SCORM 2004 organization flags go into EXTRA."""
        is2004 = self.standard in SCORM2004
        if org_el is not None and not xml_children(org_el, "item") and any(
                r.href for r in self.resources.values()):
            self.warn(f"{self.mf}: organization '{(org_el.get('identifier') or '').strip()}' has "
                      "no items")
            org_el = None
        if org_el is None:
            tree = self._flat_tree(identifier)
            if is2004:
                extra["objectivesGlobalToSystem"] = True
                extra["sharedDataGlobalToSystem"] = True
            return tree
        if org_warning:
            self.warn(org_warning)
        tree = self._organization(org_el)
        if is2004:
            extra["objectivesGlobalToSystem"] = parse_bool(xml_attr(org_el, "objectivesGlobalToSystem"), True)
            extra["sharedDataGlobalToSystem"] = parse_bool(xml_attr(org_el, "sharedDataGlobalToSystem"), True)
            if xml_attr(org_el, "sharedDataGlobalToSystem") is not None:
                tree.data["sharedDataGlobalToSystem"] = extra["sharedDataGlobalToSystem"]
        return tree

    def _course_title(self, lom: LomInfo, identifier: str, tree: Activity) -> str:
        """The organization's title, else the metadata's, else the identifier (with a warning)."""
        title = self.org_title or lom.title or ""
        if not title:
            title = identifier or tree.id or "Untitled course"
            self.warn(f"{self.mf}: neither the organization nor the metadata gives the course a "
                      f"title; using '{title}'")
        return title

    # ------------------------------------------------------------------ hrefs
    def _href(self, base: str, raw: str, who: str) -> tuple[str | None, bool]:
        """(href for the player, missing) of RAW (relative to BASE); None when unusable."""
        raw = raw.strip().replace("\\", "/")
        if HTTP.match(raw) or raw.lower().startswith(("http:", "https:")):
            return raw, False
        if SCHEME.match(raw) and not re.match(r"^[A-Za-z]:/", raw):
            self.warn(f"{who} href '{raw}' is neither a file in the package nor an http(s) URL; "
                      "it will not launch")
            return None, True
        if HTTP.match(base) or base.lower().startswith(("http:", "https:")):
            return urljoin(base, raw), False
        full = base + raw if not raw.startswith("/") else raw.lstrip("/")
        cut = min([i for i in (full.find("?"), full.find("#")) if i >= 0], default=len(full))
        path, rest = full[:cut], full[cut:]
        if not path or path.endswith("/"):
            self.warn(f"{who} href '{raw}' does not name a file; it will not launch")
            return None, True
        norm = posixpath.normpath(path)
        if norm == ".." or norm.startswith("../"):
            self.warn(f"{who} href '{raw}' points outside the package; it will not launch")
            return None, True
        decoded = unquote(norm)
        real = self.reader.resolve(norm)
        if real is not None and real not in (decoded, norm):
            self.warn(f"{who} href '{raw}' matches the file '{real}' only when letter case is "
                      f"ignored; '{real}' is used (web servers are case-sensitive)")
        if " " in raw.split("?", 1)[0]:
            self.warn(f"{who} href '{raw}' contains spaces; it is used URL-encoded "
                      f"('{quote(decoded.rsplit('/', 1)[-1], safe=_PATH_SAFE)}')")
        href = quote(real if real is not None else decoded, safe=_PATH_SAFE)
        if rest:
            href += rest.replace(" ", "%20")
            if rest.startswith("?"):
                self.warn(f"{who} href '{raw}' carries a query string; it is kept, and item "
                          "parameters are appended after it")
        return href, real is None

    # ------------------------------------------------------------------ resources
    def _read_resources(self, root: ET.Element, base: str) -> None:
        spelled: set[str] = set()
        manifests = self._manifests(root, base, 0)
        for manifest_el, mbase in manifests:
            for resources_el in xml_children(manifest_el, "resources"):
                rbase = join_dir(mbase, resources_el.get(XML_BASE))
                for res_el in xml_children(resources_el, "resource"):
                    self._resource(res_el, rbase, spelled)
        # Dependencies are just files: only check that they point somewhere.
        for manifest_el, _ in manifests:
            for resources_el in xml_children(manifest_el, "resources"):
                for res_el in xml_children(resources_el, "resource"):
                    rid = (res_el.get("identifier") or "").strip()
                    for dep in xml_children(res_el, "dependency"):
                        ref = (dep.get("identifierref") or "").strip()
                        if ref and ref not in self.resources:
                            self.warn(f"{self.mf}: resource '{rid}' depends on resource '{ref}', "
                                      "which the manifest does not define")
        want = "scormtype" if self.standard in (SCORM11, SCORM12) else "scormType"
        wrong = sorted(s for s in spelled if s != want)
        if wrong:
            self.warn(f"{self.mf}: resources use the attribute adlcp:{wrong[0]}; "
                      f"{LABEL[self.standard]} spells it adlcp:{want} (accepted anyway)")

    def _manifests(self, root: ET.Element, base: str, depth: int) -> list[tuple[ET.Element, str]]:
        """ROOT and its (sub-)manifests, each with its xml:base folder; sub-manifests are
        remembered by identifier so that items can aggregate them."""
        out = [(root, base)]
        if depth > 20:
            return out
        for sub in xml_children(root, "manifest"):
            sid = (sub.get("identifier") or "").strip()
            if sid and sid not in self.submanifests:
                self.submanifests[sid] = sub
            out.extend(self._manifests(sub, join_dir(base, sub.get(XML_BASE)), depth + 1))
        return out

    def _resource(self, el: ET.Element, base: str, spelled: set[str]) -> None:
        rid = (el.get("identifier") or "").strip()
        who = f"{self.mf}: resource '{rid}'"
        if not rid:
            self.warn(f"{self.mf}: a <resource> has no identifier; items cannot reference it")
        elif rid in self.resources:
            self.warn(f"{self.mf}: the identifier '{rid}' is used by more than one <resource>; "
                      "items reference the first")
        rbase = join_dir(base, el.get(XML_BASE))
        scorm_type = None
        for key, value in el.attrib.items():
            if local(key).lower() == "scormtype":
                spelled.add(local(key))
                scorm_type = value.strip().lower()
        href_raw = el.get("href")
        if scorm_type is None:
            scorm_type = "sco"
            if href_raw:
                self.warn(f"{who} has no adlcp:scormType; it is treated as a SCO")
        elif scorm_type not in ("sco", "asset"):
            self.warn(f"{who} has adlcp:scormType='{scorm_type}', which is neither 'sco' nor "
                      "'asset'; it is treated as a SCO")
            scorm_type = "sco"
        href, missing = (None, False)
        if href_raw and href_raw.strip():
            href, missing = self._href(rbase, href_raw, who)
            if missing and href is not None:
                self.warn(f"{who}: its launch file '{unquote(href.split('?')[0].split('#')[0])}' "
                          "is not in the package")
        for file_el in xml_children(el, "file"):
            fref = (file_el.get("href") or "").strip()
            if not fref or SCHEME.match(fref) or HTTP.match(fref):
                continue
            if SCHEME.match(rbase) or HTTP.match(rbase):
                continue
            path = posixpath.normpath(rbase + fref.split("?", 1)[0].split("#", 1)[0])
            real = self.reader.resolve(path)
            if real is None:
                self.missing_files.append(f"'{unquote(path)}' (resource '{rid}')")
            elif real not in (path, unquote(path)):
                self.warn(f"{who} lists the file '{fref}', which matches '{real}' only when "
                          "letter case is ignored")
        if rid and rid not in self.resources:
            self.resources[rid] = _Resource(rid, scorm_type, href, missing)

    def _report_missing_files(self) -> None:
        if not self.missing_files:
            return
        shown = self.missing_files[:MAX_FILE_WARNINGS]
        for entry in shown:
            self.warn(f"{self.mf}: <file> {entry} is not in the package")
        if len(self.missing_files) > len(shown):
            self.warn(f"{self.mf}: {len(self.missing_files) - len(shown)} more <file> entries "
                      "name files that are not in the package")

    # ------------------------------------------------------------------ sequencing collection
    def _read_collection(self, root: ET.Element) -> None:
        for coll in xml_children(root, "sequencingCollection", None):
            for seq_el in xml_children(coll, "sequencing", None):
                sid = (seq_el.get("ID") or xml_attr(seq_el, "ID") or "").strip()
                where = f"{self.mf}: <sequencingCollection> entry '{sid}'"
                if not sid:
                    self.warn(f"{self.mf}: a <sequencing> in <sequencingCollection> has no ID; "
                              "nothing can reference it")
                    continue
                if sid in self.collection:
                    self.warn(f"{self.mf}: the sequencingCollection ID '{sid}' is used twice; "
                              "the first is used")
                    continue
                self.collection[sid] = parse_sequencing(seq_el, where, self.warn)

    def _sequencing(self, el: ET.Element, who: str) -> dict[str, Any] | None:
        seq_els = xml_children(el, "sequencing", None)
        seq_els = [s for s in seq_els if ns_kind(s) != "cp"] or seq_els
        if not seq_els:
            return None
        seq_el = seq_els[0]
        own = parse_sequencing(seq_el, who, self.warn)
        idref = (seq_el.get("IDRef") or "").strip()
        if idref:
            entry = self.collection.get(idref)
            if entry is None:
                self.warn(f"{who}: <sequencing IDRef='{idref}'> names no entry of "
                          "<sequencingCollection>; only the item's own sequencing applies")
            else:
                own = merge_sequencing(entry, own)
        return own or None

    # ------------------------------------------------------------------ organizations
    def _default_organization(self, root: ET.Element) -> tuple[ET.Element | None, str | None]:
        orgs_el = xml_child(root, "organizations")
        orgs = xml_children(orgs_el, "organization") if orgs_el is not None else []
        if not orgs:
            return None, None
        default = (orgs_el.get("default") or "").strip()
        for org in orgs:
            if (org.get("identifier") or "").strip() == default and default:
                return org, None
        first = (orgs[0].get("identifier") or "").strip()
        if not default:
            return orgs[0], (f"{self.mf}: <organizations> has no default attribute; the first "
                             f"organization '{first}' is used")
        return orgs[0], (f"{self.mf}: <organizations default='{default}'> names no organization; "
                         f"the first organization '{first}' is used")

    def _organization(self, org: ET.Element) -> Activity:
        oid = (org.get("identifier") or "").strip() or "organization"
        self.activity_ids.add(oid)
        self.org_title = title = xml_text(xml_child(org, "title"))
        root = Activity(id=oid, title=title or oid, activity_type=AGGREGATION)
        who = f"{self.mf}: organization '{oid}'"
        root.sequencing = self._sequencing(org, who)
        root.data.update(item_data(org, who, self.standard, self.warn))
        root.children = [self._item(i, 1) for i in xml_children(org, "item")]
        if not root.children:
            self.warn(f"{who} has no items")
        return root

    def _item(self, el: ET.Element, depth: int) -> Activity:
        if depth > MAX_DEPTH:
            raise PackageError(f"{self.mf}: items are nested more than {MAX_DEPTH} levels deep")
        iid = self._item_id(el)
        who = f"{self.mf}: item '{iid}'"
        title = xml_text(xml_child(el, "title"))
        if not title:
            self.warn(f"{who} has no <title>; its identifier is shown instead")
        act = Activity(id=iid, title=title or iid, visible=parse_bool(el.get("isvisible"), True))
        ref = (el.get("identifierref") or "").strip()
        kids = xml_children(el, "item")
        if kids:
            act.activity_type = AGGREGATION
            act.children = [self._item(k, depth + 1) for k in kids]
            if ref:
                self.warn(f"{who} has child items and also references resource '{ref}'; the "
                          "resource is ignored (only leaf items launch)")
        elif not ref:
            act.activity_type = AGGREGATION
            self.warn(f"{who} references no resource and has no child items; it will not launch")
        else:
            self._leaf(act, ref, (el.get("parameters") or "").strip(), who, depth)
        act.data = item_data(el, who, self.standard, self.warn)
        if "masteryscore" in act.data:
            act.scaled_passing_score = float(act.data["masteryscore"]) / 100.0
        act.sequencing = self._sequencing(el, who)
        if self.standard in SCORM2004 and act.sequencing:
            act.scaled_passing_score = passing_score(act.sequencing)
        act.presentation = presentation(el, who, self.warn)
        return act

    def _item_id(self, el: ET.Element) -> str:
        """The item's identifier, made up when missing and made unique when repeated (with a warning)."""
        iid = (el.get("identifier") or "").strip()
        if not iid:
            iid = f"item_{len(self.activity_ids) + 1}"
            self.warn(f"{self.mf}: an <item> has no identifier; it is called '{iid}'")
        if iid in self.activity_ids:
            n = 2
            while f"{iid}_{n}" in self.activity_ids:
                n += 1
            self.warn(f"{self.mf}: the identifier '{iid}' is used by more than one item; the "
                      f"later one is called '{iid}_{n}'")
            iid = f"{iid}_{n}"
        self.activity_ids.add(iid)
        return iid

    def _leaf(self, act: Activity, ref: str, parameters: str, who: str, depth: int) -> None:
        """A leaf item referencing REF: a resource (SCO or asset), a sub-manifest, or nothing found."""
        res = self.resources.get(ref)
        act.resource_id = ref
        sub = self.submanifests.get(ref) if res is None else None
        if sub is not None:
            act.activity_type, act.resource_id = AGGREGATION, None
            sub_org, _ = self._default_organization(sub)
            if sub_org is not None:
                act.children = [self._item(k, depth + 1) for k in xml_children(sub_org, "item")]
            if not act.children:
                self.warn(f"{who} aggregates the sub-manifest '{ref}', which has no items")
        elif res is None:
            act.activity_type = ASSET
            self.warn(f"{who} references missing resource '{ref}'; it will not launch")
        else:
            self.referenced.add(ref)
            act.activity_type = SCO if res.scorm_type == "sco" else ASSET
            act.href = res.href
            if res.href is None:
                self.warn(f"{who} references resource '{ref}', which has no usable href; "
                          "it will not launch")
            act.parameters = parameters or None

    # ------------------------------------------------------------------ fallbacks / checks
    def _flat_tree(self, identifier: str) -> Activity:
        launchable = [r for r in self.resources.values() if r.href]
        scos = [r for r in launchable if r.scorm_type == "sco"] or launchable
        if not scos:
            raise PackageError(f"{self.mf}: no launchable content: the manifest has no "
                               "organization and no resource with an href")
        self.warn(f"{self.mf}: the manifest has no usable <organization>; the course is built from its "
                  f"{len(scos)} launchable resource(s), in manifest order")
        root = Activity(id=identifier or "organization", title=identifier or "Course",
                        activity_type=AGGREGATION)
        for r in scos:
            root.children.append(Activity(
                id=r.identifier, title=r.identifier, activity_type=SCO if r.scorm_type == "sco" else ASSET,
                href=r.href, resource_id=r.identifier,
            ))
        return root

    def _check_launchable(self, tree: Activity) -> None:
        leaves = tree.leaves()
        if not leaves:
            raise PackageError(f"{self.mf}: no launchable content: no item of the organization "
                               f"'{tree.id}' references a resource with a launch file")
        missing = {r.identifier for r in self.resources.values() if r.missing}
        if all(a.resource_id in missing for a in leaves):
            names = sorted({unquote((a.href or "").split("?")[0]) for a in leaves})
            raise PackageError(f"{self.mf}: no launchable content: none of the launch files "
                               f"({', '.join(names[:5])}) is in the package")

    # ------------------------------------------------------------------ metadata
    def _metadata(self, metadata_el: ET.Element | None, base: str) -> LomInfo:
        info = LomInfo()
        if metadata_el is None:
            return info
        lom = find_lom(metadata_el)
        if lom is not None:
            read_lom(lom, info)
        for loc in xml_children(metadata_el, "location", None):
            href = xml_text(loc)
            if not href:
                continue
            path = posixpath.normpath(base + unquote(href))
            real = self.reader.resolve(path) if not path.startswith("..") else None
            if real is None:
                self.warn(f"{self.mf}: <adlcp:location> names the metadata file '{href}', which is "
                          "not in the package; its metadata is ignored")
                continue
            try:
                ext_root = parse_xml(self.reader.read(real), real)
            except PackageError as exc:
                self.warn(f"{self.mf}: the metadata file '{real}' cannot be read ({exc}); "
                          "its metadata is ignored")
                continue
            ext_lom = find_lom(ext_root)
            if ext_lom is None:
                self.warn(f"{self.mf}: the metadata file '{real}' holds no <lom>; it is ignored")
                continue
            read_lom(ext_lom, info)
        return info
