"""Sequencing request processes (SCORM 2004 4th Ed. SN Appendix C, SB.2.x): flow, choice,
start, resume all, continue, previous, retry, exit, jump."""

from __future__ import annotations

from coursehost.domain.sequencing.base import BACK, FWD, HIDDEN, SKIP, STOP_FWD, SequencingError
from coursehost.domain.sequencing.rollup import RollupMixin

# (delivery request, end sequencing session)
SeqResult = tuple[str | None, bool]


class FlowMixin(RollupMixin):
    # ------------------------------------------------------------------ tree walking
    def _is_last(self, aid: str) -> bool:
        """AID is the last activity of a forward preorder traversal of the available tree."""
        if self.kids(aid):
            return False
        while True:
            parent = self.nodes[aid].parent
            if parent is None:
                return True
            if self.kids(parent)[-1] != aid:
                return False
            aid = parent

    def _sibling(self, aid: str, step: int) -> tuple[list[str], int]:
        sibs = self.kids(self.nodes[aid].parent)  # type: ignore[arg-type]
        try:
            return sibs, sibs.index(aid)
        except ValueError:  # not among the available children: position by definition order
            return sibs, -1 if step > 0 else len(sibs)

    def flow_tree_traversal(self, aid: str, direction: str, consider_children: bool,
                            prev_dir: str | None) -> tuple[str | None, str | None, bool]:
        """Flow Tree Traversal Subprocess (SB.2.1): (next activity, direction, end session)."""
        reversed_ = False
        node = self.nodes[aid]
        # SB.2.1 step 2: a backward traversal that reached the last child turns back from the first
        if prev_dir == BACK and node.parent is not None and self.kids(node.parent)[-1] == aid:
            direction, reversed_ = BACK, True
            aid = self.kids(node.parent)[0]
        if direction == FWD:
            return self._traverse_forward(aid, consider_children)
        return self._traverse_backward(aid, consider_children, reversed_)

    def _traverse_forward(self, aid: str, consider_children: bool) -> tuple[str | None, str | None, bool]:
        """SB.2.1 step 3: forward (the end of the tree ends the session)."""
        node = self.nodes[aid]
        if (aid == self.tree.root and not consider_children) or self._is_last(aid):
            if not self.dry:
                self.terminate_descendents(self.tree.root)
            return None, None, True
        if node.leaf or not consider_children:
            sibs, i = self._sibling(aid, 1)
            if i + 1 >= len(sibs):
                return self.flow_tree_traversal(node.parent, FWD, False, None)  # type: ignore[arg-type]
            return sibs[i + 1], FWD, False
        kids = self.kids(aid)
        if kids:
            return kids[0], FWD, False
        raise SequencingError("SB.2.1-2")

    def _traverse_backward(self, aid: str, consider_children: bool,
                           reversed_: bool) -> tuple[str | None, str | None, bool]:
        """SB.2.1 step 4: backward (forwardOnly refuses it, unless the direction was just reversed)."""
        node = self.nodes[aid]
        if node.parent is None:
            raise SequencingError("SB.2.1-3")
        if node.leaf or not consider_children:
            if not reversed_ and self.nodes[node.parent].forward_only:
                raise SequencingError("SB.2.1-4")
            sibs, i = self._sibling(aid, -1)
            if i <= 0:
                return self.flow_tree_traversal(node.parent, BACK, False, None)
            return sibs[i - 1], BACK, False
        kids = self.kids(aid)
        if kids:
            return (kids[0], FWD, False) if node.forward_only else (kids[-1], BACK, False)
        raise SequencingError("SB.2.1-2")

    def flow_activity_traversal(self, aid: str, direction: str, prev_dir: str | None) -> SeqResult:
        """Flow Activity Traversal Subprocess (SB.2.2), iterative: (deliverable leaf, end session)."""
        memo = self.memo
        if memo is None:
            return self._flow_activity_traversal(aid, direction, prev_dir)
        key = (aid, direction, prev_dir, "SB.2.2")
        got = memo.get(key)
        if got is None:
            try:
                got = memo[key] = self._flow_activity_traversal(aid, direction, prev_dir)
            except SequencingError as exc:
                got = memo[key] = exc
        if isinstance(got, SequencingError):
            raise SequencingError(got.code)
        return got

    def _flow_activity_traversal(self, aid: str, direction: str, prev_dir: str | None) -> SeqResult:
        while True:
            parent = self.nodes[aid].parent
            if parent is not None and not self.nodes[parent].flow:
                raise SequencingError("SB.2.2-1")
            if self.rules_check(aid, "pre", SKIP) is not None:
                self.log(f"UP.2: skip rule on {aid!r}")
                nxt, ndir, end = self.flow_tree_traversal(aid, direction, False, prev_dir)
                if nxt is None:
                    return None, end
                if prev_dir == BACK and ndir == BACK:
                    aid, direction, prev_dir = nxt, BACK, None
                else:
                    aid = nxt
                continue
            if self.check_activity(aid):
                raise SequencingError("SB.2.2-2")
            if self.nodes[aid].leaf:
                return aid, False
            nxt, ndir, end = self.flow_tree_traversal(aid, direction, True, None)
            if nxt is None:
                return None, end
            if direction == BACK and ndir == FWD:
                aid, direction, prev_dir = nxt, FWD, BACK
            else:
                return self.flow_activity_traversal(nxt, direction, None)

    def flow(self, aid: str, direction: str, consider_children: bool) -> SeqResult:
        """Flow Subprocess (SB.2.3)."""
        nxt, _ndir, end = self.flow_tree_traversal(aid, direction, consider_children, None)
        if nxt is None:
            return None, end
        return self.flow_activity_traversal(nxt, direction, None)

    def choice_activity_traversal(self, aid: str, direction: str) -> None:
        """Choice Activity Traversal Subprocess (SB.2.4); raises when the activity blocks it."""
        if direction == FWD:
            if self.rules_check(aid, "pre", STOP_FWD) is not None:
                raise SequencingError("SB.2.4-1")
            return
        parent = self.nodes[aid].parent
        if parent is None:
            raise SequencingError("SB.2.4-3")
        if self.nodes[parent].forward_only:
            raise SequencingError("SB.2.4-2")

    def choice_flow(self, aid: str, direction: str) -> str:
        """Choice Flow Subprocess (SB.2.9.1) with its tree traversal (SB.2.9.2)."""
        cur = aid
        while True:
            node = self.nodes[cur]
            if node.parent is None or (direction == FWD and self._is_last(cur)):
                return aid
            sibs, i = self._sibling(cur, 1 if direction == FWD else -1)
            if direction == FWD and i + 1 < len(sibs):
                return sibs[i + 1]
            if direction == BACK and i > 0:
                return sibs[i - 1]
            cur = node.parent
            if cur == self.tree.root:
                return aid

    # ------------------------------------------------------------------ SB.2.x requests
    def sequencing_request(self, request: str, target: str | None) -> SeqResult:
        """Sequencing Request Process (SB.2.12)."""
        if request == "start":
            return self.start_request()
        if request == "resumeAll":
            return self.resume_all_request()
        if request in ("continue", "previous"):
            return self.continue_previous_request(request)
        if request == "exit":
            return self.exit_request()
        if request == "retry":
            return self.retry_request()
        if request == "choice":
            return self.choice_request(target)
        if request == "jump":
            return self.jump_request(target)
        raise SequencingError("SB.2.12-1")

    def start_request(self) -> SeqResult:
        """Start Sequencing Request Process (SB.2.5)."""
        if self.st.session.current is not None:
            raise SequencingError("SB.2.5-1")
        root = self.tree.root
        if self.nodes[root].leaf:
            return root, False
        return self.flow(root, FWD, True)

    def resume_all_request(self) -> SeqResult:
        """Resume All Sequencing Request Process (SB.2.6)."""
        if self.st.session.current is not None:
            raise SequencingError("SB.2.6-1")
        if self.st.session.suspended is None:
            raise SequencingError("SB.2.6-2")
        return self.st.session.suspended, False

    def continue_previous_request(self, request: str) -> SeqResult:
        """Continue (SB.2.7) and Previous (SB.2.8) Sequencing Request Processes."""
        cur = self.st.session.current
        code = "SB.2.7" if request == "continue" else "SB.2.8"
        if cur is None:
            raise SequencingError(f"{code}-1")
        parent = self.nodes[cur].parent
        if parent is not None and not self.nodes[parent].flow:
            raise SequencingError(f"{code}-2")
        return self.flow(cur, FWD if request == "continue" else BACK, False)

    def exit_request(self) -> SeqResult:
        """Exit Sequencing Request Process (SB.2.11)."""
        cur = self.st.session.current
        if cur is None:
            raise SequencingError("SB.2.11-1")
        if self.st.acts[cur].active:
            raise SequencingError("SB.2.11-2")
        return None, cur == self.tree.root

    def retry_request(self) -> SeqResult:
        """Retry Sequencing Request Process (SB.2.10)."""
        cur = self.st.session.current
        if cur is None:
            raise SequencingError("SB.2.10-1")
        a = self.st.acts[cur]
        if a.active or a.suspended:
            raise SequencingError("SB.2.10-2")
        if self.nodes[cur].leaf:
            return cur, False
        got, end = self.flow(cur, FWD, True)
        if got is None:
            raise SequencingError("SB.2.10-3")
        return got, end

    def jump_request(self, target: str | None) -> SeqResult:
        """Jump Sequencing Request Process (SB.2.13)."""
        if self.st.session.current is None:
            raise SequencingError("SB.2.13-1")
        return target, False

    def hidden_from_choice(self, aid: str) -> bool:
        return self.rules_check(aid, "pre", HIDDEN) is not None

    def _memo(self, key: tuple, compute):  # type: ignore[no-untyped-def]
        memo = self.memo
        if memo is None:
            return compute()
        if key in memo:
            return memo[key]
        got = memo[key] = compute()
        return got

    def _path_hidden(self, aid: str) -> bool:
        """SB.2.9 step 3 for the path root..AID: hidden from choice (or not available) on the way."""
        def compute() -> bool:
            parent = self.nodes[aid].parent
            if parent is not None and (not self.available(aid) or self._path_hidden(parent)):
                return True
            return self.hidden_from_choice(aid)
        return self._memo((aid, "hidden-path"), compute)

    def choice_request(self, target: str | None) -> SeqResult:
        """Choice Sequencing Request Process (SB.2.9)."""
        target = self._choice_target(target)
        cur = self.st.session.current
        common = self.tree.root if cur is None else self.tree.common_ancestor(cur, target)
        code = self._choice_path(cur, common, target)
        if code is not None:
            raise SequencingError(code)
        return self._choice_flow_into(common, target)

    def _choice_target(self, target: str | None) -> str:
        """SB.2.9 steps 1-4: the target exists, is available, not hidden from choice (itself or an
        ancestor), and its parent allows choice; the target."""
        nodes = self.nodes
        if target is None or target not in nodes:
            raise SequencingError("SB.2.9-1")
        tnode = nodes[target]
        if tnode.parent is not None and not self.available(target):
            raise SequencingError("SB.2.9-2")
        if self._path_hidden(target):
            raise SequencingError("SB.2.9-3")
        if tnode.parent is not None and not nodes[tnode.parent].choice:
            raise SequencingError("SB.2.9-4")
        return target

    def _choice_path(self, cur: str | None, common: str, target: str) -> str | None:
        """SB.2.9 steps 5-9, by where the target lies from the current activity: the exception
        code, or None."""
        nodes = self.nodes
        if cur is None:  # step 7 from the root
            return self._choice_down(common, target, FWD)
        if cur == target:
            return None
        if nodes[cur].parent == nodes[target].parent:  # step 6: a sibling
            self._choice_siblings(cur, target)
            return None
        if cur == common:  # step 7: below the current activity
            return self._choice_down(common, target, FWD)
        if target == common:  # step 8: an ancestor of the current activity
            return self._memo((common, "choice-exit"), lambda: self._choice_exit(cur, common))
        return self._choice_elsewhere(cur, common, target)

    def _choice_siblings(self, cur: str, target: str) -> None:
        """SB.2.9 step 6: Choice Activity Traversal (SB.2.4) over the siblings from the current
        activity to the target."""
        sibs = self.kids(self.nodes[target].parent)  # type: ignore[arg-type]
        i, k = sibs.index(cur) if cur in sibs else 0, sibs.index(target)
        direction = FWD if k > i else BACK
        between = sibs[i:k + 1] if k > i else sibs[k:i + 1][::-1]
        for a in between:
            self.choice_activity_traversal(a, direction)

    def _choice_elsewhere(self, cur: str, common: str, target: str) -> str | None:
        """SB.2.9 step 9: leave the current branch up to the common ancestor (choiceExit, the
        constraining activity's SB.2.9.1 bounds), then the path down to the target."""
        nodes, tree = self.nodes, self.tree
        code, constrained = self._memo((common, "leave"), lambda: self._leave(cur, common))
        if code is not None:
            return code
        tnode = nodes[target]
        if constrained is not None:
            direction = FWD if tnode.order > nodes[constrained].order else BACK
            consider = self._memo((constrained, direction, "choice-flow"),
                                  lambda: self.choice_flow(constrained, direction))
            if target != consider and target != constrained and not tree.is_descendant(target, consider):
                return "SB.2.9-8"
        return self._choice_down(common, target, FWD if tnode.order > nodes[cur].order else BACK)

    def _choice_flow_into(self, common: str, target: str) -> SeqResult:
        """SB.2.9, last steps: a leaf target is delivered; a cluster is flowed into (SB.2.3), and
        when that finds nothing the choice fails (SB.2.9-9)."""
        if self.nodes[target].leaf:
            return target, False
        try:
            got, end = self._memo((target, "flow-into"), lambda: self.flow(target, FWD, True))
        except SequencingError:
            got, end = None, False
        if got is None:
            if not self.dry:
                self.terminate_descendents(common)
                self.end_attempt(common)
                self.st.session.current = target
            raise SequencingError("SB.2.9-9")
        return got, end

    def _choice_exit(self, cur: str, common: str) -> str | None:
        for a in self.tree.path_to_root(cur):
            if a == common:
                break
            if not self.nodes[a].choice_exit:
                return "SB.2.9-7"
        return None

    def _leave(self, cur: str, common: str) -> tuple[str | None, str | None]:
        """SB.2.9 step 9: leaving the current branch (choiceExit; the constraining activity). The
        constraining activity is looked for among the current activity's ancestors: constrainChoice
        on the (leaf) current activity itself does not restrict where the learner may go from it
        (the ADL RI's choice case #5 walks from the current activity's parent; ADL CM-07d
        chooses activity_15 from a constrainChoice leaf whose next sibling is activity_14)."""
        constrained = None
        for a in self.tree.path_to_root(cur):
            if a == common:
                break
            if not self.nodes[a].choice_exit:
                return "SB.2.9-7", None
            if constrained is None and a != cur and self.nodes[a].constrain_choice:
                constrained = a
        return None, constrained

    def _choice_down(self, common: str, target: str, direction: str, is_target: bool = True) -> str | None:
        """SB.2.9 steps 7/9: the path common ancestor -> TARGET: choice activity traversal (forward)
        and preventActivation; the exception code, or None. Both are tested on the activities from
        the common ancestor down to the target's parent, not on the target itself (the activity
        path excludes the target; the ADL RI's cases #3 and #5 walk from the target's parent:
        ADL CM-17b chooses a preventActivation cluster, ADL CM-07e a stopForwardTraversal one)."""
        def compute() -> str | None:
            if target != common:
                code = self._choice_down(common, self.nodes[target].parent, direction, False)  # type: ignore[arg-type]
                if code is not None:
                    return code
            if direction == FWD and not is_target:
                try:
                    self.choice_activity_traversal(target, FWD)
                except SequencingError as exc:
                    return exc.code
            if (not is_target and target != common and not self.st.acts[target].active
                    and self.nodes[target].prevent_activation):
                return "SB.2.9-6"
            return None
        return self._memo((common, target, direction, is_target, "down"), compute)
