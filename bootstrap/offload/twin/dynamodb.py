"""DynamoDB in moto: with IAM enforcement on, a request is judged on its table's ARN and with
DynamoDB's condition keys, as AWS judges it.

moto (5.x) authorizes a DynamoDB request against Resource "*" (moto/core/responses.py `call_action`:
DynamoHandler has no `_determine_resource`), so a grant on a table's ARN never matches; and its
statement conditions know only StringEquals over the values it collects (sts:ExternalId,
moto/iam/policy_conditions.py and moto/iam/utils.py), any other operator being ignored, so a
`ForAllValues:StringEquals` on dynamodb:Attributes or dynamodb:LeadingKeys would never limit one.

Here, for each table the request names, moto's own check runs on the table's (or index's) ARN (it verifies the
signature and the action), then, for a caller signing with an assumed role's key, the role's
policies are evaluated (iam.role_allows) with the context keys DynamoDB sets (DynamoDB developer
guide, "Using IAM policy conditions for fine-grained access control"):
- dynamodb:LeadingKeys: the partition key values of the items the request names (GetItem, PutItem,
  UpdateItem, DeleteItem, BatchGetItem, BatchWriteItem; for any other action the twin sets none,
  and a condition on it does not hold);
- dynamodb:Attributes: the top-level attribute names the request names: its key or item, the
  first element of each path in its expressions (through ExpressionAttributeNames), AttributesToGet,
  AttributeUpdates, Expected. A read that asks for no attributes returns them all: then none is set;
- dynamodb:ReturnValues, dynamodb:Select: as given.
A refusal, moto's or the role's conditions', is DynamoDB's: 400 AccessDeniedException.
"""

from __future__ import annotations

import re
from typing import Any

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError, JsonRESTError
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.responses import DynamoHandler

from offload.twin import iam

_SINGLE_ITEM = {"GetItem": "Key", "UpdateItem": "Key", "DeleteItem": "Key", "PutItem": "Item"}
_EXPRESSIONS = (
    "UpdateExpression",
    "ConditionExpression",
    "ProjectionExpression",
    "FilterExpression",
    "KeyConditionExpression",
)
_WORDS = {"SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN"}
# A path's first element (not after '.'), a function (before '('), or a value placeholder (':v').
_TOKEN = re.compile(r"(?P<dot>\.\s*)?(?P<name>#\w+|[A-Za-z_]\w*)(?P<call>\s*\()?|:\w+")


class AccessDenied(JsonRESTError):
    code = 400

    def __init__(self, action: str, resource: str) -> None:
        super().__init__(
            "AccessDeniedException",
            f"User is not authorized to perform: {action} on resource: {resource} "
            "because no identity-based policy allows it (offload twin: the role's conditions)",
        )


def _top_level_names(expression: str, names: dict[str, str]) -> set[str]:
    found = set()
    for token in _TOKEN.finditer(expression):
        name = token.group("name")
        if name and not token.group("dot") and not token.group("call") and name.upper() not in _WORDS:
            found.add(names.get(name, name))
    return found


def _value(attribute: dict[str, Any]) -> str:
    return str(next(iter(attribute.values())))  # {"S": "dc1-…"} -> "dc1-…"


def _context(action: str, request: dict[str, Any], items: list[dict[str, Any]], hash_key: str) -> dict[str, Any]:
    """The condition keys of one table's part of the request; `items`: the keys or items it names."""
    context: dict[str, Any] = {
        k: request[p]
        for k, p in (("dynamodb:ReturnValues", "ReturnValues"), ("dynamodb:Select", "Select"))
        if p in request
    }
    if action not in (*_SINGLE_ITEM, "BatchGetItem", "BatchWriteItem"):
        return context
    context["dynamodb:LeadingKeys"] = sorted({_value(item[hash_key]) for item in items if hash_key in item})
    names = {name for item in items for name in item}
    for field in _EXPRESSIONS:
        names |= _top_level_names(str(request.get(field, "")), request.get("ExpressionAttributeNames") or {})
    names |= set(request.get("AttributesToGet") or ()) | set(request.get("AttributeUpdates") or ())
    names |= set(request.get("Expected") or ())
    if action not in ("GetItem", "BatchGetItem") or {"ProjectionExpression", "AttributesToGet"} & set(request):
        context["dynamodb:Attributes"] = sorted(names)  # else the read returns every attribute: none is named
    return context


def _parts(action: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """(table, request, keys or items) for each table the request names."""
    if action in _SINGLE_ITEM and "TableName" in body:
        return [(body["TableName"], body, [body.get(_SINGLE_ITEM[action]) or {}])]
    if action == "BatchWriteItem":
        return [
            (
                table,
                {},
                [r.get("PutRequest", {}).get("Item") or r.get("DeleteRequest", {}).get("Key") or {} for r in writes],
            )
            for table, writes in (body.get("RequestItems") or {}).items()
        ]
    if action == "BatchGetItem":
        return [(table, ask, list(ask.get("Keys") or [])) for table, ask in (body.get("RequestItems") or {}).items()]
    return [(body["TableName"], body, [])] if "TableName" in body else []


_original_authorize = DynamoHandler._authenticate_and_authorize_normal_action


def _authorize(self: DynamoHandler, resource: str = "*") -> None:
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:  # not enforced (yet)
        _original_authorize(self, resource)
        return
    action = self._get_action()
    parts = _parts(action, self.body if isinstance(self.body, dict) else {})
    if not parts:  # about no table (ListTables...): moto's check as it is
        _original_authorize(self, resource)
        return
    backend = dynamodb_backends[self.current_account][self.region]
    access_key = (self.headers.get("Authorization") or "").partition("Credential=")[2].partition("/")[0]
    for table_name, request, items in parts:
        table = backend.tables.get(table_name)
        arn = table.table_arn if table else f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{table_name}"
        arn += f"/index/{request['IndexName']}" if "IndexName" in request else ""  # a Query or Scan of an index
        try:
            _original_authorize(self, arn)  # moto's check: signature, key, the action on the table's ARN
        except AccessDeniedError:  # moto says it as a query-protocol XML 403, which a DynamoDB client cannot parse
            raise AccessDenied(f"dynamodb:{action}", arn) from None
        context = _context(action, request, items, table.hash_key_attr if table else "")
        if iam.role_allows(access_key, f"dynamodb:{action}", arn, context) is False:
            raise AccessDenied(f"dynamodb:{action}", arn)


def install() -> None:
    DynamoHandler._authenticate_and_authorize_normal_action = _authorize  # type: ignore[method-assign,assignment]
