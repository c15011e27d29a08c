"""Every offload command explains itself (sqlite-utils style)."""

import pytest
from click.testing import CliRunner
from offload.commands import cli


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help(name: str) -> None:
    command = cli.commands[name]
    assert command.help and len(command.help) > 20, name
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0 and " ".join(command.help.split()[:4]) in " ".join(result.output.split())


def test_worker_help_lists_its_settings_and_exit_codes() -> None:
    from offload_worker.cli import USAGE

    assert "S3_BUCKET_NAME" in USAGE and "Exit codes" in USAGE
