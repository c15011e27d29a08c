"""Task placement constraints and GPUs, as ECS applies them to EXTERNAL instances.

A `memberOf` constraint is an ECS cluster query language expression. The twin understands the
part offload uses: clauses `attribute:NAME == VALUE`, `attribute:NAME != VALUE` and
`attribute:NAME in [A, B]`, joined by `and`. Anything else is refused as invalid, so a test
never passes on an expression the twin merely ignored. GPUs: an instance registered with
`--enable-gpu` reports a GPU resource (a set of device ids); a task asking for N GPUs needs an
instance with N.
"""

from __future__ import annotations

import re
from typing import Any

from moto.ecs.exceptions import InvalidParameterException

_CLAUSE = re.compile(r"attribute:([\w.:-]+)\s*(==|!=|in)\s*(\[[^\]]*\]|[\w.:/-]+)")
MEMBER_OF_UNMET = "MemberOf placement constraint unsatisfied."


def _clauses(expression: str) -> list[tuple[str, str, set[str]]]:
    parsed = []
    for part in re.split(r"\s+and\s+", expression.strip()):
        found = _CLAUSE.fullmatch(part.strip())
        if not found:
            raise InvalidParameterException(
                f"the twin's placement understands attribute:NAME ==, != or in [...] joined by 'and', not {part!r}"
            )
        name, operator, value = found.groups()
        values = {v.strip() for v in value.strip("[]").split(",")} if operator == "in" else {value}
        parsed.append((name, operator, values))
    return parsed


def matches(expression: str, attributes: dict[str, str]) -> bool:
    """Whether an instance with these attributes satisfies the memberOf expression."""
    for name, operator, values in _clauses(expression):
        present = attributes.get(name)
        if (operator == "!=") == (present in values):
            return False
    return True


def member_of(constraints: list[dict[str, Any]]) -> list[str]:
    """The memberOf expressions among RunTask's (and the task definition's) placement constraints."""
    expressions = []
    for constraint in constraints:
        if constraint.get("type") == "memberOf":
            expressions.append(str(constraint.get("expression", "")))
        elif constraint.get("type") != "distinctInstance":
            raise InvalidParameterException(f"unknown placement constraint type {constraint.get('type')!r}")
    for expression in expressions:
        _clauses(expression)  # invalid ones fail the call, as ECS does
    return expressions


def gpus_needed(definition: Any) -> int:
    return sum(
        int(r.get("value", 0))
        for c in definition.container_definitions
        for r in c.get("resourceRequirements") or []
        if r.get("type") == "GPU"
    )


def gpus_of(instance: Any) -> int:
    return next((len(r.get("stringSetValue") or []) for r in instance.registered_resources if r["name"] == "GPU"), 0)
