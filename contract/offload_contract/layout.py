"""The S3 layout: where files come in, and where their results go."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from offload_contract import env

DEFAULT_INPUT_PREFIX = "incoming/"
DEFAULT_OUTPUT_PREFIX = "processed/"
DEFAULT_REJECTED_PREFIX = "rejected/"
REJECTS_SUFFIX = ".rejects.csv"
SHARD_PARTS = ".offload-shards/"  # below the output prefix: a sharded job's staged parts, deleted once assembled
MAX_KEY_BYTES = 1024  # S3's limit on a key's UTF-8 length


@dataclass(frozen=True)
class Layout:
    input_prefix: str = DEFAULT_INPUT_PREFIX
    output_prefix: str = DEFAULT_OUTPUT_PREFIX
    rejected_prefix: str = DEFAULT_REJECTED_PREFIX
    site_prefix: str = ""  # the task's site (SITE_PREFIX): its role may stage shard parts only below it

    def __post_init__(self) -> None:
        prefixes = (self.input_prefix, self.output_prefix, self.rejected_prefix)
        for name, value in zip(("input", "output", "rejected"), prefixes, strict=True):
            if not value or not value.endswith("/") or value.startswith("/"):
                raise ValueError(f"{name} prefix {value!r} must be non-empty, end with '/' and not start with '/'")
        # Results written under the input prefix would be processed again: a loop.
        for name, value in (("output", self.output_prefix), ("rejected", self.rejected_prefix)):
            if value.startswith(self.input_prefix) or self.input_prefix.startswith(value):
                raise ValueError(
                    f"{name} prefix {value!r} overlaps the input prefix {self.input_prefix!r}; "
                    "results would trigger processing again"
                )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Layout:
        return cls(
            input_prefix=environ.get(env.INPUT_PREFIX) or DEFAULT_INPUT_PREFIX,
            output_prefix=environ.get(env.OUTPUT_PREFIX) or DEFAULT_OUTPUT_PREFIX,
            rejected_prefix=environ.get(env.REJECTED_PREFIX) or DEFAULT_REJECTED_PREFIX,
            site_prefix=environ.get(env.SITE_PREFIX) or "",
        )

    def relative(self, key: str) -> str:
        """The key's path below the input prefix (the whole key if it is elsewhere)."""
        return key[len(self.input_prefix) :] if key.startswith(self.input_prefix) else key

    def output_key(self, key: str) -> str:
        return self.output_prefix + self.relative(key)

    def rejects_key(self, key: str) -> str:
        return self.rejected_prefix + self.relative(key) + REJECTS_SUFFIX

    def shard_part_key(self, job_id: str, index: int, kind: str) -> str:
        """A shard's staged part (kind: output, rejects or keys) until the job's results are assembled."""
        return f"{self.output_prefix}{SHARD_PARTS}{self.site_prefix}{job_id}/{index:04d}.{kind}"

    def is_result(self, key: str) -> bool:
        return key.startswith(self.output_prefix) or key.startswith(self.rejected_prefix)

    def is_input(self, key: str) -> bool:
        """True for an object uploaded under the input prefix (not a result, not a "folder")."""
        return key.startswith(self.input_prefix) and not self.is_result(key) and not key.endswith("/")

    def key_problem(self, key: str, suffixes: Iterable[str]) -> str | None:
        """Why an input key cannot become a job, in one line; None when it can."""
        suffixes = tuple(suffixes)
        if not any(key.lower().endswith(s.lower()) for s in suffixes):
            return f"file name does not end in {' or '.join(suffixes)}: only CSV files are loaded; rename or convert it"
        return self.path_problem(key)

    def path_problem(self, key: str) -> str | None:
        """Why results cannot be written for this key (the worker checks this too)."""
        if any(part in (".", "..") for part in key.split("/")):
            return "key has a '.' or '..' path segment, which tools that resolve paths move elsewhere: rename the file"
        longest = len(self.rejects_key(key).encode("utf-8"))
        if longest > MAX_KEY_BYTES:
            return (
                f"key is too long: its rejects report key would be {longest} bytes and S3 allows "
                f"{MAX_KEY_BYTES}: shorten the name"
            )
        return None


def parse_suffixes(value: str | None) -> tuple[str, ...]:
    if not value:
        return env.DEFAULT_INPUT_SUFFIXES
    suffixes = tuple(s.strip() for s in value.split(",") if s.strip())
    if not suffixes:
        raise ValueError(f"{env.INPUT_SUFFIXES} is set but names no suffix")
    return suffixes
