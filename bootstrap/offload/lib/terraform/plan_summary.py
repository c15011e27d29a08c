"""A plan as counts and resource addresses only, for places anyone may read (a public PR comment):
attribute values, the activation code among them, never leave `terraform show -json`."""

from __future__ import annotations

from typing import Any

# Terraform's plan JSON `change.actions` (internal/command/jsonplan), in the words `terraform plan` prints.
_VERBS = {
    ("create",): "add",
    ("update",): "change",
    ("delete",): "destroy",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("forget",): "forget",
}
_SIGNS = {"add": "+", "change": "~", "destroy": "-", "replace": "-/+", "forget": "."}


def changes(plan: dict[str, Any]) -> list[tuple[str, str]]:
    """(verb, address) for every resource the plan changes; no-op and data reads left out."""
    found = []
    for resource in plan.get("resource_changes", []):
        verb = _VERBS.get(tuple(resource["change"]["actions"]))
        if verb:
            found.append((verb, str(resource["address"])))
    return sorted(found, key=lambda change: change[1])


def summary(plan: dict[str, Any], title: str = "terraform plan") -> str:
    """Markdown: Terraform's own "N to add, N to change, N to destroy" line (a replacement counts as
    one add and one destroy, as Terraform counts it), then one line per changed resource address."""
    found = changes(plan)
    count = {verb: sum(1 for v, _ in found if v == verb) for verb in _SIGNS}
    totals = (
        f"{count['add'] + count['replace']} to add, {count['change']} to change, "
        f"{count['destroy'] + count['replace']} to destroy"
    )
    lines = [f"#### {title}: {totals}", ""]
    if not found:
        return "\n".join([*lines, "No resource changes."]) + "\n"
    lines += ["```diff", *(f"{_SIGNS[verb]} {address}  ({verb})" for verb, address in found), "```"]
    return "\n".join(lines) + "\n"
