"""The dispatcher's routing (issue 24) as plain functions: SCHEMAS parsed once at cold start, a key's site
then its schema (the longest prefix), and whether a file big enough to shard must run as one task."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from offload_dispatch.routes import GZIP_WHOLE, Route, route, whole_file_reason
from offload_dispatch.settings import Settings, SettingsError

BASE = {"CLUSTER_NAME": "c", "TASK_DEFINITION": "td", "CONTAINER_NAME": "worker", "JOBS_TABLE": "jobs",
        "S3_BUCKET_NAME": "b"}
SITES = {"dc1": {"prefix": "dc1/", "task_definition": "td-dc1"}, "dc2": {"prefix": "dc2/", "task_definition": "td-dc2"}}
SCHEMAS = {
    "events": {"prefix": "events/", "key": "schemas/events/e.yaml", "digest": "e", "table": "t-events",
               "suffixes": [".jsonl"]},
    "eu": {"prefix": "events/eu/", "key": "schemas/eu/u.yaml", "digest": "u", "table": "t-eu", "whole_file": True},
}


def _settings(**more: str) -> Settings:
    return Settings.from_env({**BASE, **more})


def test_a_key_goes_to_its_site_then_the_longest_schema_prefix_below_it() -> None:
    settings = _settings(SITES=json.dumps(SITES), SCHEMAS=json.dumps(SCHEMAS))
    routed = route(settings, "incoming/dc2/events/eu/a.csv")
    assert isinstance(routed, Route) and routed.site.name == "dc2" and routed.schema is not None
    assert (routed.schema.name, routed.schema.table, routed.schema.whole_file) == ("eu", "t-eu", True)
    assert routed.schema.suffixes == (".csv",)  # none declared: INPUT_SUFFIXES (default .csv)
    assert route(settings, "incoming/dc1/other/a.csv") == (
        "the file is under no schema's prefix, so no schema says how to load it: upload it under one of "
        "incoming/dc1/events/, incoming/dc1/events/eu/")
    assert route(settings, "incoming/dc3/events/a.jsonl") == settings.no_site_reason()


def test_without_schemas_the_checks_are_todays_in_todays_order() -> None:
    settings = _settings(SITES=json.dumps(SITES))
    assert str(route(settings, "incoming/dc3/a.xlsx")).startswith("file name does not end in .csv")  # before the site
    routed = route(_settings(), "incoming/a.csv")
    assert isinstance(routed, Route) and routed.schema is None and routed.site.task_definition == "td"


@pytest.mark.parametrize("value", ["[]", "{}", '{"x": {"prefix": "x/"}}', "not json"])
def test_a_malformed_schemas_setting_fails_the_cold_start_naming_it(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^SCHEMAS "):
        _settings(SCHEMAS=value)


class _S3:
    def __init__(self, body: bytes = b"", error: str | None = None) -> None:
        self.body, self.error = body, error
        self.asked: list[dict[str, Any]] = []

    def get_object(self, **request: Any) -> dict[str, Any]:
        self.asked.append(request)
        if self.error:
            raise ClientError({"Error": {"Code": self.error}}, "GetObject")
        return {"Body": io.BytesIO(self.body[:2])}


def test_gzip_is_found_from_the_first_two_bytes_of_that_version() -> None:
    s3 = _S3(b"\x1f\x8b\x08\x00rest")
    assert whole_file_reason(s3, "b", "incoming/big.csv", "etag-1", None) == GZIP_WHOLE
    assert s3.asked == [{"Bucket": "b", "Key": "incoming/big.csv", "Range": "bytes=0-1", "IfMatch": "etag-1"}]
    assert whole_file_reason(_S3(b"OrderId,Region\n"), "b", "k", "e", None) is None
    assert whole_file_reason(_S3(error="NoSuchKey"), "b", "k", "e", None) is None  # the worker fails it, saying so
    with pytest.raises(ClientError):
        whole_file_reason(_S3(error="AccessDenied"), "b", "k", "e", None)  # a missing grant is not "not gzip"
