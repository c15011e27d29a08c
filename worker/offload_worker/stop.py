"""Stopping when ECS stops the task: SIGTERM (or a Ctrl-C by hand) ends the load cleanly.

StopTask sets the task's desired status STOPPED and the agent stops its containers the way
`docker stop` does: SIGTERM to the container's PID 1, SIGKILL once the container's
`stopTimeout` (else the agent's ECS_CONTAINER_STOP_TIMEOUT, 30 s) has passed
(aws/amazon-ecs-agent agent/engine/docker_task_engine.go, stopContainer). The kernel drops
a signal that a namespace's PID 1 has no handler for, so a Python PID 1 ignored SIGTERM: every
stop took the whole timeout, ended in SIGKILL (137) and left the job RUNNING.

The handler raises `Stopped` in the main thread: reading stops, the batches in flight finish
and the queued ones are dropped (every write is an idempotent put: a rerun writes them again),
the load processes are ended, the multipart uploads are aborted (no output object), and the
job is recorded FAILED with 128 + the signal's number, the exit code ECS then reports for the
container (143 for SIGTERM). Once every row is written the results are committed whatever
arrives: a commit cut in half could leave the output of a job recorded FAILED.

Not `linuxParameters.initProcessEnabled` (docker's --init) instead: with an init as PID 1 the
worker would get SIGTERM's default action and die mid-batch without recording anything, so
the handler is needed either way; the worker reaps its own load processes, so an init would
add nothing, and the task definition keeps to what every ECS Anywhere host's Docker runs.
"""

from __future__ import annotations

import signal
from types import FrameType

from aws_lambda_powertools import Logger

from offload_worker.errors import WorkerError

logger = Logger(service="offload-worker", child=True)

_SENDER: dict[int, str] = {signal.SIGTERM: "stopped by ECS", signal.SIGINT: "interrupted"}


class Stopped(WorkerError):
    """A stop signal arrived while the file was loading."""

    kind = "stopped"

    def __init__(self, signum: int) -> None:
        name = signal.Signals(signum).name
        super().__init__(
            f"{_SENDER.get(signum, 'stopped')}: {name} while loading; no output written, "
            "`offload rerun` finishes the file"
        )
        self.exit_code = 128 + signum


class StopSignals:
    """SIGTERM and SIGINT, recorded from start-up and raised as `Stopped` once armed."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._armed = False

    def install(self) -> None:
        self.received, self._armed = None, False
        signal.signal(signal.SIGTERM, self._handle)
        # A background job started with SIGINT ignored (nohup, a shell's `&`) keeps ignoring it.
        if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            signal.signal(signal.SIGINT, self._handle)

    def arm(self) -> None:
        """From here a stop signal raises `Stopped` (at once if one came before)."""
        self._armed = True
        if self.received is not None:
            raise Stopped(self.received)

    def finishing(self) -> None:
        """Every row is written: the results are committed and recorded, whatever arrives."""
        self._armed = False

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is not None:
            return  # already stopping: let that finish (SIGKILL follows if it takes too long)
        self.received = signum
        if self._armed:
            raise Stopped(signum)
        logger.warning("stop signal: finishing the job first", extra={"signal": signal.Signals(signum).name})


SIGNALS = StopSignals()


def ignore_in_load_process() -> None:
    """A load process leaves stopping to the main process, which ends it (a Ctrl-C reaches the
    whole process group; a load process cut off on its own would only muddle the reason)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
