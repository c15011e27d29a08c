"""`offload activation | fleet | cleanup | doctor | pin-install-script`: the on-prem side."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from offload.commands.context import FleetContext, cluster_option, role_option, target_option
from offload.lib.fleet import activation as activations
from offload.lib.fleet import doctor, install_pin, machines


@click.command()
@target_option
@cluster_option
@role_option
@click.option("--instances", type=click.IntRange(1, 1000), help="Machines a new activation admits (default 1).")
@click.option(
    "--expires", default="24h", show_default=True, help="Lifetime of a new activation: 90m, 24h, 7d (<= 30d)."
)
@click.option("--new", "force_new", is_flag=True, help="Mint a new activation even if the stack's is still usable.")
@click.option("--env", "as_env", is_flag=True, help="Print shell export lines for Vagrant / register-instance.sh.")
@click.option(
    "--code-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the code to this 0600 file (outside the repo); the export reads it from there.",
)
@click.option("--site", help="The site (terraform `sites`) whose hosts join: its activation, role and attributes.")
def activation(
    target: str,
    cluster: str | None,
    instance_role: str | None,
    instances: int | None,
    expires: str,
    force_new: bool,
    as_env: bool,
    code_file: Path | None,
    site: str | None,
) -> None:
    """The activation machines join with: the stack's while usable, else a freshly minted one."""
    try:
        lifetime = activations.parse_duration(expires)
        context = FleetContext(target, cluster, instance_role, need_stack=site is not None)
        chosen_site = activations.stack_site(context.outputs, site) if site else None
    except activations.FleetError as error:
        raise click.ClickException(str(error)) from None
    ssm = context.client("ssm")
    role = instance_role or (chosen_site.instance_role if chosen_site else context.role)
    chosen = None
    stack_id = chosen_site.activation_id if chosen_site else context.outputs.get("activation_id")
    stack_code = chosen_site.code if chosen_site else context.outputs.get("activation_code")
    if stack_id and not force_new:
        current = activations.describe_activation(ssm, str(stack_id))
        problem = current.problem() if current else f"activation {stack_id} no longer exists"
        if current and problem is None and stack_code:
            chosen = activations.Activation(**{**vars(current), "code": str(stack_code)})
        else:
            click.echo(f"offload: {problem}; minting a new one", err=True)
    if chosen is None:
        chosen = activations.mint_activation(ssm, role, instances or 1, lifetime, context.cluster)
        click.echo(
            f"offload: new activation {chosen.activation_id} for {chosen.limit} machine(s), "
            f"expires {chosen.expires:%Y-%m-%d %H:%M} UTC",
            err=True,
        )
    if code_file is not None:
        try:
            activations.write_code_file(code_file, chosen.code or "")
        except activations.FleetError as error:
            raise click.ClickException(str(error)) from None
    if as_env:
        click.echo(
            activations.env_lines(
                context.region,
                context.cluster,
                chosen,
                str(code_file) if code_file else None,
                chosen_site.attributes if chosen_site else None,
            )
        )
    else:
        click.echo(
            f"activation {chosen.activation_id}: {chosen.used}/{chosen.limit} used, expires "
            f"{chosen.expires:%Y-%m-%d %H:%M} UTC (code hidden: --env prints it)"
        )


@click.command("fleet")
@target_option
@cluster_option
@role_option
def fleet_command(target: str, cluster: str | None, instance_role: str | None) -> None:
    """Managed instances and container instances side by side: ping, agent, tasks, resources."""
    context = FleetContext(target, cluster, instance_role)
    found = machines.machines(context.client("ssm"), context.client("ecs"), context.cluster, context.role)
    click.echo(machines.table(found) if found else f"no machines in cluster {context.cluster}: vagrant up to add one")


@click.command()
@target_option
@cluster_option
@role_option
@click.option("--apply", "apply_changes", is_flag=True, help="Deregister for real (default: dry run).")
@click.option("--all", "everything", is_flag=True, help="Every machine of the stack (before terraform destroy).")
@click.option("--computer-name", help="Only this machine (Vagrant's destroy trigger passes its hostname).")
@click.option("--stale-after", default="15m", show_default=True, help="Quiet for longer than this counts as stale.")
def cleanup(
    target: str,
    cluster: str | None,
    instance_role: str | None,
    apply_changes: bool,
    everything: bool,
    computer_name: str | None,
    stale_after: str,
) -> None:
    """Deregister stale machines: container instances and managed instances that no longer ping."""
    try:
        context = FleetContext(target, cluster, instance_role)
    except click.ClickException:
        if everything:  # make destroy on a stack that was never applied
            click.echo("offload cleanup: no stack, nothing to clean up")
            return
        raise
    ssm, ecs = context.client("ssm"), context.client("ecs")
    found = machines.machines(ssm, ecs, context.cluster, context.role)
    if everything or computer_name:
        picked = [
            (m, "leaving with the stack" if everything else "its VM is being destroyed")
            for m in found
            if everything or m.computer_name == computer_name
        ]
    else:
        picked = machines.stale(found, activations.parse_duration(stale_after))
    if not picked:
        click.echo("offload cleanup: nothing stale")
    for machine, why in picked:
        if apply_changes:
            done = machines.deregister(ssm, ecs, context.cluster, machine)
            click.echo(f"deregistered {', '.join(done)} ({why})")
        else:
            click.echo(f"would deregister {machine.managed_instance_id} ({why}); --apply to do it")


@click.command("doctor")
@target_option
@click.option("--machine/--no-machine", default=None, help="Check this machine's agents (default: if it has them).")
def doctor_command(target: str, machine: bool | None) -> None:
    """Check agents, Docker, cgroups, credentials, clock, activation and connectivity; one line each."""
    checks: list[doctor.Check] = []
    here = doctor.Machine()
    if machine or (machine is None and here.is_instance):
        checks += here.checks()
    try:
        context = FleetContext(target, None, None, need_stack=True)
        endpoint = context.endpoint or f"https://sts.{context.region}.amazonaws.com/"
        checks.append(doctor.clock(endpoint))
        checks += doctor.stack_checks(context.client("ssm"), context.client("ecs"), context.outputs)
    except click.ClickException as error:
        checks.append(doctor.Check("stack", False, error.message))
    for check in checks:
        click.echo(check.line())
    sys.exit(0 if all(c.ok for c in checks) else 1)


@click.command("pin-install-script")
@click.option("--ref", required=True, help="Tag or commit of aws/amazon-ecs-agent to pin.")
def pin_install_script(ref: str) -> None:
    """Pin the ECS Anywhere install script: download it at REF and record its sha256 (needs internet)."""
    try:
        pinned = install_pin.pin(ref)
    except install_pin.PinError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"pinned {pinned.url} sha256={pinned.sha256} ({pinned.size} bytes, {datetime.now(UTC):%Y-%m-%d}); "
        "review and commit"
    )


COMMANDS = (activation, fleet_command, cleanup, doctor_command, pin_install_script)
