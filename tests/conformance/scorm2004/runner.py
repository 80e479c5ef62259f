"""Replaying one ADL step script against our sequencing engine and run-time data model."""

from __future__ import annotations

import io
import posixpath
import random
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursehost.domain.courses.model import Activity
from coursehost.domain.courses.packages.parsers.scorm import parse_scorm
from coursehost.domain.courses.packages.reader import PackageReader
from coursehost.domain.runtime import sequenced
from coursehost.domain.sequencing import SequencingSession
from coursehost.domain.sequencing.base import SequencingError
from coursehost.domain.sequencing.tree import duration_seconds
from tests.adl_suite import suite_dir
from tests.conformance.scorm2004 import adapter
from tests.conformance.scorm2004.bridge import ApiBridge
from tests.conformance.scorm2004.script import ANY_SHORT, ANY_VALUE, EMPTY, Command, Script, Visit, parse

# Tester UI actions (CUI) that are plain navigation requests.
UI_NAV = {"Continue": "continue", "Previous": "previous", "Exit": "exitAll", "TRIGExitAll": "exitAll",
          "ContinueExitCM8": "continue", "ExitCM09ba": "exitAll", "SuspendCM09ca": "suspendAll"}


class Unsupported(Exception):
    pass


class Failure(Exception):
    pass


@dataclass
class Result:
    script: str
    passed: bool
    message: str = ""
    category: str = ""
    steps: int = 0
    log: list[str] = field(default_factory=list)


def script_ids() -> list[str]:
    return sorted(p.stem for p in (suite_dir() / "TestCases").glob("*.properties"))


_COURSES: dict[str, Activity] = {}
_GLOBAL_TO_SYSTEM: dict[str, bool] = {}
_EXTRA: dict[str, dict[str, Any]] = {}


def course_extra(package: str) -> dict[str, Any]:
    """The course-level data of LMSTestPackage_PACKAGE (objectivesGlobalToSystem, ...)."""
    load_course(package)
    return _EXTRA[package]


def load_course(package: str) -> Activity:
    """The organization of LMSTestPackage_PACKAGE, parsed by our SCORM importer (stand-in files)."""
    if package in _COURSES:
        return _COURSES[package]
    manifest = suite_dir() / f"LMSTestPackage_{package}" / "imsmanifest.xml"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.write(manifest, "imsmanifest.xml")
        for name in _launch_files(manifest):
            z.writestr(name, "<html></html>")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pkg.zip"
        path.write_bytes(buf.getvalue())
        with PackageReader(path) as reader:
            parsed = parse_scorm(reader, "imsmanifest.xml")
    root = parsed.root
    _COURSES[package] = root
    _EXTRA[package] = dict(parsed.extra or {})
    _GLOBAL_TO_SYSTEM[package] = _EXTRA[package].get("objectivesGlobalToSystem", True) is not False
    return root


def _launch_files(manifest: Path) -> set[str]:
    names: set[str] = set()
    xml_base = "{http://www.w3.org/XML/1998/namespace}base"

    def walk(el: ET.Element, base: str) -> None:
        xb = el.get(xml_base)
        if xb:
            base = base + (xb if xb.endswith("/") else xb + "/")
        tag = el.tag.rsplit("}", 1)[-1]
        href = el.get("href")
        if tag in ("resource", "file") and href and "://" not in href:
            names.add(posixpath.normpath(base + href.split("?")[0].split("#")[0]))
        for child in el:
            walk(child, base)

    walk(ET.parse(manifest).getroot(), "")
    return names


def _index(root: Activity) -> dict[str, Activity]:
    out: dict[str, Activity] = {}
    stack = [root]
    while stack:
        a = stack.pop()
        out[a.id] = a
        stack.extend(a.children)
    return out


_DELIMITER = re.compile(r"^\{(case_matters|order_matters|lang)=([^}]*)\}")
_DEFAULT_DELIMITERS = {("case_matters", "false"), ("order_matters", "true"), ("lang", "en")}


def _same_response(got: str, want: str) -> bool:
    """Responses / patterns equal up to their leading delimiters: one stating a default
    ({case_matters=false}, {order_matters=true}, {lang=en}, RTE 4.2.9.1) says nothing, and their
    order carries no meaning (ADL's expected values leave defaults out)."""
    def norm(value: str) -> str:
        kept = []
        while (m := _DELIMITER.match(value)):
            if (m[1], m[2]) not in _DEFAULT_DELIMITERS:
                kept.append(m[0])
            value = value[m.end():]
        return "".join(sorted(kept)) + value
    return norm(got) == norm(want)


class Run:
    """One script's replay state."""

    def __init__(self, script: Script, bridge: ApiBridge, package: str | None = None,
                 globals_: dict | None = None):
        self.script = script
        self.bridge = bridge
        self.package = package or script.id
        self.root = load_course(self.package)
        self.acts = _index(self.root)
        self.tree = sequenced.build_tree(self.root, course_extra(self.package))
        self.session = SequencingSession(self.tree, rng=random.Random(1))
        self.tracked: dict[str, adapter.Tracked] = {}  # activity id -> its ActivityState (start data)
        self.shared: dict[str, str] = {}  # the registration's adl.data stores (instance.state["sharedData"])
        self._dicts: dict[str, dict[str, Any]] = {}
        self.global_to_system = _GLOBAL_TO_SYSTEM.get(self.package, True)
        if globals_ and self.global_to_system:
            # the learner's shared global objectives (objectivesGlobalToSystem) from earlier tests
            self.session._st.load({"globals": globals_})
        self.log: list[str] = []
        self.steps = 0

    def nav(self, request: str, target: str | None = None):
        """A navigation request; the registration's adl.data follows the course's scope
        (sequenced.scope_shared, as sequenced.save applies it)."""
        before = sequenced.root_attempts(self.session)
        r = self.session.navigate(request, target)
        self.shared = sequenced.scope_shared(self.session, before, self.shared) or {}
        return r

    # -------------------------------------------------------------- names
    def activity_id(self, act: str) -> str:
        for cand in (f"activity_{act}", f"activity{act}", f"act{act}"):
            if cand in self.acts:
                return cand
        for a in self.acts.values():
            if a.title.strip() == f"Activity {act}":
                return a.id
        raise Unsupported(f"no activity for Act{act}")

    def by_title(self, title: str) -> str | None:
        title = title.strip()
        if title.startswith("the activity that corresponds to the root"):
            return self.root.id
        m = re.fullmatch(r"Activity (\w+)", title)
        if m:
            try:
                return self.activity_id(m.group(1))
            except Unsupported:
                return None
        for a in self.acts.values():
            if a.title.strip() == title:
                return a.id
        return None

    def fail(self, visit: Visit | None, msg: str) -> Failure:
        where = f"{self.script.id} {visit.key}: " if visit else f"{self.script.id}: "
        return Failure(where + msg)

    # -------------------------------------------------------------- the replay
    def run(self) -> None:
        visits = self.script.visits
        start = (self.script.header.get("start") or ".").strip()
        if start == ".":
            first = self.nav("start")
            leaves = [a for a in self.tree.ids if self.tree.is_leaf(a)]
            if not first.delivered and len(leaves) == 1:
                # flow off at the root and one SCO: the LMS launches it (the only TOC entry)
                first = self.nav("choice", leaves[0])
        else:  # the tester launches START from the table of contents
            target = self.by_title(start)
            if target is None:
                raise Unsupported(f"start {start!r}")
            first = self.nav("choice", target)
        self.log.extend(first.log)
        if not visits:
            raise Unsupported("no visits")
        for i, visit in enumerate(visits):
            expected = self.activity_id(visit.act)
            if self.session.current != expected or (i == 0 and not first.delivered):
                got = self.session.current
                raise self.fail(visit, f"expected delivery of {expected}, engine has "
                                       f"{got or 'nothing'} (last: {self.log[-1] if self.log else ''})")
            self.visit(visit, expected)
            nxt = visits[i + 1] if i + 1 < len(visits) else None
            self.after(visit, expected, nxt)

    def activity(self, aid: str) -> dict[str, Any]:
        """ACTIVITY's dict as the product has it (CourseVersion.structure)."""
        if aid not in self._dicts:
            self._dicts[aid] = self.acts[aid].to_dict()
        return self._dicts[aid]

    def visit(self, visit: Visit, aid: str) -> None:
        look = self.session.lookahead()
        tracked = self.tracked.setdefault(aid, adapter.Tracked())
        start = adapter.start_data(self.session, self.activity(aid), tracked, self.shared)
        self.bridge.new(start, {"continue": look["continue"], "previous": look["previous"],
                                "choice": look["choice"], "jump": look["jump"]})
        self.check_ui(visit, aid, look)
        for k, cmd in enumerate(visit.commands):
            self.steps += 1
            self.command(visit, k, cmd)

    # UIQ: the LMS UI while the SCO runs
    def check_ui(self, visit: Visit, aid: str, look: dict[str, Any]) -> None:
        hidden = set(((self.acts[aid].presentation or {}).get("hideLMSUI")) or [])
        for q, a in zip(visit.uiq, visit.uia):
            want = a.strip().upper() == "Y"
            name, _, title = q.partition("@")
            if name in ("continue.enabled", "continue.disabled", "previous.enabled", "previous.disabled"):
                req, state = name.split(".")
                if req == "continue":
                    # the LMS offers Continue whenever the Navigation Request Process (NB.2.1)
                    # accepts it, i.e. the current activity's parent has flow: what the sequencing
                    # then does (deliver, end the session, or report "nothing to deliver") is not
                    # known in advance (ADL's reference LMS: ADLSequencer.validateRequests)
                    on = req not in hidden and self.nav_accepted(req)
                else:
                    on = req not in hidden and bool(look[req])
                got = on if state == "enabled" else not on
            elif name == "toc.enabled" and not title:
                # something other than what runs (and the course itself) can be chosen
                got = any(v for k, v in look["choice"].items() if k not in (aid, self.root.id))
            elif name in ("toc.enabled.selectable", "toc.visible"):
                target = self.by_title(title)
                if target is None:
                    raise Unsupported(f"UIQ target {title!r}")
                got = not look["menu"][target]["hidden"] if name == "toc.visible" else bool(look["choice"].get(target))
            elif name == "click.button":
                # the LMS offers the learner a control to end the course (the player's Exit)
                got = "exitAll" not in hidden and "exit" not in hidden
            else:
                raise Unsupported(f"UIQ {q!r}")
            if got != want:
                raise self.fail(visit, f"UI: {q} expected {'Y' if want else 'N'} got {'Y' if got else 'N'}")

    def nav_accepted(self, request: str) -> bool:
        """Whether the Navigation Request Process (NB.2.1) accepts REQUEST now (it changes nothing)."""
        try:
            self.session._e.navigation_request(request, None)
        except SequencingError:
            return False
        return True

    def command(self, visit: Visit, k: int, cmd: Command) -> None:
        b = self.bridge
        where = f"cmd {k}: {cmd.describe()}"
        if cmd.op == "?" and not cmd.raw:
            return  # a gap in the script's command numbering
        if cmd.op == "?":
            raise Unsupported(f"{visit.key} cmd {k}: undecodable {cmd.raw[:60]!r}")
        if cmd.op == "COI":
            n, err = b.call("GetValue", "cmi.objectives._count")
            ids = []
            for j in range(int(n or 0)):
                ids.append(b.call("GetValue", f"cmi.objectives.{j}.id")[0])
            if sorted(ids) != sorted(cmd.ids):
                raise self.fail(visit, f"{where} expected objective ids {cmd.ids} got {ids}")
            return
        if cmd.op in ("GET", "SET"):
            elem = self.resolve(visit, cmd.element, creating=cmd.op == "SET")
            if cmd.op == "GET":
                got, err = b.call("GetValue", elem)
                if err != cmd.error:
                    raise self.fail(visit, f"{where} expected error {cmd.error} got {err} (value {got!r})")
                if cmd.error == "0" and not self.value_ok(cmd, elem, got):
                    raise self.fail(visit, f"{where} expected {cmd.value[:80]!r} got {str(got)[:80]!r} (err {err})")
                return
            got, err = b.call("SetValue", elem, cmd.value)
            if got != cmd.ret or err != cmd.error:
                raise self.fail(visit, f"{where} expected {cmd.ret}/{cmd.error} got {got}/{err}")
            return
        fn = {"I": "Initialize", "C": "Commit", "T": "Terminate", "GLE": "GetLastError",
              "GES": "GetErrorString", "GeDi": "GetDiagnostic"}[cmd.op]
        args = [] if cmd.op == "GLE" else [cmd.element]
        got, err = b.call(fn, *args)
        if cmd.ret == ANY_SHORT:
            ok = got is not None and len(got) < 255
        elif cmd.ret == EMPTY:
            ok = got == ""
        else:
            ok = got == cmd.ret
        if not ok or err != cmd.error:
            raise self.fail(visit, f"{where} expected {cmd.ret!r}/{cmd.error} got {got!r}/{err}")

    def value_ok(self, cmd: Command, elem: str, got: str | None) -> bool:
        want = cmd.value
        if want in ANY_VALUE:
            return True
        if "request_valid" in elem or got in ("true", "false"):  # the scripts' t / f tokens
            want = {"t": "true", "f": "false"}.get(want, want)
        if want == "" and (elem.endswith(".id") and "&" in cmd.element):
            return True  # the script only locates the objective
        if elem == "cmi.learner_id" and want == "m":
            return bool(got)
        if elem == "cmi.learner_name" and want == "":
            return True
        if got == want:
            return True
        if elem.endswith((".learner_response", ".pattern")):  # RTE 4.2.9.1 delimiters
            return _same_response(got or "", want)
        if elem.endswith("._children"):  # a list of names: RTE 4.1.1.3 prescribes no order
            return sorted((got or "").split(",")) == sorted(want.split(","))
        if elem.endswith(("total_time", "session_time", "max_time_allowed", "latency")):
            a, b = duration_seconds(got), duration_seconds(want)
            if a is not None and b is not None and want.startswith("P"):
                return abs(a - b) < 0.005
        try:
            return float(got or "x") == float(want)
        except ValueError:
            return False

    def resolve(self, visit: Visit, elem: str, creating: bool) -> str:
        """&id& -> the index of the objective (adl.data: data store) with that id."""
        m = re.search(r"&([^&]+)&", elem)
        if not m:
            return elem
        ident = m.group(1)
        coll = elem[:m.start()].rstrip(".")
        n, _ = self.bridge.call("GetValue", f"{coll}._count")
        count = int(n) if n and n.isdigit() else 0
        for j in range(count):
            got, _ = self.bridge.call("GetValue", f"{coll}.{j}.id")
            if got == ident:
                return elem[:m.start()] + str(j) + elem[m.end():]
        if coll == "cmi.objectives" and creating:
            # a new objective: the SCO sets its id first
            self.bridge.call("SetValue", f"{coll}.{count}.id", ident)
        return elem[:m.start()] + str(count) + elem[m.end():]

    # -------------------------------------------------------------- after the SCO
    def finish_sco(self, visit: Visit, aid: str) -> str:
        """The SCO calls Terminate: its data committed as the product commits it; its adl.nav.request."""
        if not visit.commands:  # an asset, or a SCO the tester leaves alone, never initializes
            return "_none_"
        t = self.bridge.terminate()
        if t.get("result") != "true":
            raise self.fail(visit, f"Terminate('') returned {t.get('result')}/{t.get('error')}")
        snap = t.get("snapshot") or {}
        # what commits.apply_commit does with the SCO's last commit
        adapter.commit(self.tracked.setdefault(aid, adapter.Tracked()), snap)
        sequenced.report(self.session, aid, snap)
        shared = sequenced.write_shared(self.activity(aid), snap, self.shared)
        if shared is not None:
            self.shared = shared
        return t.get("nav") or "_none_"

    def after(self, visit: Visit, aid: str, nxt: Visit | None) -> None:
        sco_nav = "_none_"
        if visit.commands:  # an asset, or a SCO the tester leaves alone, never initializes
            sco_nav = self.finish_sco(visit, aid)
        ui = self.ui_request(visit)
        manual = "manualTT" in self.script.tt
        requests: list[tuple[str, str | None]] = []
        # the SCO's abandon has ended the attempt before the tester acts (SN 4.4.1: no End Attempt)
        if sco_nav != "_none_" and (not (manual and ui) or sco_nav in ("abandon", "abandonAll")):
            requests.append(self.parse_nav(sco_nav))
        if ui:
            requests.append(ui)
        if not requests:
            if nxt is None:
                return
            requests.append(("exit", None))  # the SCO ended with nothing asked: the LMS exits it
        for req, target in requests:
            r = self.nav(req, target)
            self.log.append(f"{visit.key}: {req}{' ' + target if target else ''} -> valid={r.valid} "
                            f"delivered={r.delivered} ended={r.ended} exc={r.exception}")
            if r.delivered or r.ended:
                break
        if nxt is None:
            cur = self.session.current
            if cur is not None and self.tree.is_leaf(cur) and self.session._st.acts[cur].active:
                raise self.fail(visit, f"expected the session to end, engine delivered {cur} ({self.log[-1]})")
        if visit.cui and (visit.cui.lower().startswith("relaunch") or visit.cui == "DMBx"):
            self.relaunch(nxt)
        elif nxt is not None and self.session.current is None and self.session._st.session.ended:
            # the session ended (exitAll, suspendAll, a flow off the tree) and the script goes on:
            # the tester launches the course again over the same tracking state
            self.relaunch(nxt)

    def ui_request(self, visit: Visit) -> tuple[str, str | None] | None:
        cui = visit.cui
        if not cui:
            return None
        if cui in UI_NAV:
            return (UI_NAV[cui], None)
        m = re.fullmatch(r"(API|DMI)t(\d+)", cui)
        if m:  # the tester opens "<test name> <n>" from the table of contents
            name = {"API": "API Implementation Test", "DMI": "Data Model Implementation Test"}[m.group(1)]
            target = self.by_title(f"{name} {m.group(2)}")
            if target is None:
                raise Unsupported(f"CUI target {cui!r}")
            return ("choice", target)
        kind, _, title = cui.partition("~")
        if kind in ("Choice", "ChoiceExit"):
            target = self.by_title(title)
            if target is None:
                raise Unsupported(f"CUI target {title!r}")
            return ("choice", target)
        if cui == "DMBxAct":  # the tester opens the test's first SCO again from the TOC
            return ("choice", self.activity_id("1"))
        if re.fullmatch(r"Root\w+", cui):  # the tester chooses the course itself from the TOC
            return ("choice", self.root.id)
        if kind in ("AutoTest", "HasEnded", "DMBx") or kind.lower().startswith("relaunch"):
            return None
        raise Unsupported(f"CUI {cui!r}")

    def relaunch(self, nxt: Visit | None = None) -> None:
        """The learner comes back later: a new session over the saved state (resumeAll when
        suspended, else start; when nothing starts by flow the tester opens the next visit's
        activity from the table of contents, as at the first launch)."""
        state = self.session.to_state()
        self.session = SequencingSession(self.tree, state=state, rng=random.Random(2))
        req = "resumeAll" if self.session.suspended else "start"
        r = self.nav(req)
        self.log.append(f"relaunch: {req} -> delivered={r.delivered} exc={r.exception}")
        if not r.delivered and req == "start" and nxt is not None:
            target = self.activity_id(nxt.act)
            r = self.session.navigate("choice", target)
            self.log.append(f"relaunch: choice {target} -> delivered={r.delivered} exc={r.exception}")

    @staticmethod
    def parse_nav(value: str) -> tuple[str, str | None]:
        m = re.fullmatch(r"\{target=([^}]*)\}(\w+)", value)
        if m:
            return (m.group(2), m.group(1))
        return (value, None)


class MultiRun:
    """A script over several packages (ADL DDM: DDMa and DDMb, visits Act<n><a|b>V<m>): one course,
    so one registration each (its own sequencing state, activity states and adl.data stores,
    instance.state["sharedData"]), launched and left the way the player does it: a launch is
    sequenced.navigate "start" (resumeAll when suspended), the tester's Exit is exitAll."""

    def __init__(self, script: Script, bridge: ApiBridge):
        self.script = script
        self.bridge = bridge
        self.runs: dict[str, Run] = {}
        self.current: Run | None = None
        self.log: list[str] = []
        self.steps = 0

    def package(self, letter: str) -> str:
        return f"{self.script.id}{letter}"

    def launch(self, package: str) -> None:
        run = self.runs.get(package)
        if run is None:
            run = self.runs[package] = Run(self.script, self.bridge, package=package)
            run.log = self.log
        before = sequenced.root_attempts(run.session)
        d = sequenced.navigate(run.session, "start")
        run.shared = sequenced.scope_shared(run.session, before, run.shared) or {}
        self.log.append(f"launch {package}: delivered={d['activityId']} exc={d['exception']}")
        self.current = run

    def run(self) -> None:
        self.launch((self.script.header.get("start") or "").strip() or self.package("a"))
        for visit in self.script.visits:
            m = re.fullmatch(r"(\d+)([a-z])", visit.act)
            if not m:
                raise Unsupported(f"visit {visit.key}")
            run = self.current
            assert run is not None
            if run.package != self.package(m.group(2)):
                raise run.fail(visit, f"expected {self.package(m.group(2))}, the tester is in {run.package}")
            aid = run.activity_id(m.group(1))
            if run.session.current != aid:
                raise run.fail(visit, f"expected delivery of {aid}, engine has {run.session.current or 'nothing'} "
                                      f"(last: {self.log[-1] if self.log else ''})")
            run.visit(visit, aid)
            self.steps = sum(r.steps for r in self.runs.values())
            self.after(run, visit, aid)

    def after(self, run: Run, visit: Visit, aid: str) -> None:
        sco_nav = run.finish_sco(visit, aid)
        if sco_nav != "_none_":
            req, target = Run.parse_nav(sco_nav)
            r = run.nav(req, target)
            self.log.append(f"{run.package} {visit.key}: {sco_nav} -> delivered={r.delivered} ended={r.ended}")
        cui = visit.cui or ""
        kind, _, other = cui.partition("~")
        m = re.fullmatch(r"(?i)relaunch(\w+)", cui)
        if m:
            kind, other = "relaunch", m.group(1)
        if kind.lower() in ("exit", "exitlaunch", "autoendrelaunch", "relaunch"):
            if run.session.current is not None:  # the tester's Exit
                r = run.nav("exitAll")
                self.log.append(f"{run.package} {visit.key}: exitAll -> ended={r.ended}")
            if other:
                self.launch(other)
        elif cui:
            raise Unsupported(f"CUI {cui!r}")


def categorize(msg: str) -> str:
    if "expected delivery" in msg or "expected the session to end" in msg:
        return "sequencing: delivery order"
    if " UI: " in msg:
        return "sequencing: look-ahead / UI"
    if "objective ids" in msg:
        return "start data: objectives"
    if "Terminate" in msg:
        return "run-time: Terminate"
    return "run-time: data model"


def _predecessors(script_id: str) -> list[str]:
    """The earlier parts of a lettered series (OB-09a before OB-09b): ADL's suite runs them for the
    same learner first, and a part may rely on the global objectives they left (OB-09b, CO-07b)."""
    m = re.fullmatch(r"(.*\d)([b-z])", script_id)
    if not m:
        return []
    out = []
    for c in "abcdefghijklmnopqrstuvwxyz":
        if c >= m.group(2):
            break
        sid = m.group(1) + c
        if (suite_dir() / "TestCases" / f"{sid}.properties").is_file():
            out.append(sid)
    return out


def _learner_globals(script_id: str, bridge: ApiBridge) -> dict:
    """The global objectives the learner has when SCRIPT_ID starts (its series' earlier parts)."""
    globals_: dict = {}
    for sid in _predecessors(script_id):
        run = None
        try:
            run = Run(parse(suite_dir() / "TestCases" / f"{sid}.properties"), bridge, globals_=globals_)
            run.run()
        except (Failure, Unsupported):
            pass
        if run is not None and run.global_to_system:
            globals_ = run.session.to_state().get("globals") or {}
    return globals_


def run_script(script_id: str, bridge: ApiBridge) -> Result:
    path = suite_dir() / "TestCases" / f"{script_id}.properties"
    script = parse(path)
    run = None
    try:
        run = (MultiRun(script, bridge) if script_id == "DDM"
               else Run(script, bridge, globals_=_learner_globals(script_id, bridge)))
        run.run()
    except Failure as exc:
        return Result(script_id, False, str(exc), categorize(str(exc)), run.steps if run else 0,
                      run.log if run else [])
    except Unsupported as exc:
        return Result(script_id, False, f"{script_id}: unsupported: {exc}", "harness: unsupported step",
                      run.steps if run else 0, run.log if run else [])
    return Result(script_id, True, steps=run.steps, log=run.log)
