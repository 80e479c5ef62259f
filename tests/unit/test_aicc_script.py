"""AICC script (CMI001 logic statements): reading, evaluating, block statuses and .cmp decisions;
the AICC parser's warnings for expressions it cannot read; a course's .cmp row over the rollup."""

from __future__ import annotations

import pytest

from coursehost.domain.courses.aicc_script import check, decided, element_statuses, evaluate, requirement_status
from coursehost.domain.courses.packages.parsers.aicc import find_aicc_descriptor, parse_aicc
from coursehost.domain.courses.packages.reader import PackageReader
from coursehost.domain.runtime.rollup import with_requirement
from coursehost.domain.scorm.status import Result
from tests.builders.aicc import AU, aicc_zip

STATUS = {"A1": "passed", "a2": "completed", "A3": "failed", "A4": "incomplete", "A5": "browsed", "B1": "satisfied"}


@pytest.mark.parametrize("expr, value", [
    ("A1", True), ("a1", True), ("A3", False), ("A9", False), ("~A3", True), ("~A2", False),
    ("A1 & A3", False), ("A1 | A3", True), ("A1&A2&B1", True), ("A3 | A4 & A1", False), ("(A3 | A4) | A1", True),
    # words, any case; an element may still be called NOT when nothing follows
    ("A1 AND A2", True), ("a1 and a3", False), ("A3 Or A2", True), ("NOT A3", True), ("not not A1", True),
    ("NOT (A3 OR A4)", True), ("A1 AND NOT A3", True), ("NOT", False),
    # = and <> against a status word or its letter; "not attempted" is two words
    ("A3=failed", True), ("A3 = F", True), ("A1=P", True), ("A1=C", False), ("A2=completed", True),
    ("A4=I", True), ("A5=b", True), ("A9=not attempted", True), ("A9 = N", True), ("A1<>P", False),
    ("A3<>passed & A3<>completed", True), ("B1=passed", True), ("~A3=F", False),
    # sets: at least N of the members hold
    ("2*{A1,A2,A3}", True), ("3*{A1, A2, A3}", False), ("1*{A3,A4,A5}", False), ("2*{A1, A3=F}", True),
    ("A4 | 2*{A1,A2}", True), ("0*{A3}", True),
])
def test_evaluate(expr, value):
    assert check(expr) is None
    assert evaluate(expr, STATUS) is value


@pytest.mark.parametrize("expr, problem", [
    ("*A2", "not '*'"), ("A1 AND *A2", "not '*'"), ("A1 &", "ends too early"), ("(A1", "')' expected"),
    ("A1)", "unexpected ')'"), ("|", "not '|'"), ("A1=maybe", "'maybe' is not a status"), ("A1 A2", "unexpected 'A2'"),
    ("2*{A1,A2", "'}' expected"), ("2*A1", "'{' expected"), ("A1 AND", "ends too early"), ("A1 < A2", "unexpected '<'"),
])
def test_unreadable_expressions_say_why(expr, problem):
    assert problem in check(expr)
    assert evaluate(expr, STATUS) is None


def test_empty_expression_is_no_requirement():
    assert check("") is None and check(None) is None and evaluate("  ", STATUS) is None


TREE = {"id": "C", "data": {"completion": [{"requirement": "B1", "status": "P"}]}, "children": [
    {"id": "B1", "data": {"completion": [{"requirement": "A1 = F", "status": "failed"},
                                         {"requirement": "2*{A1,A2,A3}", "status": "completed"},
                                         {"requirement": "A1", "status": "incomplete"}]},
     "children": [{"id": "A1", "href": "a1.html"}, {"id": "A2", "href": "a2.html"}, {"id": "A3", "href": "a3.html"}]},
    {"id": "A4", "href": "a4.html", "data": {"completion": [{"requirement": "A4", "status": ""}]}}]}


def test_element_statuses_first_holding_row_and_children_before_their_block():
    status = element_statuses(TREE, {"A1": "passed", "A2": "completed"})
    assert (status["B1"], status["C"]) == ("completed", "passed")  # the 2nd row of B1 is the first that holds
    assert decided(TREE, status) == {"B1": "completed", "C": "passed"}
    status = element_statuses(TREE, {"A1": "failed"})
    assert (status["B1"], status["C"]) == ("failed", "incomplete")  # C's row needs B1 done
    assert decided(TREE, status) == {"B1": "failed"}
    assert element_statuses(TREE, {"A1": "passed", "A2": "passed", "A3": "passed"})["B1"] == "completed"
    no_rows = {"id": "C", "children": TREE["children"][0]["children"]}
    assert element_statuses(no_rows, {"A1": "passed", "A2": "passed", "A3": "passed"})["C"] == "passed"
    assert element_statuses(no_rows, {"A1": "passed", "A2": "completed", "A3": "passed"})["C"] == "completed"
    assert element_statuses(no_rows, {"A1": "browsed"})["C"] == "incomplete"
    assert requirement_status(TREE["children"][1], {"A4": "passed"}) is None  # a row without a status gives none


def test_with_requirement_sets_the_courses_status_and_keeps_the_score():
    rolled = Result("INCOMPLETE", "UNKNOWN", 35.0, 0.5)
    assert with_requirement(rolled, None) == rolled
    assert with_requirement(rolled, "passed") == Result("COMPLETED", "PASSED", 35.0, 1.0)
    assert with_requirement(rolled, "completed") == Result("COMPLETED", "UNKNOWN", 35.0, 1.0)
    assert with_requirement(Result("COMPLETED", "PASSED", 90.0, 1.0), "failed") == Result("COMPLETED", "FAILED", 90.0, 1.0)
    assert with_requirement(Result("COMPLETED", "PASSED", 90.0, 1.0), "incomplete") == Result(
        "INCOMPLETE", "PASSED", 90.0, 1.0)


@pytest.fixture
def parse(tmp_path):
    readers = []

    def _parse(**kwargs):
        path = tmp_path / f"p{len(readers)}.zip"
        path.write_bytes(aicc_zip(**kwargs))
        readers.append(PackageReader(path))
        return parse_aicc(readers[-1], find_aicc_descriptor(readers[-1]))

    yield _parse
    for reader in readers:
        reader.close()


def test_parser_warns_of_unreadable_expressions_and_leaves_them_out(parse):
    course = parse(aus=[AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html")],
                   pre=[("A2", "A1 AND *A9"), ("A1", "NOT A2")],
                   cmp=[("A2", "passed", "A1 &", ""), ("A2", "maybe", "A1", ""), ("A2", "c", "2*{A1}", "")])
    a1, a2 = course.root.children
    assert a1.data["prerequisites"] == "NOT A2" and a2.data["prerequisites"] is None
    assert a2.data["completion"] == [{"status": "c", "requirement": "2*{A1}", "next_status": ""}]
    assert course.warnings == [
        "course.pre: the prerequisite 'A1 AND *A9' of 'A2' cannot be read (an element id expected, not '*'); "
        "it was ignored, so it does not hold anyone back",
        "course.cmp: the completion requirement 'A1 &' of 'A2' cannot be read (the expression ends too early); "
        "the row was ignored",
        "course.cmp: the completion requirement 'A1' of 'A2' cannot be read ('maybe' is not a status); the row was ignored",
    ]


def test_parser_gives_the_course_its_rows_by_root_or_course_id(parse):
    course = parse(course_id="SAFE-1", aus=[AU("A1", "One", "a1.html"), AU("A2", "Two", "a2.html")],
                   cmp=[("root", "passed", "A1", ""), ("safe-1", "failed", "A2=F", "")])
    assert course.warnings == []
    assert [r["requirement"] for r in course.root.data["completion"]] == ["A1", "A2=F"]
