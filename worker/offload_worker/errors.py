"""Failures the worker reports as one line and an exit code (docs/contract.md)."""


class WorkerError(Exception):
    """Base: str(error) is the one line shown to the operator."""

    exit_code = 3
    kind = "error"


class ConfigError(WorkerError):
    """The task was started with missing or invalid settings."""

    exit_code = 2
    kind = "config"


class FileRejected(WorkerError):
    """The file as a whole cannot be loaded (missing, empty, not UTF-8, bad header)."""

    exit_code = 1
    kind = "file"

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


class RowRejected(ValueError):
    """One row cannot be loaded; str() is the reason written to the rejects report."""


class WriteFailed(WorkerError):
    """DynamoDB or S3 kept failing past the deadline: a rerun will finish the job."""

    exit_code = 3
    kind = "write"


class AccessDenied(WorkerError):
    """AWS refused an action to the task's role (403): its policy needs fixing, not the file."""

    exit_code = 4
    kind = "permission"
