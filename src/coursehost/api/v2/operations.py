"""The 161 official operations (operations.tsv, from the official client) with the scope and the
kind of application each needs. Routes take their auth from here, so the rules live in one table."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from coursehost.api.v2.schemas.auth import AppKind

_RESOURCE = {
    "AboutApi": "about", "PingApi": "ping", "ApplicationManagementApi": "appmgmt",
    "ContentConnectorsApi": "course", "CourseApi": "course", "DispatchApi": "dispatch",
    "InvitationsApi": "invitation", "LearnerApi": "learner", "RegistrationApi": "registration",
    "ReportingApi": "reporting",
}
_ACTION = {"GET": "read", "HEAD": "read", "POST": "write", "PUT": "write", "DELETE": "delete"}
# Where the method does not say what the operation does (scorm-cloud-behaviour.md "Auth").
_SCOPE_OVERRIDES = {
    "GetAppToken": None,
    "CreateToken": None,
    "BuildRegistrationLaunchLink": "read:registration",
    "BuildCoursePreviewLaunchLink": "read:course",
    "BuildCoursePreviewLaunchLinkWithVersion": "read:course",
    "DeleteAllLearnerData": "delete:learner",
}
_KIND_OVERRIDES = {
    "GetAppToken": AppKind.ANY,
    "CreateToken": AppKind.ANY,
    "GetApplicationConfiguration": AppKind.NORMAL,
    "SetApplicationConfiguration": AppKind.NORMAL,
    "DeleteApplicationConfigurationSetting": AppKind.NORMAL,
}


@dataclass(frozen=True)
class OperationRule:
    operation_id: str
    api_class: str
    method: str
    path: str
    scope: str | None
    kind: AppKind


def _scope(api_class: str, operation_id: str, method: str, path: str) -> str | None:
    if operation_id in _SCOPE_OVERRIDES:
        return _SCOPE_OVERRIDES[operation_id]
    if api_class == "XapiApi":
        resource = "xapipipe" if path.startswith("/xapi/statementPipes") else "xapicredential"
    else:
        resource = _RESOURCE[api_class]
    if resource in ("about", "ping", "reporting"):
        return f"read:{resource}"
    return f"{_ACTION[method]}:{resource}"


@lru_cache(maxsize=1)
def operation_rules() -> dict[str, OperationRule]:
    """operation id -> its rule, for all official operations."""
    rules = {}
    with open(Path(__file__).with_name("operations.tsv"), newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            op_id, method, path, api_class = row["operation"], row["method"], row["path"], row["client_api_class"]
            default_kind = AppKind.MANAGEMENT if path.startswith("/appManagement") else AppKind.NORMAL
            rules[op_id] = OperationRule(
                op_id, api_class, method, path, _scope(api_class, op_id, method, path),
                _KIND_OVERRIDES.get(op_id, default_kind),
            )
    return rules


def op(operation_id: str):
    """The auth dependency for OPERATION_ID: 401 without credentials, 403 for the wrong app or scope."""
    from coursehost.api.v2.schemas.auth import require

    rule = operation_rules()[operation_id]
    return require(rule.scope, rule.kind)
