"""Navigation (NB.2.1), termination (TB.2.x), attempts (UP.3, UP.4), delivery (DB.1.1, DB.2) and
selection & randomization (SR.1, SR.2) - SCORM 2004 4th Ed. SN Appendix C."""

from __future__ import annotations

from coursehost.domain.sequencing.base import EXIT_ACTIONS, POST_ACTIONS, SequencingError
from coursehost.domain.sequencing.flow import FlowMixin


class ProcessMixin(FlowMixin):
    # ------------------------------------------------------------------ NB.2.1
    def navigation_request(self, request: str, target: str | None) -> tuple[str | None, str | None]:
        """Navigation Request Process (NB.2.1): (termination request, sequencing request)."""
        cur = self.st.session.current
        if request in ("start", "resumeAll"):
            return self._nav_start(request, cur)
        if request in ("continue", "previous"):
            return self._nav_flow(request, cur)
        if request in ("forward", "backward"):
            raise SequencingError("NB.2.1-7")
        if request == "choice":
            return self._nav_choice(target, cur)
        if request == "jump":
            return self._nav_jump(target, cur)
        if request in ("exit", "abandon", "exitAll", "abandonAll", "suspendAll", "retry", "retryAll"):
            return self._nav_leave(request, cur)
        raise SequencingError("NB.2.1-13")

    def _exit_if_active(self, cur: str) -> str | None:
        """The termination request of NB.2.1 when the current activity is active: exit."""
        return "exit" if self.st.acts[cur].active else None

    def _nav_start(self, request: str, cur: str | None) -> tuple[str | None, str | None]:
        """NB.2.1 for start and resume all: no current activity (NB.2.1-1); something suspended (-3)."""
        if cur is not None:
            raise SequencingError("NB.2.1-1")
        if request == "resumeAll" and self.st.session.suspended is None:
            raise SequencingError("NB.2.1-3")
        return None, request

    def _nav_flow(self, request: str, cur: str | None) -> tuple[str | None, str | None]:
        """NB.2.1 for continue (the parent allows flow, NB.2.1-4) and previous (flow, not forwardOnly:
        NB.2.1-5, -6)."""
        nodes = self.nodes
        if cur is None:
            raise SequencingError("NB.2.1-2")
        parent = nodes[cur].parent
        if request == "continue":
            if parent is None or not nodes[parent].flow:
                raise SequencingError("NB.2.1-4")
        else:
            if parent is None:
                raise SequencingError("NB.2.1-6")
            if not nodes[parent].flow or nodes[parent].forward_only:
                raise SequencingError("NB.2.1-5")
        return self._exit_if_active(cur), request

    def _nav_choice(self, target: str | None, cur: str | None) -> tuple[str | None, str | None]:
        """NB.2.1 for choice: the target's parent allows choice (NB.2.1-10); leaving the current
        branch allows choiceExit (NB.2.1-8)."""
        nodes = self.nodes
        if target is None or target not in nodes:
            raise SequencingError("NB.2.1-11")
        parent = nodes[target].parent
        if parent is not None and not nodes[parent].choice:
            raise SequencingError("NB.2.1-10")
        if cur is None:
            return None, "choice"
        # NB.2.1 step 7.1.2: every activity from the current one up to the common ancestor
        # (exclusive) - the current activity itself included, a sibling target too
        common = self.tree.common_ancestor(cur, target)
        acts = self.st.acts
        for a in self.tree.path_to_root(cur):
            if a == common:
                break
            if acts[a].active and not nodes[a].choice_exit:
                raise SequencingError("NB.2.1-8")
        return self._exit_if_active(cur), "choice"

    def _nav_jump(self, target: str | None, cur: str | None) -> tuple[str | None, str | None]:
        """NB.2.1 for jump (4th Ed.): an available target (NB.2.1-11) and a current activity (-2)."""
        if target is None or target not in self.nodes or not self.available(target):
            raise SequencingError("NB.2.1-11")
        if cur is None:
            raise SequencingError("NB.2.1-2")
        return self._exit_if_active(cur), "jump"

    def _nav_leave(self, request: str, cur: str | None) -> tuple[str | None, str | None]:
        """NB.2.1 for the requests that end attempts: exit and abandon (of an active current
        activity, NB.2.1-12), exit all, abandon all, suspend all, retry, retry all."""
        if cur is None:
            raise SequencingError("NB.2.1-2")
        if request in ("exit", "abandon"):
            if not self.st.acts[cur].active:
                raise SequencingError("NB.2.1-12")
            return request, "exit"
        if request in ("exitAll", "abandonAll", "suspendAll"):
            return request, "exit"
        if request == "retryAll":
            return "retryAll", "retry"
        return self._exit_if_active(cur), "retry"

    # ------------------------------------------------------------------ TB.2.x
    def termination_request(self, request: str) -> str | None:
        """Termination Request Process (TB.2.3): the sequencing request that replaces the
        navigation's one, if any."""
        cur = self.st.session.current
        if cur is None:
            raise SequencingError("TB.2.3-1")
        if request in ("exit", "abandon") and not self.st.acts[cur].active:
            raise SequencingError("TB.2.3-2")
        then = "exit"
        if request == "exit":
            done, replaced = self._terminate_exit(cur)
            if done:
                return replaced
            request, then = "exitAll", replaced or "exit"
        elif request == "retryAll":
            request, then = "exitAll", "retry"
        if request == "exitAll":
            return self._terminate_all(then)
        if request == "suspendAll":
            return self._suspend_all(cur)
        if request == "abandon":
            self.st.acts[cur].active = False
            return None
        if request == "abandonAll":
            return self._abandon_all(cur)
        raise SequencingError("TB.2.3-7")

    def _terminate_exit(self, cur: str) -> tuple[bool, str | None]:
        """TB.2.3 for exit: end the attempt, exit action rules (TB.2.1), post-condition rules
        (TB.2.2) until none moves up: (done, the sequencing request) or, when a rule asks for exit
        all, (False, the sequencing request to follow it)."""
        ses, root = self.st.session, self.tree.root
        self.end_attempt(cur)
        self.exit_action_rules()
        while True:
            term, seq = self.post_condition_rules()
            if term == "exitAll":
                return False, seq
            if term == "exitParent":
                parent = self.nodes[ses.current].parent  # type: ignore[index]
                if parent is None:
                    raise SequencingError("TB.2.3-4")
                ses.current = parent
                self.end_attempt(parent)
                continue
            if ses.current == root and seq != "retry":
                return True, "exit"
            if ses.current == root:
                self._new_tree_attempt()
            return True, seq

    def _terminate_all(self, then: str) -> str:
        """TB.2.3 for exit all (retry all ends the same way, then retries): every attempt in
        the tree ends."""
        ses, acts, root = self.st.session, self.st.acts, self.tree.root
        cur = ses.current
        if acts[cur].active:  # type: ignore[index]
            self.end_attempt(cur)  # type: ignore[arg-type]
        self.terminate_descendents(root)
        self.end_attempt(root)
        # every attempt in the tree has ended: a SCO's own cmi.exit=suspend leaves nothing to
        # resume (only suspendAll suspends the session; ADL OB-03b)
        for x in self.tree.ids:
            if acts[x].suspended:
                acts[x].suspended = False
        ses.current = root
        if then == "retry":
            self._new_tree_attempt()
        return then

    def _suspend_all(self, cur: str) -> str:
        """TB.2.3 for suspend all: the current activity (or, when it has no attempt to
        suspend, its parent) and its ancestors are suspended."""
        ses, acts = self.st.session, self.st.acts
        a = acts[cur]
        if a.active or a.suspended:
            self.overall_rollup(cur)
            ses.suspended = cur
        else:
            parent = self.nodes[cur].parent
            if parent is None:
                raise SequencingError("TB.2.3-3")
            ses.suspended = parent
        for x in self.tree.path_to_root(ses.suspended):
            acts[x].active = False
            acts[x].suspended = True
        ses.current = self.tree.root
        self.log(f"TB.2.3: suspended at {ses.suspended!r}")
        return "exit"

    def _abandon_all(self, cur: str) -> str:
        """TB.2.3 for abandon all: no attempt ends; the activities are just no longer active."""
        for x in self.tree.path_to_root(cur):
            self.st.acts[x].active = False
        self.st.session.current = self.tree.root
        return "exit"

    def _new_tree_attempt(self) -> None:
        """TB.2.3 ends with a retry of the root: a new attempt on the whole activity tree. Global
        objectives scoped to this tree (adlseq:objectivesGlobalToSystem="false", CAM 5.1.1 / SN 3.10)
        start over with it; the ADL RI clears them in doTerminationRequest (ADL RU-13d)."""
        if self.tree.objectives_global_to_system:
            return
        for g in self.st.globals.values():
            for name in g.FIELDS:
                default = g.DEFAULTS[name]
                if getattr(g, name) != default:
                    setattr(g, name, default)
        self.log("TB.2.3: retry of the root: the tree's global objectives start over")

    def exit_action_rules(self) -> None:
        """Sequencing Exit Action Rules Subprocess (TB.2.1)."""
        cur = self.st.session.current
        for a in reversed(self.tree.path_to_root(cur)[1:]):
            if self.rules_check(a, "exit", EXIT_ACTIONS) is not None:
                self.log(f"TB.2.1: exit rule on {a!r}")
                self.terminate_descendents(a)
                self.end_attempt(a)
                self.st.session.current = a
                return

    def post_condition_rules(self) -> tuple[str | None, str | None]:
        """Sequencing Post Condition Rules Subprocess (TB.2.2): (termination, sequencing)."""
        cur = self.st.session.current
        if self.st.acts[cur].suspended:
            return None, None
        action = self.rules_check(cur, "post", POST_ACTIONS)
        if action is None:
            return None, None
        self.log(f"TB.2.2: post-condition rule on {cur!r}: {action}")
        if action in ("retry", "continue", "previous"):
            return None, action
        if action == "retryAll":
            return "exitAll", "retry"
        return action, None

    # ------------------------------------------------------------------ UP.3 / UP.4
    def terminate_descendents(self, aid: str) -> None:
        """Terminate Descendent Attempts Process (UP.3)."""
        cur = self.st.session.current
        if cur is None:
            return
        common = self.tree.common_ancestor(cur, aid)
        for a in self.tree.path_to_root(cur):
            if a == common:
                break
            if a != cur or self.st.acts[a].active:
                self.end_attempt(a)

    def end_attempt(self, aid: str) -> None:
        """End Attempt Process (UP.4)."""
        node, a = self.nodes[aid], self.st.acts[aid]
        if node.leaf:
            if node.tracked and not a.suspended:
                # UP.4: the LMS sets what the content did not; a status the SCO reported itself,
                # even as unknown, counts as set by the content (ADL CM-06, CM-15, RU-19a/b)
                if not node.completion_by_content and not a.attempt_progress and not a.content_completion:
                    a.attempt_progress, a.attempt_completed = True, True
                if not node.objective_by_content and not a.content_success:
                    o = self.st.objs[aid][node.objectives[0].key]
                    if not o.progress:
                        o.progress, o.satisfied = True, True
        else:
            acts = self.st.acts
            suspended = any(acts[c].suspended for c in self.kids(aid))
            if a.suspended != suspended:
                a.suspended = suspended
            if not suspended and a.active and not self.dry:
                self.select_and_randomize(aid, new_attempt=True)
        a.active = False
        self.overall_rollup(aid)

    # ------------------------------------------------------------------ DB.1.1 / DB.2
    def delivery_request(self, aid: str) -> None:
        """Delivery Request Process (DB.1.1)."""
        memo = self.memo
        if memo is not None:
            key = (aid, "DB.1.1")
            if key not in memo:
                try:
                    self._delivery_request(aid)
                    memo[key] = None
                except SequencingError as exc:
                    memo[key] = exc.code
            if memo[key] is not None:
                raise SequencingError(memo[key])
            return
        self._delivery_request(aid)

    def _delivery_request(self, aid: str) -> None:
        if not self.nodes[aid].leaf:
            raise SequencingError("DB.1.1-1")
        if self.memo is not None:
            if self._path_disabled(aid):
                raise SequencingError("DB.1.1-3")
            return
        for a in reversed(self.tree.path_to_root(aid)):
            if self.check_activity(a):
                raise SequencingError("DB.1.1-3")

    def _path_disabled(self, aid: str) -> bool:
        """DB.1.1 step 3 for root..AID, memoised per activity (look-ahead only)."""
        memo = self.memo
        key = (aid, "path-disabled")
        got = memo.get(key)  # type: ignore[union-attr]
        if got is None:
            parent = self.nodes[aid].parent
            got = (parent is not None and self._path_disabled(parent)) or self.check_activity(aid)
            memo[key] = got  # type: ignore[index]
        return got

    def content_delivery(self, aid: str) -> None:
        """Content Delivery Environment Process (DB.2)."""
        ses, acts = self.st.session, self.st.acts
        if ses.current is not None and acts[ses.current].active:
            raise SequencingError("DB.2-1")
        if aid != ses.suspended:
            self.clear_suspended(aid)
        self.terminate_descendents(aid)
        for x in reversed(self.tree.path_to_root(aid)):
            a = acts[x]
            if a.active:
                continue
            if self.nodes[x].tracked:
                if a.suspended:
                    a.suspended = False
                    a.entry = "resume"
                else:
                    self.new_attempt(x)
            else:
                a.entry = "ab-initio"
            a.active = True
        ses.current = aid
        ses.suspended = None
        ses.ended = False
        ses.started = True
        self.log(f"DB.2: deliver {aid!r} (attempt {acts[aid].attempts}, entry {acts[aid].entry})")

    def new_attempt(self, aid: str) -> None:
        """Start a new attempt: attempt count, fresh attempt progress and local objective progress;
        descendants' data is dropped on a repeat attempt when useCurrentAttempt*Info (SN 4.2.1)."""
        a = self.st.acts[aid]
        a.attempts += 1
        a.entry = "ab-initio"
        if a.content_completion or a.content_success:
            a.content_completion = a.content_success = False
        self._reset(aid, True, True)
        if a.stale_obj or a.stale_prog:
            a.stale_obj = a.stale_prog = False
        node = self.nodes[aid]
        if a.attempts > 1 and not node.leaf and (node.use_cur_obj or node.use_cur_prog):
            # useCurrentAttempt*Info: the children's data from before this attempt no longer counts
            # in rollup (SN 4.2.1; sequencing rules still see it: ADL SX-07d)
            for c in node.children:
                ca = self.st.acts[c]
                if node.use_cur_obj and not ca.stale_obj:
                    ca.stale_obj = True
                if node.use_cur_prog and not ca.stale_prog:
                    ca.stale_prog = True

    def _reset(self, aid: str, objectives: bool, progress: bool) -> None:
        a = self.st.acts[aid]
        if progress:
            if a.attempt_progress:
                a.attempt_progress, a.attempt_completed = False, False
            if a.amount_status:
                a.amount_status, a.amount = False, 0.0
            if a.attempt_duration:
                a.attempt_duration = 0.0
        if objectives:
            for o in self.st.objs[aid].values():
                if o.progress or o.measure_status or o.raw is not None or o.completion_status or o.progress_status:
                    o.progress = o.measure_status = o.completion_status = o.progress_status = False
                    o.raw = o.min = o.max = None

    def clear_suspended(self, aid: str) -> None:
        """Clear Suspended Activity Subprocess (DB.2.1)."""
        ses, acts = self.st.session, self.st.acts
        susp = ses.suspended
        if susp is None:
            return
        common = self.tree.common_ancestor(aid, susp)
        for x in self.tree.path_to_root(susp):
            if self.nodes[x].leaf or not any(acts[c].suspended for c in self.kids(x)):
                acts[x].suspended = False
            if x == common:
                break
        ses.suspended = None

    # ------------------------------------------------------------------ SR
    def select_and_randomize(self, aid: str, new_attempt: bool) -> None:
        """Select Children Process (SR.1) and Randomize Children Process (SR.2) for AID; at the
        session's first use ('once' and 'onEachNewAttempt') or when an attempt ends
        ('onEachNewAttempt', preparing the next one)."""
        node = self.nodes[aid]
        if node.leaf:
            return
        order = None
        sel = node.selection_timing if node.select_count is not None else "never"
        ran = node.randomization_timing if node.reorder else "never"
        if sel == "never" and ran == "never":
            return
        kids = list(self.kids(aid))
        if (sel == "once" and not new_attempt) or sel == "onEachNewAttempt":
            pick = sorted(self.rng.sample(range(len(node.children)), min(node.select_count, len(node.children))))
            kids = [node.children[i] for i in pick]
            order = kids
        if (ran == "once" and not new_attempt) or ran == "onEachNewAttempt":
            kids = list(kids)
            self.rng.shuffle(kids)
            order = kids
        if order is not None:
            self.st.acts[aid].order = order
            self.log(f"SR: children of {aid!r} are {order}")

    def end_session(self) -> None:
        """The sequencing session ends (OP.1): the course attempt ends unless suspended."""
        ses, root = self.st.session, self.tree.root
        if ses.current is not None and self.st.acts[root].active:
            cur = ses.current
            if self.st.acts[cur].active:
                self.end_attempt(cur)
            self.terminate_descendents(root)
            self.end_attempt(root)
        ses.current = None
        ses.ended = True
        self.log("OP.1: the sequencing session ended")
