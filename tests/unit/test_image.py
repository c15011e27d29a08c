"""make image: the commands it would run, the Dockerfile and build context, one clear line on failure."""

import os
import re
import subprocess
import time
from importlib import metadata
from pathlib import Path

import docker.errors
import pytest
from click.testing import CliRunner
from docker.utils.build import exclude_paths
from offload.commands import cli
from offload.lib.build import base_image, image, worker_image
from offload.lib.build.worker_image import ImageBuildError

REPO_ROOT = Path(__file__).resolve().parents[2]
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


def test_commands_build_offline_from_the_repo_root_and_push_the_commit_tag(git_tree: Path) -> None:
    sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=git_tree, capture_output=True, text=True)
    built = image.plan(REPO, root=git_tree, base_image="local-base:1")
    assert built.tag == sha.stdout.strip()
    wheels, build, login, push = built.commands()
    assert wheels[:3] == ["pip", "wheel", "--wheel-dir"] and wheels[4:] == ["./contract", "./worker"]
    build_args = ["--build-arg", "BASE_IMAGE=local-base:1", "--build-arg", f"WHEELS={wheels[3]}"]
    assert build[:6] == ["docker", "build", "--file", "worker/Dockerfile", "--network", "none"]
    assert build[6:] == [*build_args, "--tag", f"{REPO}:{built.tag}", str(git_tree)]
    assert login == ["docker", "login", "--username", "AWS", "--password-stdin", REPO.split("/")[0]]
    assert push == ["docker", "push", f"{REPO}:{built.tag}"]


def test_without_a_repository_it_only_builds(git_tree: Path) -> None:
    steps = [step for step in image.plan(None, tag="t", root=git_tree).commands() if step[3:4] != ["download"]]
    assert [step[:2] for step in steps] == [["pip", "wheel"], ["docker", "build"]]
    assert f"BASE_IMAGE={image.DEFAULT_BASE_IMAGE}" in steps[1] and "offload-worker:t" in steps[1]


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


@pytest.mark.parametrize("push", [True, False], ids=["push", "build-only"])
def test_an_engine_that_does_not_answer_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, push: bool
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    monkeypatch.setenv("OFFLOAD_TWIN_DIR", str(tmp_path / "twin"))  # no stack: nothing to push to
    result = CliRunner().invoke(cli, ["image", "--target", "twin", *(["--repository", REPO] if push else [])])
    assert result.exit_code == 1, result.output
    assert result.output.strip().count("\n") == 0 and "no Docker engine reachable" in result.output


def test_a_base_that_cannot_be_pulled_is_one_clear_line() -> None:
    class Images:
        def get(self, name: str) -> None:
            raise docker.errors.ImageNotFound(name)

        def pull(self, name: str) -> None:
            raise docker.errors.APIError(
                "pull failed", explanation="Get https://registry-1.docker.io/v2/: no such host"
            )

    class Client:
        images = Images()

    pulled = re.escape(image.DEFAULT_BASE_IMAGE)
    with pytest.raises(ImageBuildError, match=rf"^cannot pull BASE_IMAGE {pulled} \(Get https"):
        image.ensure_base(Client(), image.DEFAULT_BASE_IMAGE, debian_base=False)  # type: ignore[arg-type]


def test_the_default_base_image_is_pinned_by_digest() -> None:
    """A tag is re-pushed with every rebuild; a digest names one image, in the Dockerfile and `offload image`."""
    assert re.fullmatch(r"python:3\.12-slim-bookworm@sha256:[0-9a-f]{64}", image.DEFAULT_BASE_IMAGE)
    text = (REPO_ROOT / "worker" / "Dockerfile").read_text()
    assert re.findall(r"^ARG BASE_IMAGE=(\S+)$", text, re.M) == [image.DEFAULT_BASE_IMAGE]


def test_dockerfile_installs_host_wheels_with_the_classic_builder() -> None:
    text = (REPO_ROOT / "worker" / "Dockerfile").read_text()
    instructions = [line.split(None, 1) for line in text.replace("\\\n", " ").splitlines() if line[:1].isalpha()]
    assert instructions[0] == ["ARG", f"BASE_IMAGE={image.DEFAULT_BASE_IMAGE}"]
    assert all(keyword != "FROM" or rest.startswith("${BASE_IMAGE}") for keyword, rest in instructions)
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert "--mount" not in runs and "pip wheel" not in runs  # BuildKit-only; wheels come from the host
    assert "--no-index --find-links /wheels" in runs
    user = [rest for keyword, rest in instructions if keyword == "USER"]
    assert user == ["10001:10001"]
    assert instructions[-1] == ["ENTRYPOINT", '["offload-worker"]']


def test_dockerignore_keeps_state_and_caches_out_of_every_build_context(tmp_path: Path) -> None:
    kept = ["worker/offload_worker/cli.py", "contract/pyproject.toml", "build/wheels/k1/boto3.whl", "worker/Dockerfile"]
    left_out = [
        "terraform/terraform.tfstate",
        "terraform/envs/x/terraform.tfstate.backup",
        "prod.tfvars",
        "terraform/envs/x/secret.auto.tfvars",
        "terraform/modules/m/provider_override.tf",
        "terraform/offload.tfplan",
        "join.env",
        "bootstrap/activation-code",
        "terraform/.terraform/providers/p",
        ".twin/terraform.tfstate",
        ".venv/bin/python",
        ".tools/base-image/b.tar",
        ".git/HEAD",
        "build/lambda-deps/x.py",
        "build/wheels/staging-1/wheels/a.whl",
        "worker/offload_worker/__pycache__/cli.cpython-311.pyc",
        "worker/offload_worker.egg-info/PKG-INFO",
    ]
    for name in kept + left_out:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    patterns = [
        line for line in (REPO_ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")
    ]
    sent = {path for path in exclude_paths(str(tmp_path), patterns) if (tmp_path / path).is_file()}
    assert sent == set(kept)


def test_apt_mirror_is_the_suites_own_from_either_sources_format(tmp_path: Path) -> None:
    deb822 = tmp_path / "sources.list.d"
    deb822.mkdir()
    (deb822 / "debian.sources").write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n"
    )
    one_line = tmp_path / "sources.list"
    one_line.write_text("deb [arch=amd64] http://old.example/debian bookworm main\n")
    assert base_image.apt_mirror((deb822, one_line)) == "http://mirror.example/debian"
    assert base_image.apt_mirror((tmp_path / "none", one_line)) == "http://old.example/debian"
    assert base_image.apt_mirror((tmp_path / "none",)) == base_image.DEFAULT_MIRROR
    assert base_image.base_tag("http://a/debian") != base_image.base_tag("http://b/debian")


def test_wheels_key_follows_the_sources_not_their_build_output(tmp_path: Path) -> None:
    for name in ("contract/pyproject.toml", "worker/offload_worker/cli.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("1")
    python = image.DEFAULT_BASE_PYTHON
    key = worker_image.wheels_key(tmp_path, "boto3==1\n", python)
    (tmp_path / "worker/offload_worker/__pycache__").mkdir()
    (tmp_path / "worker/offload_worker/__pycache__/cli.pyc").write_text("junk")
    assert worker_image.wheels_key(tmp_path, "boto3==1\n", python) == key
    assert worker_image.wheels_key(tmp_path, "boto3==2\n", python) != key
    (tmp_path / "worker/offload_worker/cli.py").write_text("2")
    assert worker_image.wheels_key(tmp_path, "boto3==1\n", python) != key


def test_ecr_password_is_the_token_secret() -> None:
    class Ecr:
        def get_authorization_token(self) -> dict[str, object]:
            return {"authorizationData": [{"authorizationToken": "QVdTOnNlY3JldA=="}]}

    assert image.ecr_password(Ecr()) == "secret"


def test_wheel_sets_unused_for_an_hour_leave_the_build_context(tmp_path: Path) -> None:
    for name in ("old", "recent", "staging-1"):
        (tmp_path / name).mkdir()
    hours_ago = time.time() - worker_image.STALE_WHEELS_SECONDS - 60
    for name in ("old", "staging-1"):
        os.utime(tmp_path / name, (hours_ago, hours_ago))
    worker_image.drop_unused_wheel_sets(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recent", "staging-1"]


def test_the_base_drops_docs_and_translations_but_keeps_licences(tmp_path: Path) -> None:
    files = {
        "usr/share/doc/python3/copyright": True,
        "usr/share/doc/python3/changelog.gz": False,
        "usr/share/man/man1/python3.1.gz": False,
        "usr/share/locale/locale.alias": True,
        "usr/share/locale/de/LC_MESSAGES/apt.mo": False,
        "var/cache/apt/archives/python3.deb": False,
        "usr/lib/python3.11/os.py": True,
    }
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    base_image.trim(tmp_path)
    assert {name: (tmp_path / name).exists() for name in files} == files
    assert list((tmp_path / "usr/share/man").iterdir()) == [] and not (tmp_path / "usr/share/locale/de").exists()


def test_the_image_pins_the_workers_dependencies_as_installed_here_and_nothing_else() -> None:
    pins = dict(line.split("==") for line in worker_image.constraints().splitlines())
    assert pins["boto3"] == metadata.version("boto3") and "aws-lambda-powertools" in pins
    assert not {"pytest", "moto", "docker", "click"} & set(pins)
    assert not any(name.startswith("offload") for name in pins)  # built from ./contract and ./worker


def test_every_module_under_tests_docker_is_marked_docker() -> None:
    """`-m docker` / `-m "not docker"` select them, and the marker says they need an engine."""
    modules = sorted((REPO_ROOT / "tests" / "docker").glob("test_*.py"))
    assert modules
    unmarked = [m.name for m in modules if "\npytestmark = pytest.mark.docker\n" not in m.read_text()]
    assert unmarked == []
