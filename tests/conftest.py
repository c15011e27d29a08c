"""Shared fixtures. Unit tests need none; functional tests use a moto server
over HTTP (as the worker and dispatcher talk to AWS); twin tests the twin."""

from __future__ import annotations

import os
import socket
from collections.abc import Generator, Iterator
from pathlib import Path
from types import ModuleType

import boto3
import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
SHARED_FIXTURE = REPO.parent / "shared" / "fixtures" / "workshop-test.csv"
REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
}


@pytest.fixture(autouse=True, scope="session")
def _no_real_aws() -> Iterator[None]:
    """No test may ever reach a real account: fake credentials, no profile."""
    saved = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    yield
    os.environ.clear()
    os.environ.update(saved)


# A host without a heartbeat for this long counts as ConnectionLost on the session's twin (AWS: minutes). Short, for
# the tests that wait for it; long enough that a host joined without an agent stays connected through a test's
# passes on a loaded machine (parallel workers): at 3 s a 12-job backlog race outlived it.
PING_TIMEOUT = 6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A clean moto server, with boto3 in this process pointed at it."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    yield moto_endpoint


@pytest.fixture
def workshop_csv() -> Path:
    if not SHARED_FIXTURE.exists():
        pytest.skip("../shared/fixtures/workshop-test.csv is not beside this checkout")
    return SHARED_FIXTURE


def make_orders_stack(bucket: str = "orders-bucket", table: str = "Order", jobs_table: str = "jobs") -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    ddb = boto3.client("dynamodb")
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "OrderId", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "OrderId", "KeyType": "HASH"}])
    # The jobs table as terraform/modules/storage makes it: the watchdog's ByStatus index, the Backlog.
    ddb.create_table(
        TableName=jobs_table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("JobId", "S"), ("Status", "S"), ("UpdatedAt", "N"),
                                           ("WaitingLine", "S"), ("WaitingSince", "N"))],
        KeySchema=[{"AttributeName": "JobId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "ByStatus", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "Status", "KeyType": "HASH"},
                          {"AttributeName": "UpdatedAt", "KeyType": "RANGE"}],
        }, {
            "IndexName": "Backlog", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "WaitingLine", "KeyType": "HASH"},
                          {"AttributeName": "WaitingSince", "KeyType": "RANGE"}],
        }],
    )


@pytest.fixture(scope="session")
def twin_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Everything the session's twin and its Lambda sandboxes print."""
    return tmp_path_factory.mktemp("twin") / "twin.log"


@pytest.fixture(scope="session")
def twin_access_key() -> str:
    """This session's twin key: the twin refuses any other (but the keys its STS issues)."""
    import secrets

    return f"OFFLOADTEST{secrets.token_hex(8).upper()}"


def twin_headers(access_key: str) -> dict[str, str]:
    """The twin's key for a call no SDK signs (/moto-api/reset): the SigV4 Credential scope it reads."""
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/"}


def reset_twin(endpoint: str, access_key: str) -> None:
    requests.post(f"{endpoint}/moto-api/reset", timeout=30, headers=twin_headers(access_key)).raise_for_status()


@pytest.fixture(scope="session")
def twin_endpoint(twin_log: Path, twin_access_key: str) -> Iterator[str]:
    """`offload twin` as a user starts it: a subprocess on a free loopback port."""
    import subprocess
    import sys
    import time

    port = free_port()
    env = {**os.environ, "OFFLOAD_TWIN_PING_TIMEOUT": str(PING_TIMEOUT), "OFFLOAD_TWIN_ACCESS_KEY": twin_access_key}
    log = twin_log  # a file: an unread pipe would fill up and stall the twin
    process = subprocess.Popen([sys.executable, "-m", "offload", "twin", "--port", str(port)], env=env,
                               stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"{endpoint}/moto-api/", timeout=1, headers=twin_headers(twin_access_key))
            break
        except requests.ConnectionError:
            if process.poll() is not None:
                raise RuntimeError(f"twin exited: {log.read_text()}") from None
            time.sleep(0.2)
    yield endpoint
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def twin(twin_endpoint: str, twin_access_key: str, monkeypatch: pytest.MonkeyPatch) -> str:
    reset_twin(twin_endpoint, twin_access_key)
    monkeypatch.setenv("AWS_ENDPOINT_URL", twin_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", twin_access_key)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # botocore keeps the credentials it first resolved
    return twin_endpoint


@pytest.fixture
def handler(twin: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The dispatcher's handler module, cold-started against the twin with a fresh cluster."""
    from tests.dispatcher import load_handler

    return load_handler(monkeypatch)


FIGURE = "figure"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    from tests.figures import take

    report: pytest.TestReport = yield
    report.user_properties.extend((FIGURE, text) for text in take())
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Runs where the summary is printed: in the one process, or xdist's controller."""
    from tests.figures import SHOWN

    SHOWN.extend(str(text) for name, text in report.user_properties if name == FIGURE)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.figures import SHOWN

    if SHOWN:
        terminalreporter.section("figures measured by the tests")
        for line in SHOWN:
            terminalreporter.write_line(line)
