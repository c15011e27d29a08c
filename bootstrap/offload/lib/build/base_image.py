"""A Python base image made from Debian's own packages, for machines with no registry.

`debootstrap --variant=minbase` writes a bookworm root filesystem (Python 3.11; another suite,
e.g. trixie's 3.13, on request) from the machine's apt mirror; `docker import` turns its
tarball into an image. The tarball is cached under
`.tools/` (keyed by what went into it), so only the first run pays for debootstrap.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import docker
import docker.errors

from offload.lib.paths import tools_dir

SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
REPOSITORY = "offload-python-base"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
_APT_SOURCES = (Path("/etc/apt/sources.list.d"), Path("/etc/apt/sources.list"))
# Left behind by debootstrap and useless in an image: downloaded .debs and package lists;
# docs, manuals and translations (a quarter of the root filesystem), as Debian's slim images
# drop them. Licences (/usr/share/doc/*/copyright) and glibc's locale.alias stay.
_JUNK_FILES = ("var/cache/apt/archives/*.deb", "var/lib/apt/lists/*")
_JUNK_TREES = ("usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/doc")
_KEEP = ("usr/share/doc/*/copyright", "usr/share/locale/locale.alias")


class BaseImageError(RuntimeError):
    """The base could not be made here (no debootstrap, not root, mirror unreachable)."""


def _deb822_mirrors(text: str) -> list[str]:
    """`URIs:` of the stanzas in a .sources file that carry the suite itself (not -security).
    One Debian archive holds every suite, so bookworm's mirror serves the others too."""
    found = []
    for stanza in re.split(r"\n\s*\n", text):
        fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, flags=re.MULTILINE))
        if SUITE in fields.get("Suites", "").split():
            found.extend(fields.get("URIs", "").split())
    return found


def _one_line_mirrors(text: str) -> list[str]:
    """`deb [options] URI bookworm ...` lines of a sources.list."""
    pattern = rf"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+{SUITE}\s"
    return re.findall(pattern, text, flags=re.MULTILINE)


def apt_mirror(sources: tuple[Path, ...] = _APT_SOURCES) -> str:
    """The mirror this machine's apt uses for the suite; Debian's own when none is configured."""
    for source in sources:
        files = sorted(source.glob("*.sources")) + sorted(source.glob("*.list")) if source.is_dir() else [source]
        for file in files:
            if not file.is_file():
                continue
            text = file.read_text()
            mirrors = _deb822_mirrors(text) if file.suffix == ".sources" else _one_line_mirrors(text)
            if mirrors:
                return mirrors[0]
    return DEFAULT_MIRROR


def base_tag(mirror: str, suite: str = SUITE) -> str:
    """A tag that changes when what goes into the root filesystem does."""
    recipe = "\n".join([suite, "minbase", *PACKAGES, mirror, *_JUNK_FILES, *_JUNK_TREES, *_KEEP])
    return f"{suite}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


def _debootstrap(target: Path, mirror: str, suite: str) -> None:
    command = shutil.which("debootstrap") or (
        "/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").exists() else None
    )
    if command is None:
        raise BaseImageError("debootstrap not found: install it (apt-get install debootstrap) to build the base image")
    if os.geteuid() != 0:
        raise BaseImageError("debootstrap needs root to build the base image: run as root, or pass BASE_IMAGE")
    include = "--include=" + ",".join(PACKAGES)
    result = subprocess.run(
        [command, "--variant=minbase", include, suite, str(target), mirror], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BaseImageError(f"debootstrap {suite} from {mirror} failed: {last[0]}")
    trim(target)


def trim(rootfs: Path) -> None:
    keep = {path for pattern in _KEEP for path in rootfs.glob(pattern)}
    for pattern in _JUNK_FILES:
        for path in rootfs.glob(pattern):
            if path.is_file() or path.is_symlink():
                path.unlink()
    for tree in _JUNK_TREES:
        for path in sorted((rootfs / tree).rglob("*"), reverse=True):  # children before their folders
            if path in keep:
                continue
            if not path.is_dir() or path.is_symlink():
                path.unlink()
            elif not any(path.iterdir()):
                path.rmdir()


def rootfs_tarball(mirror: str | None = None, cache: Path | None = None, suite: str = SUITE) -> Path:
    """The cached root filesystem tarball, made once (one process at a time) per recipe."""
    mirror = mirror or apt_mirror()
    cache = cache or tools_dir() / "base-image"
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / f"{base_tag(mirror, suite)}.tar"
    # Read-only: CI may have made the cache (and its lock) as root for a non-root test run.
    lock = os.open(cache / ".lock", os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent test sessions build it once
        if tarball.exists():
            return tarball
        with tempfile.TemporaryDirectory(dir=cache, prefix="rootfs-") as work:
            rootfs = Path(work) / "rootfs"
            _debootstrap(rootfs, mirror, suite)
            staging = Path(work) / "rootfs.tar"
            subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(staging), "."], check=True)
            staging.rename(tarball)
        for stale in cache.glob(f"{suite}-*.tar"):  # an older recipe's: never used again
            if stale != tarball:
                stale.unlink()
    finally:
        os.close(lock)
    return tarball


def has_image(client: docker.DockerClient, name: str) -> bool:
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def ensure_base_image(client: docker.DockerClient, mirror: str | None = None, suite: str = SUITE) -> str:
    """`offload-python-base:<tag>` in the engine: reused when there, else imported from the tarball."""
    mirror = mirror or apt_mirror()
    name = f"{REPOSITORY}:{base_tag(mirror, suite)}"
    if has_image(client, name):
        return name
    tarball = rootfs_tarball(mirror, suite=suite)
    repository, tag = name.split(":")
    client.api.import_image_from_file(str(tarball), repository=repository, tag=tag, changes=["ENV LANG=C.UTF-8"])
    client.images.get(name)  # the import reports errors in its stream; this raises if it did not land
    return name
