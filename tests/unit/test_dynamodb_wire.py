"""The wire client and writer against a scripted loopback DynamoDB: x-amz-crc32 checked as botocore
does, and failures retried by status class, not by a list of codes."""

from __future__ import annotations

import json
import socket
import threading
import zlib
from collections.abc import Callable

import boto3
import pytest
from botocore.exceptions import ChecksumError, ClientError
from offload_worker.batch_writer import BatchWriter
from offload_worker.dynamodb_wire import WireClient

OK = b'{"UnprocessedItems":{}}'


def _answer(status: int, body: bytes, crc: int | None = None, kind: str = "application/x-amz-json-1.0") -> bytes:
    crc = zlib.crc32(body) if crc is None else crc
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\nx-amz-crc32: {crc}\r\n\r\n"
    return head.encode() + body


class Scripted:
    """Answers each request with the next scripted response, in one send; counts the requests."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers, self.requests = answers, 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            connection, _ = self._server.accept()
            with connection, connection.makefile("rb") as reader:
                while (line := reader.readline()) and self.answers:
                    length = 0
                    while (line := reader.readline()) not in (b"\r\n", b""):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    reader.read(length)
                    self.requests += 1
                    connection.sendall(self.answers.pop(0))


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[bytes]], Scripted]:
    def start(answers: list[bytes]) -> Scripted:
        server = Scripted(answers)
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.url)
        return server

    return start


def _body() -> bytes:
    item = {"OrderId": {"S": "1"}}
    return json.dumps({"RequestItems": {"Order": [{"PutRequest": {"Item": item}}]}}).encode()


def test_a_body_that_does_not_match_its_crc32_is_refused(scripted: Callable[[list[bytes]], Scripted]) -> None:
    server = scripted([_answer(200, OK, crc=zlib.crc32(OK) ^ 1), _answer(200, OK)])
    client = WireClient(boto3.Session(), "us-east-1", 1)
    with pytest.raises(ChecksumError):
        client.batch_write(_body())
    assert client.batch_write(_body()) == {"UnprocessedItems": {}}
    assert server.requests == 2


@pytest.mark.parametrize("failure", [
    _answer(200, OK, crc=12345),  # a body DynamoDB did not sign: its items may not be written
    _answer(500, b'{"__type":"com.amazon.coral.service#InternalFailure"}'),
    _answer(500, b'{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError"}'),
    _answer(503, b""),
    _answer(502, b"<html><h1>502 Bad Gateway</h1></html>", kind="text/html"),
    _answer(504, b'{"__type":"GatewayTimeout"}'),
    _answer(400, b'{"__type":"com.amazonaws.dynamodb.v20120810#RequestLimitExceeded"}'),
    _answer(400, b'{"__type":"com.amazon.coral.availability#ThrottlingException"}'),
], ids=["wrong-crc32", "500-InternalFailure", "500-InternalServerError", "503-empty", "502-html", "504",
        "RequestLimitExceeded", "ThrottlingException"])
def test_the_writer_retries_every_retryable_class(scripted: Callable[[list[bytes]], Scripted], failure: bytes) -> None:
    server = scripted([failure, _answer(200, OK)])
    writer = BatchWriter(WireClient(boto3.Session(), "us-east-1", 1), "Order", 1, 60, sleep=lambda _: None)
    writer.put("1", '{"OrderId":{"S":"1"}}')
    stats = writer.close()
    assert (server.requests, stats.retries, stats.items) == (2, 1, 1)


def test_an_html_error_keeps_its_status_and_words(scripted: Callable[[list[bytes]], Scripted]) -> None:
    scripted([_answer(502, b"<html><h1>502 Bad Gateway</h1></html>", kind="text/html")])
    with pytest.raises(ClientError) as raised:
        WireClient(boto3.Session(), "us-east-1", 1).batch_write(_body())
    said = raised.value.response
    assert (said["ResponseMetadata"]["HTTPStatusCode"], said["Error"]["Code"]) == (502, "HTTP502")
    assert "502 Bad Gateway" in said["Error"]["Message"]
