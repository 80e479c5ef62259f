"""Benchmark: the SCORM 2004 sequencing engine on generated activity trees of 100 and 2,000
activities (aggregations with flow, rollup rules and pre-condition rules; leaves are SCOs).

One step = navigate("continue") + report(delivered SCO) + lookahead(), as the player does on every
SCO exit. p50 / p99 per step over several hundred steps, with a baseline measured in the same run:
a plain preorder walk over the same Activity tree (what any per-step tree work costs at minimum).
Target: p99 < 20 ms at 2,000 activities.
Run: .venv/bin/python bench/sequencing.py [--steps 400] [--exact]
(--exact: the look-ahead evaluates every choice / jump target on its own through the real processes,
lookahead_exact, the reference the default one-pass look-ahead is tested against; for comparison.)
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time

from coursehost.domain.courses.model import AGGREGATION, SCO, Activity
from coursehost.domain.sequencing import ActivityTree, SequencingSession
from coursehost.domain.sequencing.lookahead import lookahead_exact
from coursehost.domain.sequencing.session import FAST_LOOKAHEAD


def _rollup_rules() -> dict:
    return {"rollupRule": [
        {"childActivitySet": "atLeastPercent", "minimumPercent": 0.5,
         "rollupConditions": {"rollupCondition": [{"condition": "satisfied"}]},
         "rollupAction": {"action": "satisfied"}},
        {"childActivitySet": "all",
         "rollupConditions": {"rollupCondition": [{"condition": "completed"}]},
         "rollupAction": {"action": "completed"}},
    ]}


def _pre_rules() -> dict:
    return {"preConditionRule": [
        {"ruleConditions": {"ruleCondition": [{"condition": "satisfied"}, {"condition": "completed"}]},
         "ruleAction": {"action": "skip"}},
        {"ruleConditions": {"ruleCondition": [{"condition": "attemptLimitExceeded"}]},
         "ruleAction": {"action": "disabled"}},
    ]}


def build(total: int, branching: int = 10) -> Activity:
    """A tree of about TOTAL activities: aggregations of BRANCHING children, SCO leaves."""
    counter = iter(range(10 ** 9))

    def make(budget: int, depth: int) -> Activity:
        n = next(counter)
        if budget <= 1:
            return Activity(f"sco{n}", f"SCO {n}", SCO, href=f"sco{n}.html",
                            sequencing={"limitConditions": {"attemptLimit": 3}})
        seq = {"controlMode": {"flow": True, "choice": True}, "rollupRules": _rollup_rules(),
               "sequencingRules": _pre_rules()}
        per = budget - 1
        if per <= branching:  # a module of SCOs
            return Activity(f"agg{n}", f"Module {n}", AGGREGATION, sequencing=seq,
                            children=[make(1, depth + 1) for _ in range(per)])
        kids_n = min(branching, max(1, per // (branching + 1)))
        sizes = [per // kids_n + (1 if i < per % kids_n else 0) for i in range(kids_n)]
        return Activity(f"agg{n}", f"Module {n}", AGGREGATION, sequencing=seq,
                        children=[make(s, depth + 1) for s in sizes])

    return make(total, 0)


def _count(a: Activity) -> int:
    return 1 + sum(_count(c) for c in a.children)


def baseline_walk(root: Activity) -> int:
    n, stack = 0, [root]
    while stack:
        a = stack.pop()
        n += 1
        stack.extend(reversed(a.children))
    return n


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def run(total: int, steps: int, exact: bool = False) -> dict:
    root = build(total)
    tree = ActivityTree.from_course(root)
    rng = random.Random(42)
    session = SequencingSession(tree, rng=random.Random(1))
    session.navigate("start")
    step_ms, nav_ms, report_ms, look_ms, base_ms = [], [], [], [], []
    done = 0
    full_gc = gc.get_stats()[2]["collections"]
    while done < steps:
        cur = session.current
        t0 = time.perf_counter()
        session.report(cur, {"completion_status": "completed",
                             "success_status": "passed" if rng.random() < 0.7 else "failed",
                             "score": {"scaled": f"{rng.random():.2f}"}, "session_time": "PT1M"})
        t1 = time.perf_counter()
        r = session.navigate("continue")
        t2 = time.perf_counter()
        if exact:
            lookahead_exact(session._e)
        else:
            session.lookahead()
        t3 = time.perf_counter()
        baseline_walk(root)
        t4 = time.perf_counter()
        report_ms.append((t1 - t0) * 1e3)
        nav_ms.append((t2 - t1) * 1e3)
        look_ms.append((t3 - t2) * 1e3)
        step_ms.append((t3 - t0) * 1e3)
        base_ms.append((t4 - t3) * 1e3)
        done += 1
        if r.delivered is None:  # course over (or blocked): begin again
            session = SequencingSession(tree, rng=random.Random(done))
            session.navigate("start")
    return {"activities": _count(root), "steps": steps,
            "full_gc": gc.get_stats()[2]["collections"] - full_gc,
            "step": (statistics.median(step_ms), pct(step_ms, 99)),
            "report": (statistics.median(report_ms), pct(report_ms, 99)),
            "continue": (statistics.median(nav_ms), pct(nav_ms, 99)),
            "lookahead": (statistics.median(look_ms), pct(look_ms, 99)),
            "baseline": (statistics.median(base_ms), pct(base_ms, 99))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--sizes", default="100,2000")
    parser.add_argument("--exact", action="store_true", help="per-target look-ahead (lookahead_exact)")
    args = parser.parse_args()
    rows = [run(int(n), args.steps, args.exact) for n in args.sizes.split(",")]
    print(f"{'activities':>10} {'steps':>6} | {'step p50':>9} {'step p99':>9} | {'continue p99':>12} "
          f"{'report p99':>10} {'lookahead p50':>13} {'lookahead p99':>13} | {'baseline p50':>12} "
          f"{'baseline p99':>12} | {'ratio p50':>9} | {'full GCs':>8}")
    for r in rows:
        print(f"{r['activities']:>10} {r['steps']:>6} | {r['step'][0]:>8.2f}m {r['step'][1]:>8.2f}m | "
              f"{r['continue'][1]:>11.2f}m {r['report'][1]:>9.2f}m {r['lookahead'][0]:>12.2f}m "
              f"{r['lookahead'][1]:>12.2f}m | {r['baseline'][0]:>11.3f}m {r['baseline'][1]:>11.3f}m | "
              f"{r['step'][0] / r['baseline'][0]:>9.1f} | {r['full_gc']:>8}")
    print("(times in milliseconds; step = report + continue + lookahead; "
          "baseline = plain preorder walk of the Activity tree; ratio = step p50 / baseline p50; "
          "full GCs = generation-2 collections during the steps)"
          + ("; look-ahead: exact per-target evaluation" if args.exact else
             "; look-ahead: SequencingSession.lookahead, " + ("one pass" if FAST_LOOKAHEAD else "exact (FAST_LOOKAHEAD off)")))


if __name__ == "__main__":
    main()
