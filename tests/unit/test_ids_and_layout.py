import uuid

import pytest
from offload_contract import confirmation_id, job_id
from offload_contract.ids import JOB_ID_PATTERN, job_site
from offload_contract.layout import Layout, parse_suffixes


def test_confirmation_id_is_a_stable_uuid() -> None:
    first = confirmation_id("b", "incoming/a.csv", '"etag1"', "42")
    assert first == confirmation_id("b", "incoming/a.csv", "etag1", "42")  # quotes or not
    assert uuid.UUID(first).version == 5
    assert first != confirmation_id("b", "incoming/a.csv", "etag2", "42")
    assert first != confirmation_id("b", "incoming/a.csv", "etag1", "43")


def test_job_id_fits_an_ecs_client_token() -> None:
    jid = job_id("bucket", "incoming/é ü+%.csv", '"abc"')
    assert len(jid) == 32 and jid == job_id("bucket", "incoming/é ü+%.csv", "abc")
    assert jid != job_id("bucket", "incoming/é ü+%.csv", "abd")


def test_a_sites_job_id_begins_with_its_name_and_the_implicit_sites_is_as_before() -> None:
    """dynamodb:LeadingKeys `dc1-*` holds a site's task role to its own job records (terraform cluster module)."""
    plain = job_id("bucket", "incoming/dc1/a.csv", "abc")
    assert job_id("bucket", "incoming/dc1/a.csv", "abc", site=job_site("dc1", "dc1/")) == f"dc1-{plain}"
    implicit = job_site("default", "")
    assert job_id("bucket", "incoming/a.csv", "abc", site=implicit) == job_id("bucket", "incoming/a.csv", "abc")
    longest = job_id("b", "k", "e", site="abcdefghij")
    assert JOB_ID_PATTERN.fullmatch(longest) and JOB_ID_PATTERN.fullmatch(plain) and len(longest) + 7 <= 64
    assert not JOB_ID_PATTERN.fullmatch("dc1-" + plain[:12])  # the 12 chars `offload status` shows


def test_result_keys_mirror_the_input_path() -> None:
    layout = Layout()
    assert layout.output_key("incoming/2026/11/a b.csv") == "processed/2026/11/a b.csv"
    assert layout.rejects_key("incoming/x.csv") == "rejected/x.csv.rejects.csv"


@pytest.mark.parametrize("key, is_input", [
    ("incoming/a.csv", True), ("incoming/deep/A.CSV", True), ("incoming/a.txt", True),
    ("processed/a.csv", False), ("rejected/a.csv", False), ("incoming/", False), ("other/a.csv", False),
])
def test_only_keys_under_the_input_prefix_are_inputs(key: str, is_input: bool) -> None:
    assert Layout().is_input(key) is is_input


@pytest.mark.parametrize("key, problem", [
    ("incoming/a.csv", None), ("incoming/deep/A.CSV", None), ("incoming/my orders+ü%.csv", None),
    ("incoming/a.txt", "does not end in .csv"), ("incoming/a.csv.gz", "does not end in .csv"),
    ("incoming/../a.csv", "'..' path segment"), ("incoming/./a.csv", "'..' path segment"),
    ("incoming/" + "é" * 500 + ".csv", "key is too long"),
])
def test_key_problems_are_named(key: str, problem: str | None) -> None:
    found = Layout().key_problem(key, parse_suffixes(None))
    assert found == problem if problem is None else problem in str(found)


def test_overlapping_prefixes_are_refused() -> None:
    with pytest.raises(ValueError, match="overlaps the input prefix"):
        Layout(input_prefix="data/", output_prefix="data/out/")
    with pytest.raises(ValueError, match="must be non-empty, end with '/'"):
        Layout(input_prefix="incoming")


def test_confirmation_ids_are_exactly_uuid5() -> None:
    import uuid

    from offload_contract.ids import _CONFIRMATION_NAMESPACE, confirmation_ids

    make = confirmation_ids("b", "incoming/ü.csv", '"e1"')
    for order_id in ["1", "42", "ünïcode", "x" * 1000, ""]:
        expected = uuid.uuid5(_CONFIRMATION_NAMESPACE, "\n".join(("b", "incoming/ü.csv", "e1", order_id)))
        assert make(order_id) == str(expected)


def test_job_id_is_the_version_when_the_bucket_keeps_versions_else_the_etag() -> None:
    by_etag = job_id("b", "incoming/a.csv", '"e1"')
    assert job_id("b", "incoming/a.csv", "e1", None) == by_etag
    assert job_id("b", "incoming/a.csv", "e1", "null") == by_etag  # a version-suspended bucket's uploads
    versioned = job_id("b", "incoming/a.csv", "e1", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY")
    assert versioned != by_etag
    assert versioned != job_id("b", "incoming/a.csv", "e1", "another-version")  # identical bytes, new upload


def test_a_sites_shards_stage_below_its_prefix_where_only_its_role_may_write() -> None:
    assert Layout().shard_part_key("j1", 0, "output") == "processed/.offload-shards/j1/0000.output"
    sited = Layout.from_env({"SITE_PREFIX": "dc1/"})
    assert sited.shard_part_key("j1", 2, "keys") == "processed/.offload-shards/dc1/j1/0002.keys"
