"""Look-ahead (adl.nav.request_valid.*, RTE 4.4.3; the table of contents): for each request, would
the Overall Sequencing Process (OP.1) succeed now? Runs NB.2.1 on the present state, then the
shared termination (TB.2.3 exit of the current activity) under the undo journal, then the
sequencing requests (SB.2.x) and delivery checks (DB.1.1) in dry mode, and rolls everything back.

Two evaluations of the choice (and jump) targets give the same answers:

- `lookahead_exact`: every target runs NB.2.1 and SB.2.9 / SB.2.13 + DB.1.1 itself through the
  real processes (memoised between targets). The reference; about 100 ms at 2,000 activities.
- `lookahead` (the default): one preorder pass over the tree decides SB.2.9 for every target.
  Each check of SB.2.9 is a property of the path root..target or of the path from the common
  ancestor with the current activity, so it is carried down the tree as a prefix and shared by
  siblings: not available / hidden from choice on the path (steps 2-3), choice control of the
  parent (step 4), stopForwardTraversal (SB.2.4 forward, a prefix count) on the common ancestor ..
  the target's parent and preventActivation of inactive activities (a prefix count) strictly
  between the common ancestor and the target; the target itself is never tested (steps 7, 9),
  choiceExit and the constraining activity (constrainChoice) along the current activity's path
  (steps 8-9, once per ancestor of the current activity; the SB.2.9.1 / SB.2.9.2 choice flow that
  bounds the targets is asked of the engine once per constraining activity and direction), the
  walk over the current activity's siblings (step 6, one prefix over them), and DB.1.1's
  disabled / limit checks of root..leaf (UP.5 once per activity). Flowing into a cluster target
  (SB.2.3 / SB.2.2 forward) follows the chains of first children and skipped activities once per
  activity with the engine's own rule checks and tree traversal. NB.2.1 (choice control,
  choiceExit of active activities) is carried the same way on the present state. Continue,
  previous and the termination run through the real processes as before. Rules are evaluated
  once each, without the memo. When the tree is not in preorder (never for trees built by
  ActivityTree.from_course) the exact evaluation is used.
tests/unit/sequencing/test_lookahead_agreement.py compares both, target by target, on seeded
random trees and learner histories.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from coursehost.domain.sequencing.base import BACK, FWD, HIDDEN, SKIP, STOP_FWD, SequencingError
from coursehost.domain.sequencing.process import ProcessMixin
from coursehost.domain.sequencing.tree import ActivityTree


def _nav(e: ProcessMixin, request: str, target: str | None) -> tuple[str | None, str | None] | None:
    try:
        return e.navigation_request(request, target)
    except SequencingError:
        return None


def _seq_ok(e: ProcessMixin, request: str, target: str | None) -> bool:
    try:
        delivery, end = e.sequencing_request(request, target)
        if end:
            return True
        if delivery is None:
            return False
        e.delivery_request(delivery)
        return True
    except SequencingError:
        return False


class _Sandbox:
    """Run the look-ahead under the undo journal; restore journal, rng, logs, dry and memo after."""

    def __init__(self, e: ProcessMixin):
        self.e = e

    def __enter__(self) -> None:
        e = self.e
        j = e.st.journal
        self.mark, self.was_on = j.mark(), j.on
        self.rng_state = e.rng.getstate()
        self.saved_logs, e.logs = e.logs, None
        j.on = True

    def __exit__(self, *exc: Any) -> None:
        e = self.e
        j = e.st.journal
        e.dry = False
        e.memo = None
        j.rollback(self.mark)
        j.on = self.was_on
        e.rng.setstate(self.rng_state)
        e.logs = self.saved_logs


def _terminate(e: ProcessMixin) -> tuple[bool, bool | None]:
    """The shared termination (TB.2.3 exit of an active current activity), then dry mode:
    (termination ok, answer of the sequencing request that replaced the navigation's, if any)."""
    cur = e.st.session.current
    replaced: str | None = None
    term_ok = True
    if cur is not None and e.st.acts[cur].active:
        try:
            replaced = e.termination_request("exit")
        except SequencingError:
            term_ok = False
    e.dry = True
    e.memo = {}
    shared: bool | None = None
    if replaced is not None and term_ok:
        shared = _seq_ok(e, replaced, None)
    return term_ok, shared


# ---------------------------------------------------------------------------------- exact


def lookahead_exact(e: ProcessMixin) -> dict[str, Any]:
    """Side-effect-free answers for continue, previous, every choice and jump target, and the menu:
    each target evaluated by the real processes (the reference for `lookahead`)."""
    tree = e.tree
    with _Sandbox(e):
        e.memo = {}
        ids = tree.ids
        navs = {req: _nav(e, req, None) for req in ("continue", "previous")}
        choice_nav = {aid: _nav(e, "choice", aid) for aid in ids}
        jump_nav = {aid: _nav(e, "jump", aid) for aid in ids}
        menu = _menu(e)
        e.memo = None
        term_ok, shared = _terminate(e)

        def answer(nav: tuple[str | None, str | None] | None, request: str, target: str | None) -> bool:
            if nav is None:
                return False
            if nav[0] is not None:
                if not term_ok:
                    return False
                if shared is not None:
                    return shared
            return _seq_ok(e, request, target)

        out: dict[str, Any] = {req: answer(navs[req], req, None) for req in ("continue", "previous")}
        out["choice"] = {aid: answer(choice_nav[aid], "choice", aid) for aid in ids}
        out["jump"] = {aid: tree.nodes[aid].leaf and answer(jump_nav[aid], "jump", aid) for aid in ids}
        for aid in ids:
            menu[aid]["enabled"] = out["choice"][aid]
        out["menu"] = menu
        return out


def _menu(e: ProcessMixin) -> dict[str, dict[str, bool]]:
    """Hidden: not visible, not among its parent's available children, or hidden from choice
    (itself or an ancestor, SB.2.9 step 3)."""
    menu: dict[str, dict[str, bool]] = {}
    blocked: dict[str, bool] = {}
    nodes = e.nodes
    for aid in e.tree.ids:
        node = nodes[aid]
        parent = node.parent
        blocked[aid] = ((parent is not None and (blocked[parent] or not e.available(aid)))
                        or e.hidden_from_choice(aid))
        menu[aid] = {"enabled": False, "hidden": bool(blocked[aid] or not node.visible)}
    return menu


# ---------------------------------------------------------------------------------- one pass


class _Static:
    """What the pass needs from the (immutable) tree, by preorder index."""

    def __init__(self, tree: ActivityTree):
        ids = tree.ids
        self.ids = ids
        self.n = len(ids)
        self.index = {aid: i for i, aid in enumerate(ids)}
        self._structure(tree)
        self._rules(tree)
        self.end = self._subtree_ends()
        self.preorder = self._is_preorder(tree)

    def _structure(self, tree: ActivityTree) -> None:
        """Parent, order, first child and the control modes the pass reads, by index."""
        ids, nodes, index = tree.ids, tree.nodes, self.index
        self.par = [-1 if nodes[a].parent is None else index[nodes[a].parent] for a in ids]
        self.order = [nodes[a].order for a in ids]
        self.leaf = [nodes[a].leaf for a in ids]
        self.visible = [nodes[a].visible for a in ids]
        self.parent_choice = [nodes[a].parent is None or nodes[nodes[a].parent].choice for a in ids]
        self.parent_flow = [nodes[a].parent is None or nodes[nodes[a].parent].flow for a in ids]
        self.prevent = [nodes[a].prevent_activation for a in ids]
        self.clusters = [a for a in ids if not nodes[a].leaf]
        self.first = [index[nodes[a].children[0]] if nodes[a].children else -1 for a in ids]
        self.any_prevent = any(self.prevent)

    def _rules(self, tree: ActivityTree) -> None:
        """Which pre-condition rule actions and limit conditions each activity has, by index."""
        ids, nodes = tree.ids, tree.nodes
        acts = [{r.action for r in nodes[a].pre_rules} for a in ids]
        self.has_hidden = [bool(x & HIDDEN) for x in acts]
        self.has_stop = [bool(x & STOP_FWD) for x in acts]
        self.has_skip = [bool(x & SKIP) for x in acts]
        # UP.5 (check activity) is a disabled rule or UP.1 (limit conditions): 0 neither can
        # apply, 1 only a limit condition (UP.1 alone is asked), 2 a disabled rule (UP.5 is asked)
        self.may_disable = [2 if "disabled" in acts[i] else
                            1 if nodes[a].attempt_limit is not None or nodes[a].attempt_duration_limit is not None
                            else 0 for i, a in enumerate(ids)]
        self.any_hidden = any(self.has_hidden)
        self.any_stop = any(self.has_stop)

    def _subtree_ends(self) -> list[int]:
        """The subtree of i is indices i .. end[i]-1 (preorder)."""
        end = list(range(1, self.n + 1))
        for i in range(self.n - 1, 0, -1):
            p = self.par[i]
            if end[i] > end[p]:
                end[p] = end[i]
        return end

    def _is_preorder(self, tree: ActivityTree) -> bool:
        walk: list[str] = []
        stack = [tree.root]
        while stack:
            a = stack.pop()
            walk.append(a)
            stack.extend(reversed(tree.nodes[a].children))
        return walk == list(self.ids) and all(tree.nodes[a].order == i for i, a in enumerate(self.ids))


_STATIC: weakref.WeakKeyDictionary[ActivityTree, _Static] = weakref.WeakKeyDictionary()


def _static(tree: ActivityTree) -> _Static:
    got = _STATIC.get(tree)
    if got is None:
        got = _STATIC[tree] = _Static(tree)
    return got


def _unavailable(e: ProcessMixin, s: _Static) -> set[str]:
    """Activities that are not among their parent's available children (SR.1 / SR.2)."""
    out: set[str] = set()
    acts, nodes = e.st.acts, e.nodes
    for aid in s.clusters:
        order = acts[aid].order
        if order is not None:
            keep = set(order)
            out.update(c for c in nodes[aid].children if c not in keep)
    return out


def _hidden_pass(e: ProcessMixin, s: _Static, unavail: set[str]) -> list[bool]:
    """SB.2.9 steps 2-3 for every activity: not available, or hidden from choice, on root..it."""
    ids, par, has_hidden = s.ids, s.par, s.has_hidden
    rules_check = e.rules_check
    hidden = [False] * s.n
    if not unavail and not s.any_hidden:
        return hidden
    for i in range(s.n):
        aid = ids[i]
        p = par[i]
        h = p >= 0 and (hidden[p] or aid in unavail)
        if not h and has_hidden[i]:
            h = rules_check(aid, "pre", HIDDEN) is not None
        hidden[i] = h
    return hidden


def _common(s: _Static, on_path: dict[int, Any]) -> list[int]:
    """For every activity, its deepest ancestor-or-self among ON_PATH (one activity's path to the
    root): the common ancestor with that activity."""
    par = s.par
    com = [0] * s.n
    for i in range(s.n):
        com[i] = i if i in on_path else com[par[i]]
    return com


def lookahead(e: ProcessMixin) -> dict[str, Any]:
    """Side-effect-free answers for continue, previous, every choice and jump target, and the menu
    (same answers as `lookahead_exact`, choice validity decided in one pass over the tree)."""
    s = _static(e.tree)
    if not s.preorder:
        return lookahead_exact(e)
    with _Sandbox(e):
        # ---- NB.2.1 and the menu, on the present state (each rule is evaluated once: no memo)
        e.memo = None
        navs = {req: _nav(e, req, None) for req in ("continue", "previous")}
        cur0 = e.st.session.current
        unavail0 = _unavailable(e, s)
        hidden0 = _hidden_pass(e, s, unavail0)
        c0 = -1 if cur0 is None else s.index[cur0]
        active0 = c0 >= 0 and e.st.acts[cur0].active
        nb_ok = _nb_choice_exit(e, s, cur0)

        # ---- the shared termination, then dry mode (sequencing requests change nothing)
        term_ok, shared = _terminate(e)
        # the answer of every request that terminates first, when it does not depend on the target
        fixed: bool | None = (shared if term_ok else False) if active0 else None
        cur = e.st.session.current
        seq_ok: list[bool] = []
        dis: list[bool] = []
        com: list[int] | None = None
        if fixed is None:
            e.memo = None
            seq_ok, dis, com = _choice_pass(e, s, cur, hidden0 if not active0 else None)
        flows = _flow_answers(e, navs, term_ok, shared)

        # ---- per target: NB.2.1 (present state), then the sequencing request's answer
        nav_ok = _nb_choice(s, c0, nb_ok, com if cur == cur0 else None)
        if fixed is None:
            choice_l = [a and b for a, b in zip(nav_ok, seq_ok)]
        else:
            choice_l = list(nav_ok) if fixed else [False] * s.n
        jump_l = _jump_answers(s, c0, fixed, unavail0, dis)
        menu = {aid: {"enabled": ok, "hidden": h or not v}
                for aid, ok, h, v in zip(s.ids, choice_l, hidden0, s.visible)}
        return {"continue": flows["continue"], "previous": flows["previous"],
                "choice": dict(zip(s.ids, choice_l)), "jump": dict(zip(s.ids, jump_l)), "menu": menu}


def _nb_choice_exit(e: ProcessMixin, s: _Static, cur0: str | None) -> dict[int, bool]:
    """NB.2.1 choice step: leaving cur0's branch up to the common ancestor A needs every active
    activity on cur0 .. below A to allow choiceExit. nb_ok[A] for each ancestor A of cur0."""
    nb_ok: dict[int, bool] = {}
    if cur0 is None:
        return nb_ok
    acts, nodes, index = e.st.acts, e.nodes, s.index
    ok = True
    for a in e.tree.path_to_root(cur0):
        nb_ok[index[a]] = ok
        if acts[a].active and not nodes[a].choice_exit:
            ok = False
    return nb_ok


def _nb_choice(s: _Static, c0: int, nb_ok: dict[int, bool], com: list[int] | None) -> list[bool]:
    """NB.2.1 for a choice of every target on the present state: the target's parent allows
    choice (NB.2.1-10) and, with a current activity, choiceExit on the way out (NB.2.1-8, a
    sibling of the current activity included). COM: the common ancestors, when known."""
    if c0 < 0:  # NB.2.1-10 only
        return s.parent_choice
    com0 = com if com is not None else _common(s, nb_ok)
    return [pc and nb_ok[c] for pc, c in zip(s.parent_choice, com0)]


def _flow_answers(e: ProcessMixin, navs: dict[str, tuple[str | None, str | None] | None],
                  term_ok: bool, shared: bool | None) -> dict[str, bool]:
    """Continue and previous: NB.2.1 (NAVS), then the shared termination's answer or their own
    sequencing request (SB.2.7 / SB.2.8) and delivery (DB.1.1)."""
    out = {}
    for req in ("continue", "previous"):
        nav = navs[req]
        if nav is None:
            out[req] = False
        elif nav[0] is not None and (not term_ok or shared is not None):
            out[req] = term_ok and bool(shared)
        else:
            out[req] = _seq_ok(e, req, None)
    return out


def _jump_answers(s: _Static, c0: int, fixed: bool | None, unavail: set[str],
                  dis: list[bool]) -> list[bool]:
    """Jump: NB.2.1 (an available leaf, a current activity), SB.2.13, DB.1.1 (DIS: root..target
    disabled); FIXED: the answer of the shared termination when it decides."""
    if c0 < 0 or fixed is False:
        return [False] * s.n
    can = s.leaf if not unavail else [lf and aid not in unavail for lf, aid in zip(s.leaf, s.ids)]
    return list(can) if fixed else [a and not d for a, d in zip(can, dis)]


@dataclass(slots=True)
class _Paths:
    """What SB.2.9 knows about the paths from the current activity (index C, -1 for none) to
    every target, by index: BLOCKED (steps 2-4), EXIT_OK / CONSTRAINED per ancestor of the
    current activity (steps 8-9), SIB_OK (step 6), the prefix counts CSF / CPA and the common
    ancestors COM."""

    c: int
    blocked: list[bool]
    exit_ok: dict[int, bool]
    constrained: dict[int, int]
    sib_ok: dict[int, bool]
    csf: list[int]
    cpa: list[int]
    com: list[int]


def _choice_pass(e: ProcessMixin, s: _Static, cur: str | None,
                 hidden: list[bool] | None) -> tuple[list[bool], list[bool], list[int]]:
    """SB.2.9 + DB.1.1 for every target on the (post-termination, dry) state: (choice ok by index,
    root..activity disabled by index, common ancestor with CUR by index). HIDDEN: SB.2.9 steps 2-3
    when already known for this state."""
    if hidden is None:
        hidden = _hidden_pass(e, s, _unavailable(e, s))
    c = -1 if cur is None else s.index[cur]
    exit_ok, constrained = _current_path(e, s, cur)
    sib_ok = _siblings(e, s, cur, c)
    csf, cpa = _prefix_counts(e, s)
    blocked = [h or not pc for h, pc in zip(hidden, s.parent_choice)]  # SB.2.9-2 / -3 / -4
    com, chk, dis = _common_and_disabled(e, s, exit_ok)
    okp = _path_answers(e, s, _Paths(c, blocked, exit_ok, constrained, sib_ok, csf, cpa, com))
    # a leaf target: DB.1.1 of root..leaf
    ok_list = [o and lf and not d for o, lf, d in zip(okp, s.leaf, dis)]
    clusters_ok = [i for i, o, lf in zip(range(s.n), okp, s.leaf) if o and not lf]
    # a cluster target: flow into it (SB.2.3 from the cluster), then DB.1.1 of the leaf it reaches
    if clusters_ok:
        _flow_into(e, s, chk, clusters_ok, dis, ok_list)
    return ok_list, dis, com


def _current_path(e: ProcessMixin, s: _Static, cur: str | None) -> tuple[dict[int, bool], dict[int, int]]:
    """SB.2.9 steps 8-9 along the current activity's path: for each ancestor A (the common
    ancestor of the current activity and a target), may the learner leave cur .. below A
    (choiceExit), and which activity constrains the choice (the deepest constrainChoice on that
    path, the current activity itself left out: FlowMixin._leave), -1 for none."""
    exit_ok: dict[int, bool] = {}
    constrained: dict[int, int] = {}
    if cur is None:
        return exit_ok, constrained
    index, nodes = s.index, e.nodes
    ok, con = True, -1
    for a in e.tree.path_to_root(cur):
        ai = index[a]
        exit_ok[ai] = ok
        constrained[ai] = con
        if not nodes[a].choice_exit:
            ok = False
        if con < 0 and a != cur and nodes[a].constrain_choice:  # not the current activity
            con = ai
    return exit_ok, constrained


def _siblings(e: ProcessMixin, s: _Static, cur: str | None, c: int) -> dict[int, bool]:
    """SB.2.9 step 6: the current activity's siblings (SB.2.4 over the activities between)."""
    sib_ok: dict[int, bool] = {}
    pc = s.par[c] if c >= 0 else -2
    if pc < 0:
        return sib_ok
    index, has_stop, rules_check = s.index, s.has_stop, e.rules_check
    sibs = e.kids(s.ids[pc])
    i0 = sibs.index(cur) if cur in sibs else 0
    fwd_only = e.nodes[s.ids[pc]].forward_only
    stops = 0
    for k, a in enumerate(sibs):
        if k >= i0 and has_stop[index[a]] and rules_check(a, "pre", STOP_FWD) is not None:
            stops += 1
        if k > i0:
            sib_ok[index[a]] = stops == 0
        elif a != cur:
            sib_ok[index[a]] = not fwd_only
    return sib_ok


def _prefix_counts(e: ProcessMixin, s: _Static) -> tuple[list[int], list[int]]:
    """Prefix counts along root..i: stopForwardTraversal activities (SB.2.4 forward, tested on
    the common ancestor .. the target's parent: csf[parent] - csf[parent of common]) and
    inactive preventActivation activities (SB.2.9-6, tested on the activities strictly between
    the common ancestor and the target: cpa[parent] - cpa[common]); all zero when the tree has
    none."""
    n = s.n
    if not (s.any_stop or s.any_prevent):
        zero = [0] * n
        return zero, zero
    ids, par, has_stop, prevent = s.ids, s.par, s.has_stop, s.prevent
    rules_check, acts = e.rules_check, e.st.acts
    csf = [0] * n
    cpa = [0] * n
    for i in range(n):
        p = par[i]
        sf, pa = (csf[p], cpa[p]) if p >= 0 else (0, 0)
        if has_stop[i] and rules_check(ids[i], "pre", STOP_FWD) is not None:
            sf += 1
        if prevent[i] and not acts[ids[i]].active:
            pa += 1
        csf[i], cpa[i] = sf, pa
    return csf, cpa


def _common_and_disabled(e: ProcessMixin, s: _Static,
                         on_path: dict[int, Any]) -> tuple[list[int], list[bool | None], list[bool]]:
    """For every activity: its common ancestor with the current activity (whose path to the root
    is ON_PATH), UP.5 check activity where evaluated, and DB.1.1: an activity of root..i is
    disabled / past its limits."""
    n, ids, par, may_disable = s.n, s.ids, s.par, s.may_disable
    check_activity, limit_exceeded = e.check_activity, e.limit_exceeded
    path = [False] * n
    for a in on_path:
        path[a] = True
    com = [0] * n
    chk: list[bool | None] = [None] * n
    dis = [False] * n
    for i in range(n):
        p = par[i]
        if p >= 0:
            ci = i if path[i] else com[p]
            if dis[p]:
                com[i] = ci
                dis[i] = True
                continue
        else:
            ci = i
        com[i] = ci
        m = may_disable[i]
        if m:
            dis[i] = chk[i] = check_activity(ids[i]) if m == 2 else limit_exceeded(ids[i])
    return com, chk, dis


def _path_answers(e: ProcessMixin, s: _Static, paths: _Paths) -> list[bool]:
    """SB.2.9 steps 2-9 for every target, by index (before the flow into a cluster and DB.1.1).
    Without stopForwardTraversal rules and preventActivation the path from the common ancestor
    A down to a target refuses nothing: the answer is A's, except for the current activity's
    siblings."""
    plain = not (s.any_stop or s.any_prevent)
    # The answer for a target whose common ancestor A with the current activity is neither the
    # target, nor the current activity, nor their parent: leave the current branch (exit_ok[A]),
    # then constrainChoice and the path A -> target; None when it depends on the target.
    general: dict[int, bool | None] = {
        a: (False if not ok else True if plain and paths.constrained[a] < 0 else None)
        for a, ok in paths.exit_ok.items()}
    blocked = paths.blocked
    if paths.c < 0 and plain:
        # no current activity and nothing on any path can refuse: every visible, available target
        return [not b for b in blocked]
    if plain and None not in general.values():
        # every target's answer is its common ancestor's, but for the current activity's siblings
        okp = [not b and general[a] for b, a in zip(blocked, paths.com)]  # type: ignore[misc]
        for i, v in paths.sib_ok.items():
            okp[i] = v and not blocked[i]
        return okp
    return _each_target(e, s, paths, general)


def _each_target(e: ProcessMixin, s: _Static, paths: _Paths, general: dict[int, bool | None]) -> list[bool]:
    """SB.2.9 steps 6-9 target by target, by where the target lies from the current activity."""
    n, par = s.n, s.par
    c, blocked, com, csf, cpa = paths.c, paths.blocked, paths.com, paths.csf, paths.cpa
    sib_ok, exit_ok = paths.sib_ok, paths.exit_ok
    pc = par[c] if c >= 0 else -2
    csf_c = (csf[par[c]] if par[c] >= 0 else 0) if c >= 0 else 0
    consider: dict[tuple[int, str], int] = {}
    okp = [False] * n
    for i in range(n):
        if blocked[i]:
            continue
        p = par[i]
        ci = com[i]
        if c < 0:  # no current activity: the path root -> target (SB.2.9 step 7)
            ok = p < 0 or (csf[p] == 0 and cpa[p] == cpa[0])
        elif ci != c and ci != i and p != pc:
            ok = general[ci]  # type: ignore[assignment]
            if ok is None:
                ok = _elsewhere(e, s, paths, consider, i)
        elif i == c:
            ok = True
        elif p == pc:
            ok = sib_ok.get(i, False)
        elif ci == c:  # the target is below the current activity
            ok = csf[p] == csf_c and cpa[p] == cpa[c]
        else:  # the target is an ancestor of the current activity
            ok = exit_ok[i]
        okp[i] = ok
    return okp


def _elsewhere(e: ProcessMixin, s: _Static, paths: _Paths, consider: dict[tuple[int, str], int],
               i: int) -> bool:
    """SB.2.9 step 9 for target I, once the current branch may be left: the constraining
    activity's bounds (SB.2.9.1 / SB.2.9.2, asked of the engine once per constraining activity
    and direction, CONSIDER), then stopForwardTraversal (SB.2.4, a forward choice) on the common
    ancestor .. the target's parent and preventActivation strictly between them."""
    par, order, end, ids, index = s.par, s.order, s.end, s.ids, s.index
    csf, cpa, c = paths.csf, paths.cpa, paths.c
    ci = paths.com[i]
    ok = True
    con = paths.constrained[ci]
    if con >= 0:
        key = (con, FWD if order[i] > order[con] else BACK)
        k = consider.get(key)
        if k is None:
            k = consider[key] = index[e.choice_flow(ids[con], key[1])]
        ok = i == k or i == con or k < i < end[k]
    if ok:
        p = par[i]
        if order[i] > order[c] and csf[p] != (csf[par[ci]] if par[ci] >= 0 else 0) or cpa[p] != cpa[ci]:
            ok = False
    return ok


def _next_after(e: ProcessMixin, s: _Static, memo: dict[int, int], x: int) -> int:
    """The Flow Tree Traversal Subprocess (SB.2.1) forward from X without considering its children
    and with no previous direction (FlowMixin.flow_tree_traversal(X, forward, False, None), dry):
    the activity after X's subtree, as an index, or -1 at the end of the tree. The same steps as
    the engine's: the end when X is the root or the last activity (FlowMixin._is_last), else X's
    next available sibling, else the same from X's parent; the answer is shared by every activity
    climbed through (MEMO). Tested against the engine on every activity of random trees."""
    ids, par, index = s.ids, s.par, s.index
    is_last, kids = e._is_last, e.kids
    path: list[int] = []
    while True:
        got = memo.get(x)
        if got is not None:
            break
        path.append(x)
        if x == 0 or is_last(ids[x]):
            got = -1
            break
        sibs = kids(ids[par[x]])
        try:
            i = sibs.index(ids[x])
        except ValueError:  # not available: FlowMixin._sibling positions it before the first
            i = -1
        if i + 1 < len(sibs):
            got = index[sibs[i + 1]]
            break
        x = par[x]
    for y in path:
        memo[y] = got
    return got


def _flow_into(e: ProcessMixin, s: _Static, chk: list[bool | None], targets: list[int],
               dis: list[bool], ok_list: list[bool]) -> None:
    """SB.2.9's flow(cluster, forward, consider children) and DB.1.1 for the cluster TARGETS:
    OK_LIST[target] = a leaf is reached and no activity of root..leaf is disabled (DIS).
    Forward flow with no previous direction is memoryless: the Flow Activity Traversal (SB.2.2)
    from X gives what it gives from the activity it moves on to (a skipped X's next activity, or a
    cluster's first child), so each activity is looked at once and every activity on a chain
    shares the result. The steps are the engine's: its rules, check activity (CHK caches it) and
    tree traversal (SB.2.1); only a cluster's first available child is read directly."""
    ids, first, acts = s.ids, s.first, e.st.acts
    known: dict[int, int] = {}
    after: dict[int, int] = {}
    for t in targets:
        x = first[t] if acts[ids[t]].order is None else _first_child(e, s, t)
        got = known.get(x)
        if got is None:
            got = _flow_from(e, s, chk, known, after, x)
        ok_list[t] = got >= 0 and not dis[got]


def _first_child(e: ProcessMixin, s: _Static, x: int) -> int:
    """SB.2.1 forward, considering children, from cluster X: its first available child
    (EngineBase.kids), or -1 on end or exception."""
    order = e.st.acts[s.ids[x]].order
    if order is None:
        return s.first[x]
    if order:
        return s.index[order[0]]
    try:
        nxt, _d, _end = e.flow_tree_traversal(s.ids[x], FWD, True, None)
    except SequencingError:
        return -1
    return -1 if nxt is None else s.index[nxt]


def _flow_from(e: ProcessMixin, s: _Static, chk: list[bool | None], known: dict[int, int],
               after: dict[int, int], x: int) -> int:
    """The Flow Activity Traversal (SB.2.2) forward from X: the leaf it delivers, as an index, or
    -1; KNOWN gets the answer for every activity of the chain followed (AFTER: _next_after's memo)."""
    ids, first, has_skip, may_disable = s.ids, s.first, s.has_skip, s.may_disable
    leaf, parent_flow, acts = s.leaf, s.parent_flow, e.st.acts
    rules_check, check_activity, limit_exceeded = e.rules_check, e.check_activity, e.limit_exceeded
    chain: list[int] = []
    while True:
        if x < 0:
            got = -1
            break
        got = known.get(x)  # type: ignore[assignment]
        if got is not None:
            break
        chain.append(x)
        if not parent_flow[x]:  # SB.2.2-1
            got = -1
            break
        if has_skip[x] and rules_check(ids[x], "pre", SKIP) is not None:
            x = _next_after(e, s, after, x)
            continue
        if may_disable[x]:  # SB.2.2-2
            bad = chk[x]
            if bad is None:
                bad = chk[x] = (check_activity if may_disable[x] == 2 else limit_exceeded)(ids[x])
            if bad:
                got = -1
                break
        if leaf[x]:
            got = x
            break
        x = first[x] if acts[ids[x]].order is None else _first_child(e, s, x)
    for y in chain:
        known[y] = got
    return got
