import uuid

import pytest
from offload_contract import confirmation_id, job_id
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


def test_result_keys_mirror_the_input_path() -> None:
    layout = Layout()
    assert layout.output_key("incoming/2026/11/a b.csv") == "processed/2026/11/a b.csv"
    assert layout.rejects_key("incoming/x.csv") == "rejected/x.csv.rejects.csv"


@pytest.mark.parametrize("key, accepted", [
    ("incoming/a.csv", True), ("incoming/deep/A.CSV", True), ("incoming/a.txt", False),
    ("processed/a.csv", False), ("rejected/a.csv", False), ("incoming/", False), ("other/a.csv", False),
])
def test_only_input_keys_are_accepted(key: str, accepted: bool) -> None:
    assert Layout().accepts(key, parse_suffixes(None)) is accepted


def test_overlapping_prefixes_are_refused() -> None:
    with pytest.raises(ValueError, match="overlaps the input prefix"):
        Layout(input_prefix="data/", output_prefix="data/out/")
    with pytest.raises(ValueError, match="must be non-empty, end with '/'"):
        Layout(input_prefix="incoming")
