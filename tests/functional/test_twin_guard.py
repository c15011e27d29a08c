"""The twin answers only its own tools: a web page (DNS rebinding, CORS) or a stray key is refused
(issue 25 item 5). Through `offload twin` as a user starts it (the session's twin subprocess)."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import REGION, twin_headers

pytestmark = pytest.mark.functional


def _sts(endpoint: str, access_key: str) -> object:
    return boto3.client("sts", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=access_key, aws_secret_access_key="any")


def test_a_request_naming_another_host_is_refused(twin: str, twin_access_key: str) -> None:
    """DNS rebinding: the page's own name reaches 127.0.0.1, the Host header still says it."""
    port = twin.rsplit(":", 1)[1]
    signed = twin_headers(twin_access_key)
    refused = requests.get(f"{twin}/moto-api/", headers={**signed, "Host": f"evil.example:{port}"}, timeout=10)
    assert refused.status_code == 403 and "evil.example" in refused.text
    allowed = requests.get(f"{twin}/moto-api/", headers={**signed, "Host": f"localhost:{port}"}, timeout=10)
    assert allowed.status_code == 200


def test_no_cors_headers_for_a_web_page(twin: str) -> None:
    preflight = requests.options(f"{twin}/2015-03-31/functions/", timeout=10, headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]


def test_only_the_twins_key_and_its_sts_keys_are_accepted(twin: str, twin_access_key: str) -> None:
    with pytest.raises(ClientError, match=r"AccessDenied.*access key"):
        _sts(twin, "AKIAWRONGKEY0000000").get_caller_identity()  # type: ignore[attr-defined]
    assert requests.post(f"{twin}/moto-api/reset", timeout=10).status_code == 403  # unsigned: no key at all
    right = _sts(twin, twin_access_key)
    assert right.get_caller_identity()["Account"]  # type: ignore[attr-defined]
    # A task's credentials come from the twin's STS (as the agent assumes the task role): those pass too.
    issued = right.assume_role(RoleArn="arn:aws:iam::123456789012:role/task",  # type: ignore[attr-defined]
                               RoleSessionName="task")["Credentials"]
    task = boto3.client("sts", endpoint_url=twin, region_name=REGION, aws_access_key_id=issued["AccessKeyId"],
                        aws_secret_access_key=issued["SecretAccessKey"], aws_session_token=issued["SessionToken"])
    assert task.get_caller_identity()["Arn"].endswith("assumed-role/task/task")


def test_the_twin_prints_its_key_and_keeps_its_logs_private(twin: str, twin_access_key: str, twin_log: Path) -> None:
    printed = twin_log.read_text()
    assert f"AWS_ACCESS_KEY_ID={twin_access_key} " in printed
    found = re.search(r"logs in (\S+)", printed)
    assert found, printed
    logs = Path(found.group(1))
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700 and not logs.is_symlink()
