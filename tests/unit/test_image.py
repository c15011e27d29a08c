"""make image: the commands it would run, and one clear line when there is no Docker engine."""

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from offload.commands import cli
from offload.lib.build import image

REPO = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/offload-worker"


@pytest.fixture
def git_tree(tmp_path: Path) -> Path:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    git("init", "-q")
    (tmp_path / "f").write_text("1")
    git("add", "f")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    return tmp_path


def test_commands_build_from_the_repo_root_and_push_the_commit_tag(git_tree: Path) -> None:
    sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=git_tree, capture_output=True, text=True)
    built = image.plan(REPO, root=git_tree)
    assert built.tag == sha.stdout.strip()
    login, build, push = built.commands()
    assert login == ["docker", "login", "--username", "AWS", "--password-stdin", REPO.split("/")[0]]
    dockerfile = f"{git_tree}/worker/Dockerfile"
    assert build == ["docker", "build", "--file", dockerfile, "--tag", f"{REPO}:{built.tag}", str(git_tree)]
    assert push == ["docker", "push", f"{REPO}:{built.tag}"]


def test_a_dirty_tree_is_tagged_as_such(git_tree: Path) -> None:
    (git_tree / "f").write_text("2")
    assert image.commit_tag(git_tree).endswith("-dirty")


def test_dry_run_prints_the_commands() -> None:
    result = CliRunner().invoke(cli, ["image", "--dry-run", "--repository", REPO, "--tag", "abc"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"docker push {REPO}:abc"


def test_no_docker_engine_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(cli, ["image", "--repository", REPO])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "no Docker engine" in result.output


def test_ecr_password_is_the_token_secret() -> None:
    class Ecr:
        def get_authorization_token(self) -> dict[str, object]:
            return {"authorizationData": [{"authorizationToken": "QVdTOnNlY3JldA=="}]}

    assert image.ecr_password(Ecr()) == "secret"
