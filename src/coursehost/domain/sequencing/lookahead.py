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
        ids, nodes = tree.ids, tree.nodes
        n = len(ids)
        index = {aid: i for i, aid in enumerate(ids)}
        self.ids = ids
        self.n = n
        self.index = index
        self.par = [-1 if nodes[a].parent is None else index[nodes[a].parent] for a in ids]
        self.order = [nodes[a].order for a in ids]
        self.leaf = [nodes[a].leaf for a in ids]
        self.visible = [nodes[a].visible for a in ids]
        self.parent_choice = [nodes[a].parent is None or nodes[nodes[a].parent].choice for a in ids]
        self.prevent = [nodes[a].prevent_activation for a in ids]
        acts = [{r.action for r in nodes[a].pre_rules} for a in ids]
        self.has_hidden = [bool(x & HIDDEN) for x in acts]
        self.has_stop = [bool(x & STOP_FWD) for x in acts]
        self.has_skip = [bool(x & SKIP) for x in acts]
        # UP.5 (check activity) is a disabled rule or UP.1 (limit conditions): 0 neither can
        # apply, 1 only a limit condition (UP.1 alone is asked), 2 a disabled rule (UP.5 is asked)
        self.may_disable = [2 if "disabled" in acts[i] else
                            1 if nodes[a].attempt_limit is not None or nodes[a].attempt_duration_limit is not None
                            else 0 for i, a in enumerate(ids)]
        self.clusters = [a for a in ids if not nodes[a].leaf]
        self.first = [index[nodes[a].children[0]] if nodes[a].children else -1 for a in ids]
        self.parent_flow = [nodes[a].parent is None or nodes[nodes[a].parent].flow for a in ids]
        self.any_hidden = any(self.has_hidden)
        self.any_stop = any(self.has_stop)
        self.any_prevent = any(self.prevent)
        # subtree of i = indices i .. end[i]-1 (preorder)
        end = list(range(1, n + 1))
        for i in range(n - 1, 0, -1):
            p = self.par[i]
            if end[i] > end[p]:
                end[p] = end[i]
        self.end = end
        self.preorder = self._is_preorder(tree)

    def _is_preorder(self, tree: ActivityTree) -> bool:
        walk: list[str] = []
        stack = [tree.root]
        while stack:
            a = stack.pop()
            walk.append(a)
            stack.extend(reversed(tree.nodes[a].children))
        return walk == list(self.ids) and all(tree.nodes[a].order == i for i, a in enumerate(self.ids))


_STATIC: "weakref.WeakKeyDictionary[ActivityTree, _Static]" = weakref.WeakKeyDictionary()


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
    ids, n, index, par = s.ids, s.n, s.index, s.par
    nodes, acts = e.nodes, e.st.acts
    with _Sandbox(e):
        # ---- NB.2.1 and the menu, on the present state (each rule is evaluated once: no memo)
        e.memo = None
        navs = {req: _nav(e, req, None) for req in ("continue", "previous")}
        cur0 = e.st.session.current
        unavail0 = _unavailable(e, s)
        hidden0 = _hidden_pass(e, s, unavail0)
        c0 = -1 if cur0 is None else index[cur0]
        active0 = c0 >= 0 and acts[cur0].active
        # NB.2.1 choice step: leaving cur0's branch up to the common ancestor A needs every active
        # activity on cur0 .. below A to allow choiceExit. nb_ok[A] for each ancestor A of cur0.
        nb_ok: dict[int, bool] = {}
        if c0 >= 0:
            ok = True
            for a in e.tree.path_to_root(cur0):
                nb_ok[index[a]] = ok
                if acts[a].active and not nodes[a].choice_exit:
                    ok = False

        # ---- the shared termination, then dry mode (sequencing requests change nothing)
        term_ok, shared = _terminate(e)
        # the answer of every request that terminates first, when it does not depend on the target
        fixed: bool | None = (shared if term_ok else False) if active0 else None
        cur = e.st.session.current
        com: list[int] | None = None
        if fixed is None:
            e.memo = None
            seq_ok, dis, com = _choice_pass(e, s, cur, hidden0 if not active0 else None)
        navs_out = {}
        for req in ("continue", "previous"):
            nav = navs[req]
            if nav is None:
                navs_out[req] = False
            elif nav[0] is not None and (not term_ok or shared is not None):
                navs_out[req] = term_ok and bool(shared)
            else:
                navs_out[req] = _seq_ok(e, req, None)

        # ---- per target: NB.2.1 (present state), then the sequencing request's answer
        parent_choice, leaf = s.parent_choice, s.leaf
        if c0 < 0:  # NB.2.1-10 only
            nav_ok = parent_choice
        else:  # NB.2.1-10, and NB.2.1-8 (a sibling of the current activity included)
            com0 = com if com is not None and cur == cur0 else _common(s, nb_ok)
            nav_ok = [pc and nb_ok[c] for pc, c in zip(parent_choice, com0)]
        if fixed is None:
            choice_l = [a and b for a, b in zip(nav_ok, seq_ok)]
        else:
            choice_l = list(nav_ok) if fixed else [False] * n
        # jump: NB.2.1 (available, a current activity), SB.2.13, DB.1.1
        if c0 < 0 or fixed is False:
            jump_l = [False] * n
        else:
            can = leaf if not unavail0 else [lf and aid not in unavail0 for lf, aid in zip(leaf, ids)]
            jump_l = list(can) if fixed else [a and not d for a, d in zip(can, dis)]
        menu = {aid: {"enabled": ok, "hidden": h or not v}
                for aid, ok, h, v in zip(ids, choice_l, hidden0, s.visible)}
        return {"continue": navs_out["continue"], "previous": navs_out["previous"],
                "choice": dict(zip(ids, choice_l)), "jump": dict(zip(ids, jump_l)), "menu": menu}


def _choice_pass(e: ProcessMixin, s: _Static, cur: str | None,
                 hidden: list[bool] | None) -> tuple[list[bool], list[bool], list[int]]:
    """SB.2.9 + DB.1.1 for every target on the (post-termination, dry) state: (choice ok by index,
    root..activity disabled by index, common ancestor with CUR by index). HIDDEN: SB.2.9 steps 2-3
    when already known for this state."""
    ids, n, index, par, order, end = s.ids, s.n, s.index, s.par, s.order, s.end
    nodes, acts = e.nodes, e.st.acts
    rules_check, check_activity, limit_exceeded = e.rules_check, e.check_activity, e.limit_exceeded
    if hidden is None:
        hidden = _hidden_pass(e, s, _unavailable(e, s))
    has_stop, prevent, may_disable, leaf = s.has_stop, s.prevent, s.may_disable, s.leaf
    parent_choice = s.parent_choice

    # Along the current activity's path: for each ancestor A (the common ancestor of the current
    # activity and a target), may the learner leave cur .. below A (choiceExit, SB.2.9 steps 8-9),
    # and which activity constrains the choice (the deepest constrainChoice on that path, the
    # current activity itself left out: FlowMixin._leave).
    c = -1 if cur is None else index[cur]
    exit_ok: dict[int, bool] = {}
    constrained: dict[int, int] = {}
    if c >= 0:
        ok, con = True, -1
        for a in e.tree.path_to_root(cur):  # type: ignore[arg-type]
            ai = index[a]
            exit_ok[ai] = ok
            constrained[ai] = con
            if not nodes[a].choice_exit:
                ok = False
            if con < 0 and a != cur and nodes[a].constrain_choice:  # not the current activity
                con = ai
    # SB.2.9.1 / SB.2.9.2 for each constraining activity and direction, evaluated by the engine
    consider: dict[tuple[int, str], int] = {}

    def considered(con: int, direction: str) -> int:
        key = (con, direction)
        got = consider.get(key)
        if got is None:
            got = consider[key] = index[e.choice_flow(ids[con], direction)]
        return got

    # SB.2.9 step 6: the current activity's siblings (SB.2.4 over the activities between)
    sib_ok: dict[int, bool] = {}
    pc = par[c] if c >= 0 else -2
    if pc >= 0:
        sibs = e.kids(ids[pc])
        i0 = sibs.index(cur) if cur in sibs else 0
        fwd_only = nodes[ids[pc]].forward_only
        stops = 0
        for k, a in enumerate(sibs):
            if k >= i0 and has_stop[index[a]] and rules_check(a, "pre", STOP_FWD) is not None:
                stops += 1
            if k > i0:
                sib_ok[index[a]] = stops == 0
            elif a != cur:
                sib_ok[index[a]] = not fwd_only

    # Prefix counts along root..i: stopForwardTraversal activities (SB.2.4 forward, tested on the
    # common ancestor .. the target's parent: csf[parent] - csf[parent of common]) and inactive
    # preventActivation activities (SB.2.9-6, tested on the activities strictly between the common
    # ancestor and the target: cpa[parent] - cpa[common]);
    # all zero when the tree has none.
    if s.any_stop or s.any_prevent:
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
    else:
        csf = cpa = [0] * n
    csf_c = (csf[par[c]] if par[c] >= 0 else 0) if c >= 0 else 0

    # The answer for a target whose common ancestor A with the current activity is neither the
    # target, nor the current activity, nor their parent: leave the current branch (exit_ok[A]),
    # then constrainChoice and the path A -> target. Without constraining activities,
    # stopForwardTraversal rules and preventActivation that is the same for every target under A.
    plain = not (s.any_stop or s.any_prevent)
    general: dict[int, bool | None] = {
        a: (False if not ok else True if plain and constrained[a] < 0 else None) for a, ok in exit_ok.items()}
    blocked = [h or not pc_ for h, pc_ in zip(hidden, parent_choice)]  # SB.2.9-2 / -3 / -4
    on_path = [False] * n
    for a in exit_ok:
        on_path[a] = True
    com = [0] * n   # the common ancestor with the current activity
    chk: list[bool | None] = [None] * n   # UP.5 check activity, where evaluated
    dis = [False] * n  # DB.1.1: an activity of root..i is disabled / past its limits
    for i in range(n):
        p = par[i]
        if p >= 0:
            ci = i if on_path[i] else com[p]
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
    if c < 0 and plain:
        # no current activity and nothing on any path can refuse: every visible, available target
        okp = [not b for b in blocked]
    elif plain and None not in general.values():
        # every target's answer is its common ancestor's, but for the current activity's siblings
        okp = [not b and general[a] for b, a in zip(blocked, com)]  # type: ignore[misc]
        for i, v in sib_ok.items():
            okp[i] = v and not blocked[i]
    else:
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
                    ok = True
                    con = constrained[ci]
                    if con >= 0:
                        k = considered(con, FWD if order[i] > order[con] else BACK)
                        ok = i == k or i == con or k < i < end[k]
                    if ok:
                        if order[i] > order[c] and csf[p] != (csf[par[ci]] if par[ci] >= 0 else 0):
                            ok = False
                        elif cpa[p] != cpa[ci]:
                            ok = False
            elif i == c:
                ok = True
            elif p == pc:
                ok = sib_ok.get(i, False)
            elif ci == c:  # the target is below the current activity
                ok = csf[p] == csf_c and cpa[p] == cpa[c]
            else:  # the target is an ancestor of the current activity
                ok = exit_ok[i]
            okp[i] = ok
    # a leaf target: DB.1.1 of root..leaf
    ok_list = [o and lf and not d for o, lf, d in zip(okp, leaf, dis)]
    clusters_ok = [i for i, o, lf in zip(range(n), okp, leaf) if o and not lf]
    # a cluster target: flow into it (SB.2.3 from the cluster), then DB.1.1 of the leaf it reaches
    if clusters_ok:
        _flow_into(e, s, chk, clusters_ok, dis, ok_list)
    return ok_list, dis, com


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
    ids, index, par, first = s.ids, s.index, s.par, s.first
    has_skip, may_disable, leaf, parent_flow = s.has_skip, s.may_disable, s.leaf, s.parent_flow
    rules_check, check_activity, limit_exceeded = e.rules_check, e.check_activity, e.limit_exceeded
    ftt, acts = e.flow_tree_traversal, e.st.acts
    known: dict[int, int] = {}
    after: dict[int, int] = {}

    def first_child(x: int) -> int:
        """SB.2.1 forward, considering children, from cluster X: its first available child
        (EngineBase.kids), or -1 on end or exception."""
        order = acts[ids[x]].order
        if order is None:
            return first[x]
        if order:
            return index[order[0]]
        try:
            nxt, _d, _end = ftt(ids[x], FWD, True, None)
        except SequencingError:
            return -1
        return -1 if nxt is None else index[nxt]

    for t in targets:
        order = acts[ids[t]].order
        x = first[t] if order is None else first_child(t)
        got = known.get(x)
        if got is not None:
            ok_list[t] = got >= 0 and not dis[got]
            continue
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
            order = acts[ids[x]].order
            x = first[x] if order is None else first_child(x)
        for y in chain:
            known[y] = got
        ok_list[t] = got >= 0 and not dis[got]
