"""Look-ahead (adl.nav.request_valid.*, RTE 4.4.3; the table of contents): for each request, would
the Overall Sequencing Process (OP.1) succeed now? Runs NB.2.1 on the present state, then the
shared termination (TB.2.3 exit of the current activity) under the undo journal, then each
sequencing request (SB.2.x) and delivery check (DB.1.1) in dry mode, and rolls everything back."""

from __future__ import annotations

from typing import Any

from coursehost.domain.sequencing.base import SequencingError
from coursehost.domain.sequencing.process import ProcessMixin


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


def lookahead(e: ProcessMixin) -> dict[str, Any]:
    """Side-effect-free answers for continue, previous, every choice and jump target, and the menu."""
    st, tree = e.st, e.tree
    j = st.journal
    mark, was_on = j.mark(), j.on
    rng_state = e.rng.getstate()
    saved_logs, e.logs = e.logs, None
    j.on = True
    try:
        e.memo = {}
        ids = tree.ids
        navs = {req: _nav(e, req, None) for req in ("continue", "previous")}
        choice_nav = {aid: _nav(e, "choice", aid) for aid in ids}
        jump_nav = {aid: _nav(e, "jump", aid) for aid in ids}
        menu = _menu(e)
        e.memo = None
        cur = st.session.current
        replaced: str | None = None
        term_ok = True
        if cur is not None and st.acts[cur].active:
            try:
                replaced = e.termination_request("exit")
            except SequencingError:
                term_ok = False
        e.dry = True
        e.memo = {}
        shared: bool | None = None
        if replaced is not None and term_ok:
            shared = _seq_ok(e, replaced, None)

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
    finally:
        e.dry = False
        e.memo = None
        j.rollback(mark)
        j.on = was_on
        e.rng.setstate(rng_state)
        e.logs = saved_logs


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
