from pathlib import Path

import pytest
from offload.lib.paths import terraform_dir
from offload.lib.terraform import targets as stack


def test_omitted_lines_are_only_the_marked_ones() -> None:
    text = "a = 1\n  # twin: omit (why)\n  b = 2\n  c {\n  }\n  # twin: end\nd = 3\n"
    assert stack.strip_twin_omissions(text) == "a = 1\nd = 3\n"


def test_instead_lines_are_uncommented_for_the_twin_only() -> None:
    text = "r {\n  # twin: instead (why)\n  # versioning {\n  #   enabled = true\n  # }\n  # twin: end\n}\n"
    assert stack.strip_twin_omissions(text) == "r {\n  versioning {\n    enabled = true\n  }\n}\n"


def test_twin_copy_differs_from_terraform_only_by_the_marked_arguments(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFLOAD_TWIN_DIR", str(tmp_path))
    made = stack.for_target("twin", "http://127.0.0.1:1")
    original = (terraform_dir() / "modules/dispatch/main.tf").read_text()
    copied = (made.workdir / "modules/dispatch/main.tf").read_text()
    assert "function_response_types" in original and "function_response_types" not in copied
    assert "maximum_concurrency" not in copied
    function_dlq = 'each.key == "task-state" ? [aws_sqs_queue.events_dlq.arn]'
    assert function_dlq in original and function_dlq not in copied
    # the omitted event source mapping arguments (6 lines with their markers) and the skipped
    # dead_letter_config of the task-state function (8): nothing else differs
    assert len(original.splitlines()) - len(copied.splitlines()) == 6 + 8
    override = (made.workdir / "twin_override.tf").read_text()
    assert 'version = "3.39.0"' in override and "max_retries                 = 2" in override
    assert made.env["TF_CLI_CONFIG_FILE"].endswith("twin.tfrc")


def test_the_twin_workspace_signs_with_the_callers_twin_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The twin refuses any key but its run's: Terraform's override and environment carry the exported one."""
    monkeypatch.setenv("OFFLOAD_TWIN_DIR", str(tmp_path))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "OFLDRUNKEY0123456789")
    made = stack.for_target("twin", "http://127.0.0.1:1")
    assert 'access_key                  = "OFLDRUNKEY0123456789"' in (made.workdir / "twin_override.tf").read_text()
    assert made.env["AWS_ACCESS_KEY_ID"] == "OFLDRUNKEY0123456789"


def test_unknown_target_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of aws, twin"):
        stack.for_target("gcp")


def test_state_bucket_gives_the_aws_stack_an_s3_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "terraform").mkdir()
    monkeypatch.setenv("OFFLOAD_REPO", str(tmp_path))
    stack.for_target("aws")
    assert not (tmp_path / "terraform/backend_override.tf").exists()
    monkeypatch.setenv("OFFLOAD_STATE_BUCKET", "team-state")
    monkeypatch.setenv("OFFLOAD_STATE_REGION", "eu-west-1")
    stack.for_target("aws")
    backend = (tmp_path / "terraform/backend_override.tf").read_text()
    assert 'bucket       = "team-state"' in backend and 'region       = "eu-west-1"' in backend
    assert "kms_key_id" not in backend


def test_a_state_kms_key_encrypts_the_remote_state_under_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The state holds the activation code: OFFLOAD_STATE_KMS_KEY puts it under a key the team controls."""
    (tmp_path / "terraform").mkdir()
    monkeypatch.setenv("OFFLOAD_REPO", str(tmp_path))
    monkeypatch.setenv("OFFLOAD_STATE_BUCKET", "team-state")
    key = "arn:aws:kms:eu-west-1:123456789012:key/0b6e4c3a-2f1d-4e8b-9a7c-5d3e2f1a0b9c"
    monkeypatch.setenv("OFFLOAD_STATE_KMS_KEY", key)
    stack.for_target("aws")
    backend = (tmp_path / "terraform/backend_override.tf").read_text()
    assert f'kms_key_id   = "{key}"' in backend and "encrypt      = true" in backend


def test_skipped_lines_leave_every_twin_copy_and_a_current_providers_keeps_the_rest() -> None:
    text = "a = 1\n# twin: skip (slow)\nr {}\n# twin: end\n# twin: omit (3.39)\nb = 2\n# twin: end\n"
    assert stack.strip_twin_omissions(text) == "a = 1\n"
    assert stack.strip_twin_omissions(text, twin_provider=False) == "a = 1\n# twin: omit (3.39)\nb = 2\n"
