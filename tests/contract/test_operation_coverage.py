"""How much of the official API is routed, and that every routed operation has a contract test: a call
of the operation's method on an object of its official client Api class (client_calls.py, a static
read of the contract tests), not merely a same-named method on anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from coursehost.api.v2 import PREFIX, build_router
from coursehost.api.v2.operations import operation, operation_of, operation_rules
from coursehost.app import create_app
from coursehost.settings import Settings
from tests.contract.client_calls import client_calls, contract_calls
from tests.contract.official_client import official_operations

CONTRACT_DIR = Path(__file__).parent
SUMMARY: list[str] = []  # printed at the end of the run by tests/contract/conftest.py


def _our_routes(tmp_path) -> dict[str, tuple[set[str], str]]:
    """operationId -> (methods, path) of every documented /api/v2 route, read from our OpenAPI."""
    app = create_app(Settings(data_dir=tmp_path, run_worker=False))
    routes: dict[str, tuple[set[str], str]] = {}
    for path, methods in app.openapi()["paths"].items():
        if not path.startswith("/api/v2/"):
            continue
        for method, spec in methods.items():
            known = routes.get(spec["operationId"], (set(), path[len("/api/v2"):]))
            routes[spec["operationId"]] = (known[0] | {method.upper()}, known[1])
    return routes


def test_official_client_lists_161_operations():
    ops = official_operations()
    assert len(ops) == 161
    assert len({o.operation_id for o in ops}) == 161


def test_routed_operations_match_the_client_and_have_contract_tests(tmp_path):
    ops = {o.operation_id: o for o in official_operations()}
    routes = _our_routes(tmp_path)
    unknown = sorted(set(routes) - set(ops))
    assert not unknown, f"routes whose operation_id is not an official operation: {unknown}"
    called = contract_calls(CONTRACT_DIR, CONTRACT_DIR.parent, skip=Path(__file__).name)
    missing_tests = []
    for op_id, (methods, path) in sorted(routes.items()):
        op = ops[op_id]
        assert op.http_method in methods, f"{op_id}: client uses {op.http_method}, we route {methods}"
        assert path == op.path, f"{op_id}: client path {op.path}, ours {path}"
        if (op.api_class, op.method_name) not in called:
            missing_tests.append(op_id)
    SUMMARY.append(f"api v2 operations routed: {len(routes)}/{len(ops)}")
    print(SUMMARY[-1])
    assert not missing_tests, f"routed operations without a contract test: {missing_tests}"


SAMPLE = """
import rustici_software_cloud_v2 as cloud
from rustici_software_cloud_v2 import CourseApi


def dispatch_of(client):
    return cloud.DispatchApi(client)


@dataclass
class App:
    regs: cloud.RegistrationApi


def test_it(live_server, helper, client):
    helper.get_dispatch_zip("d")                      # not a client Api object
    httpx.get_course("c")                             # neither
    cloud.CourseApi(client).get_dispatch("d")         # GetDispatch is not CourseApi's
    api = cloud.DispatchApi(client)
    api.get_destination("x")
    dispatch_of(client).get_dispatches()
    CourseApi(client).get_course("c")
    App(regs=None).regs.get_registration_progress("r")
    _, xapi = pair(client)
    xapi.get_xapi_credential("c")
    other = make_other(client)
    other.delete_dispatch("d")                        # make_other returns no Api object


def pair(client):
    return "id", cloud.XapiApi(client)
"""


def test_a_call_counts_only_on_an_object_of_the_official_api_class():
    assert client_calls({"sample.py": SAMPLE}) == {
        ("CourseApi", "get_dispatch"), ("DispatchApi", "get_destination"), ("DispatchApi", "get_dispatches"),
        ("CourseApi", "get_course"), ("RegistrationApi", "get_registration_progress"),
        ("XapiApi", "get_xapi_credential")}


def test_every_route_takes_method_and_path_from_operations_tsv():
    rules = operation_rules()
    routes = [r for r in build_router().routes if isinstance(r, APIRoute) and r.include_in_schema]
    assert routes, "no API v2 routes"
    seen = set()
    for route in routes:
        rule = rules[route.operation_id]
        assert route.methods == {rule.method}, f"{route.operation_id}: {route.methods} != {rule.method}"
        assert route.path == PREFIX + rule.path, f"{route.operation_id}: {route.path} != {rule.path}"
        assert route.operation_id not in seen, f"{route.operation_id} routed twice"
        seen.add(route.operation_id)
        declared = operation_of(route.endpoint)
        if declared is not None:  # declared with @operation: the one id it names is the route's
            assert declared.rule.operation_id == route.operation_id


def test_operation_refuses_an_id_the_official_client_does_not_have():
    with pytest.raises(KeyError):
        operation("GetCoursez")
