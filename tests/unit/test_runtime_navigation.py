"""SCORM 1.2 / AICC navigation over the launchable items: aicc_script prerequisites and flow / choice."""

from __future__ import annotations

import pytest

from coursehost.domain.runtime.navigation import decide, launch_href, prerequisites_met

DONE = {"a": "satisfied", "b": "attempted"}


@pytest.mark.parametrize("expr, met", [
    (None, True), ("  ", True), ("a", True), ("b", False), ("~b", True), ("a&b", False), ("a|b", True),
    ("~(a&b)", True), ("(a|b)&~a", False), ("a & (b | c)", False),
    ("a&", True), ("(a", True), ("a)", True), ("|", True),  # unreadable: never lock a learner out
])
def test_prerequisites(expr, met):
    assert prerequisites_met(expr, DONE) is met


ITEMS = [{"id": "a"}, {"id": "b", "prerequisites": "a"}, {"id": "c", "prerequisites": "x"}, {"id": "d"}]


def test_start_delivers_start_at_else_the_first_unfinished_available_item():
    assert decide(ITEMS, {}, request="start", current=None, start_at="d").activity_id == "d"
    assert decide(ITEMS, {}, request="start", current=None, start_at="c").activity_id == "a"
    assert decide(ITEMS, {"a": "satisfied"}, request="start", current=None).activity_id == "b"
    every = {i["id"]: "satisfied" for i in ITEMS}
    assert decide(ITEMS, every, request="start", current=None).activity_id == "a"
    assert decide([], {}, request="start", current=None).activity_id is None


def test_flow_skips_items_whose_prerequisites_are_not_met():
    assert decide(ITEMS, {}, request="continue", current="a").activity_id == "d"
    assert decide(ITEMS, {"a": "satisfied"}, request="continue", current="a").activity_id == "b"
    assert decide(ITEMS, {}, request="previous", current="d").activity_id == "a"
    assert decide(ITEMS, {}, request="previous", current="a").activity_id == "a"
    last = decide(ITEMS, {}, request="continue", current="d")
    assert last.activity_id is None and "exit" in last.message


def test_choice_and_other_requests():
    assert decide(ITEMS, {}, request="choice", current="a", target="d").activity_id == "d"
    assert decide(ITEMS, {}, request="choice", current="a", target="c").activity_id == "a"
    assert decide(ITEMS, {}, request="choice", current="a", target="zz").activity_id == "a"
    assert decide(ITEMS, {}, request="exitAll", current="a").activity_id is None


@pytest.mark.parametrize("href, params, out", [
    ("x.html", None, "x.html"), ("x.html", "a=1", "x.html?a=1"), ("x.html?b=2", "a=1", "x.html?b=2&a=1"),
    ("x.html?b=2", "?a=1", "x.html?b=2&a=1"), ("x.html", "#p2", "x.html#p2"),
])
def test_launch_href(href, params, out):
    assert launch_href({"href": href, "parameters": params}) == out


AICC_TREE = {"id": "C", "children": [
    {"id": "B1", "data": {"prerequisites": "A0"}, "children": [
        {"id": "A1", "href": "a1.html", "data": {}},
        {"id": "A2", "href": "a2.html", "data": {"prerequisites": "a1"}}]},
    {"id": "A3", "href": "a3.html", "data": {"prerequisites": "B1 | J9",
                                               "completion": [{"requirement": "A1", "status": "completed"}]}},
    {"id": "A0", "href": "a0.html", "data": {}}]}


def test_block_prerequisites_apply_to_their_aus_and_ids_are_case_insensitive():
    from coursehost.domain.runtime.navigation import leaves, toc

    items = leaves(AICC_TREE)
    assert [(i["id"], i["prerequisites"]) for i in items] == [
        ("A1", "A0"), ("A2", "(A0) & (a1)"), ("A3", "B1 | J9"), ("A0", None)]
    available = {e["id"]: e["available"] for e in toc(items, {"A0": "satisfied", "A1": "satisfied"})}
    assert available == {"A1": True, "A2": True, "A3": False, "A0": True}


def test_element_statuses_blocks_objectives_and_completion_requirements():
    from coursehost.domain.runtime.navigation import element_statuses

    status = element_statuses(AICC_TREE, {"A1": "satisfied", "A2": "attempted"})
    assert (status["B1"], status["A3"], status["C"]) == ("incomplete", "completed", "incomplete")  # A3 by its .cmp row
    status = element_statuses(AICC_TREE, {"A1": "satisfied", "A2": "satisfied", "J9": "satisfied"})
    assert status["B1"] == "completed" and prerequisites_met("B1 & J9", status)
    assert element_statuses(AICC_TREE, {"A1": "passed", "A2": "passed"})["B1"] == "passed"
    assert element_statuses(AICC_TREE, {})["B1"] == "not attempted"


def test_status_words_in_the_outline_and_a_failed_item_is_not_done():
    from coursehost.domain.runtime.navigation import toc

    items = [{"id": "a", "title": "A", "visible": True}, {"id": "b", "title": "B", "visible": True,
                                                         "prerequisites": "a AND NOT c=F"}]
    assert [(e["status"], e["available"]) for e in toc(items, {"a": "failed"})] == [
        ("attempted", True), ("not attempted", False)]
    assert [(e["status"], e["available"]) for e in toc(items, {"a": "passed", "c": "browsed"})] == [
        ("satisfied", True), ("not attempted", True)]
    assert decide(items, {"a": "failed", "b": "completed"}, request="start", current=None).activity_id == "a"


def test_scorm12_manifest_prerequisites_are_read_from_their_value():
    from coursehost.domain.runtime.navigation import leaves

    tree = {"id": "org", "children": [
        {"id": "s1", "href": "1.html", "data": {}},
        {"id": "s2", "href": "2.html", "data": {"prerequisites": {"value": "s1", "type": "aicc_script"}}}]}
    assert [i["prerequisites"] for i in leaves(tree)] == [None, "s1"]
