"""SSM hybrid activations and managed instances (moto raises NotImplemented for them).

Public APIs: CreateActivation, DescribeActivations, DeleteActivation,
DescribeInstanceInformation, DeregisterManagedInstance. Agent APIs, as the SSM
agent calls them while joining: RegisterManagedInstance (consumes one
registration of the activation) and UpdateInstanceInformation (the heartbeat).
"""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.iam.models import iam_backends
from moto.ssm.models import ssm_backends
from moto.ssm.responses import SimpleSystemManagerResponse

from offload.twin.state import shim_state

MAX_EXPIRY_SECONDS = 30 * 86400
DEFAULT_EXPIRY_SECONDS = 86400
PING_TIMEOUT_SECONDS = float(os.environ.get("OFFLOAD_TWIN_PING_TIMEOUT", "300"))


def _backend(response: SimpleSystemManagerResponse) -> Any:
    return ssm_backends[response.current_account][response.region]


def activations(backend: Any) -> dict[str, dict[str, Any]]:
    return shim_state(backend, "activations")


def managed_instances(backend: Any) -> dict[str, dict[str, Any]]:
    return shim_state(backend, "managed_instances")


def _expired(activation: dict[str, Any]) -> bool:
    return bool(time.time() >= activation["ExpirationDate"])


def _check_role(response: SimpleSystemManagerResponse, role_name: str) -> None:
    iam = iam_backends[response.current_account]["global"]
    role = next((r for r in iam.roles.values() if r.name == role_name.split("/")[-1]), None)
    if role is None or "ssm.amazonaws.com" not in json.dumps(role.assume_role_policy_document):
        raise JsonRESTError(
            "ValidationException", f"Nonexistent role or missing ssm service principal in trust policy: {role_name}"
        )


def create_activation(self: SimpleSystemManagerResponse) -> str:
    role = self._get_param("IamRole")
    if not role:
        raise JsonRESTError("ValidationException", "IamRole is required")
    _check_role(self, role)
    limit = int(self._get_param("RegistrationLimit", 1))
    if not 1 <= limit <= 1000:
        raise JsonRESTError("ValidationException", "RegistrationLimit must be between 1 and 1000")
    now = time.time()
    expiry = self._get_param("ExpirationDate")
    expires = float(expiry) if expiry is not None else now + DEFAULT_EXPIRY_SECONDS
    if not now < expires <= now + MAX_EXPIRY_SECONDS:
        raise JsonRESTError("ValidationException", "ExpirationDate must be in the future and within 30 days")
    activation_id = str(uuid.uuid4())
    code = secrets.token_urlsafe(15)[:20]
    activations(_backend(self))[activation_id] = {
        "ActivationId": activation_id,
        "Description": self._get_param("Description", ""),
        "DefaultInstanceName": self._get_param("DefaultInstanceName", ""),
        "IamRole": role,
        "RegistrationLimit": limit,
        "RegistrationsCount": 0,
        "ExpirationDate": expires,
        "CreatedDate": now,
        "Tags": self._get_param("Tags", []),
        "_code": code,
    }
    return json.dumps({"ActivationId": activation_id, "ActivationCode": code})


def _public(activation: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in activation.items() if not k.startswith("_")}
    shown["Expired"] = _expired(activation)
    return shown


def describe_activations(self: SimpleSystemManagerResponse) -> str:
    found = list(activations(_backend(self)).values())
    for flt in self._get_param("Filters", []):
        key, values = flt.get("FilterKey"), set(flt.get("FilterValues", []))
        field = {
            "ActivationIds": "ActivationId",
            "DefaultInstanceName": "DefaultInstanceName",
            "IamRole": "IamRole",
        }.get(key or "")
        if field:
            found = [a for a in found if a[field] in values]
    return json.dumps({"ActivationList": [_public(a) for a in found]})


def delete_activation(self: SimpleSystemManagerResponse) -> str:
    activation_id = self._get_param("ActivationId")
    if activations(_backend(self)).pop(activation_id, None) is None:
        raise JsonRESTError("InvalidActivation", f"Activation {activation_id} does not exist")
    return "{}"


def register_managed_instance(self: SimpleSystemManagerResponse) -> str:
    """What the SSM agent calls with the activation id and code (`amazon-ssm-agent -register`)."""
    backend = _backend(self)
    activation = activations(backend).get(self._get_param("ActivationId", ""))
    if activation is None or not secrets.compare_digest(activation["_code"], self._get_param("ActivationCode", "")):
        raise JsonRESTError("InvalidActivation", "Activation ID or code is not valid")
    if _expired(activation):
        raise JsonRESTError("InvalidActivation", "Activation has expired")
    if activation["RegistrationsCount"] >= activation["RegistrationLimit"]:
        raise JsonRESTError("InvalidActivation", "Activation has reached its registration limit")
    activation["RegistrationsCount"] += 1
    instance_id = "mi-" + secrets.token_hex(9)[:17]
    now = time.time()
    managed_instances(backend)[instance_id] = {
        "InstanceId": instance_id,
        "ActivationId": activation["ActivationId"],
        "IamRole": activation["IamRole"],
        "RegistrationDate": now,
        "LastPingDateTime": now,
        "ResourceType": "ManagedInstance",
        "Name": activation["DefaultInstanceName"],
        "PlatformType": "Linux",
        "AgentVersion": "",
        "PlatformName": "",
        "PlatformVersion": "",
        "ComputerName": "",
        "IPAddress": "",
    }
    return json.dumps({"InstanceId": instance_id})


def update_instance_information(self: SimpleSystemManagerResponse) -> str:
    """The SSM agent's heartbeat."""
    instance = managed_instances(_backend(self)).get(self._get_param("InstanceId", ""))
    if instance is None:
        raise JsonRESTError("InvalidInstanceId", "Instance is not registered")
    for field in ("AgentVersion", "PlatformName", "PlatformVersion", "ComputerName", "IPAddress"):
        if self._get_param(field):
            instance[field] = self._get_param(field)
    was_lost = ping_status(instance) == "ConnectionLost"
    instance["LastPingDateTime"] = time.time()
    if was_lost:
        for hook in RECONNECTED:
            hook(self.current_account, self.region, instance["InstanceId"])
    return "{}"


# Called with (account, region, managed instance id) when a host's heartbeat returns after it was
# ConnectionLost: twin/ecs turns it into the ECS agent's reconnection event.
RECONNECTED: list[Callable[[str, str, str], None]] = []


def ping_status(instance: dict[str, Any]) -> str:
    return "Online" if time.time() - instance["LastPingDateTime"] < PING_TIMEOUT_SECONDS else "ConnectionLost"


def describe_instance_information(self: SimpleSystemManagerResponse) -> str:
    found = [{**i, "PingStatus": ping_status(i)} for i in managed_instances(_backend(self)).values()]
    wanted: dict[str, set[str]] = {}
    for flt in self._get_param("InstanceInformationFilterList", []):
        wanted[flt["key"]] = set(flt.get("valueSet", []))
    for flt in self._get_param("Filters", []):
        wanted[flt["Key"]] = set(flt.get("Values", []))
    field_of = {
        "InstanceIds": "InstanceId",
        "ActivationIds": "ActivationId",
        "PingStatus": "PingStatus",
        "ResourceType": "ResourceType",
    }
    for key, values in wanted.items():
        if key in field_of:
            found = [i for i in found if i[field_of[key]] in values]
    return json.dumps({"InstanceInformationList": found})


def deregister_managed_instance(self: SimpleSystemManagerResponse) -> str:
    instance_id = self._get_param("InstanceId")
    if managed_instances(_backend(self)).pop(instance_id, None) is None:
        raise JsonRESTError("InvalidInstanceId", f"Instance {instance_id} is not registered")
    return "{}"


def install() -> None:
    for function in (
        create_activation,
        describe_activations,
        delete_activation,
        register_managed_instance,
        update_instance_information,
        describe_instance_information,
        deregister_managed_instance,
    ):
        setattr(SimpleSystemManagerResponse, function.__name__, function)
