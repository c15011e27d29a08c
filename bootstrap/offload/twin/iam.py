"""IAM: AWS managed policies in the `aws` partition only.

The stack attaches AWS managed policies (AmazonSSMManagedInstanceCore...), so the twin loads
them (MOTO_IAM_LOAD_MANAGED_POLICIES). moto builds them for each of its six partitions, on
start and on every /moto-api/reset: ~9,500 policy objects, ~1.9 s a reset. The twin is one
account in the `aws` partition; the other partitions start with none (~0.2 s a reset).
"""

from __future__ import annotations

from typing import Any

from moto.iam.models import IAMBackend

TWIN_PARTITION = "aws"
_original = IAMBackend._init_aws_policies


def _init_aws_policies(self: IAMBackend) -> list[Any]:
    return _original(self) if self.region_name == TWIN_PARTITION else []


def install() -> None:
    IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]
