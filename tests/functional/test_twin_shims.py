"""Each twin shim, through boto3 over HTTP, and that stock moto behaviour is left alone."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from offload.twin.onprem import JoinError, heartbeat, register_managed_instance

from tests.conftest import REGION
from tests.twin_cluster import CLUSTER, FAMILY, instance_role, join_instance, make_cluster

pytestmark = pytest.mark.functional


def test_activation_limit_is_consumed_and_enforced(twin: str) -> None:
    ssm = boto3.client("ssm")
    made = ssm.create_activation(IamRole=instance_role(), RegistrationLimit=2, DefaultInstanceName="rack-1")
    ids = [register_managed_instance(twin, REGION, made["ActivationId"], made["ActivationCode"]) for _ in range(2)]
    assert all(i.startswith("mi-") and len(i) == 20 for i in ids)
    with pytest.raises(JoinError, match="registration limit"):
        register_managed_instance(twin, REGION, made["ActivationId"], made["ActivationCode"])
    (listed,) = ssm.describe_activations()["ActivationList"]
    assert (listed["RegistrationLimit"], listed["RegistrationsCount"], listed["Expired"]) == (2, 2, False)
    assert "ActivationCode" not in listed
    with pytest.raises(JoinError, match="not valid"):
        register_managed_instance(twin, REGION, made["ActivationId"], "wrong-code")


def test_expired_activation_is_shown_and_refused(twin: str) -> None:
    ssm = boto3.client("ssm")
    role = instance_role()  # first, so its time (moto loads managed policies) is not the activation's
    expires = datetime.now(UTC) + timedelta(seconds=2)
    made = ssm.create_activation(IamRole=role, ExpirationDate=expires)
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.2)
    assert ssm.describe_activations()["ActivationList"][0]["Expired"] is True
    with pytest.raises(JoinError, match="expired"):
        register_managed_instance(twin, REGION, made["ActivationId"], made["ActivationCode"])
    ssm.delete_activation(ActivationId=made["ActivationId"])
    assert ssm.describe_activations()["ActivationList"] == []
    with pytest.raises(ClientError, match="InvalidActivation"):
        ssm.delete_activation(ActivationId=made["ActivationId"])


def test_activation_needs_a_role_that_trusts_ssm(twin: str) -> None:
    boto3.client("iam").create_role(RoleName="not-for-ssm", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    with pytest.raises(ClientError, match="missing ssm service principal"):
        boto3.client("ssm").create_activation(IamRole="not-for-ssm")


def test_managed_instances_are_described_pinged_and_deregistered(twin: str) -> None:
    ssm = boto3.client("ssm")
    made = ssm.create_activation(IamRole=instance_role())
    instance_id = register_managed_instance(twin, REGION, made["ActivationId"], made["ActivationCode"])
    heartbeat(twin, REGION, instance_id)
    (info,) = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])["InstanceInformationList"]
    assert info["PingStatus"] == "Online" and info["ActivationId"] == made["ActivationId"]
    ssm.deregister_managed_instance(InstanceId=instance_id)
    assert ssm.describe_instance_information()["InstanceInformationList"] == []


def test_external_task_definition_keeps_bridge_and_fargate_is_untouched(twin: str) -> None:
    ecs = boto3.client("ecs")
    external = ecs.register_task_definition(
        family="ext", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
        containerDefinitions=[{"name": "c", "image": "i", "memory": 128}])["taskDefinition"]
    assert external["networkMode"] == "bridge" and "EXTERNAL" in external["compatibilities"]
    fargate = ecs.register_task_definition(
        family="fg", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "c", "image": "i"}])["taskDefinition"]
    assert fargate["networkMode"] == "awsvpc"  # stock moto behaviour


def test_container_instance_needs_a_registered_managed_instance(twin: str) -> None:
    make_cluster()
    with pytest.raises(ClientError, match="not a registered SSM managed instance"):
        boto3.client("ecs").register_container_instance(
            cluster=CLUSTER, instanceIdentityDocument=json.dumps({"instanceId": "mi-00000000000000000"}))
    instance = join_instance(twin, memory_mib=2048)
    (described,) = boto3.client("ecs").describe_container_instances(
        cluster=CLUSTER, containerInstances=[instance.container_instance_arn])["containerInstances"]
    assert described["ec2InstanceId"] == instance.managed_instance_id
    memory = next(r for r in described["registeredResources"] if r["name"] == "MEMORY")
    assert memory["integerValue"] == 2048


def test_run_task_honours_client_token_and_refuses_network_configuration(twin: str) -> None:
    make_cluster()
    join_instance(twin)
    ecs = boto3.client("ecs")
    first = ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL", clientToken="t-1")
    again = ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL", clientToken="t-1")
    assert first["tasks"][0]["taskArn"] == again["tasks"][0]["taskArn"]
    assert len(ecs.list_tasks(cluster=CLUSTER)["taskArns"]) == 1
    with pytest.raises(ClientError, match="not valid for launch type EXTERNAL"):
        ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL", networkConfiguration={
            "awsvpcConfiguration": {"subnets": ["subnet-1"]}})


def test_full_instance_answers_failures_and_a_stopped_task_frees_it(twin: str) -> None:
    make_cluster(memory=3000)
    instance = join_instance(twin, memory_mib=4096)
    ecs = boto3.client("ecs")
    running = ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL")["tasks"][0]
    full = ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL")
    assert full["tasks"] == []
    assert full["failures"] == [{"arn": instance.container_instance_arn, "reason": "RESOURCE:MEMORY"}]
    ecs.submit_task_state_change(cluster=CLUSTER, task=running["taskArn"], status="STOPPED", reason="done",
                                 containers=[{"containerName": "worker", "exitCode": 0, "status": "STOPPED"}])
    (stopped,) = ecs.describe_tasks(cluster=CLUSTER, tasks=[running["taskArn"]])["tasks"]
    assert stopped["lastStatus"] == "STOPPED" and stopped["containers"][0]["exitCode"] == 0
    assert ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL")["tasks"]


def test_aws_managed_policies_are_loaded(twin: str) -> None:
    policy = boto3.client("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
    assert policy["Policy"]["PolicyName"] == "AmazonSSMManagedInstanceCore"


def test_placement_spreads_and_honours_constraints_and_gpus(twin: str) -> None:
    from offload.twin.ecs.placement import MEMBER_OF_UNMET
    from offload_contract.task import placement

    make_cluster()
    dc1 = join_instance(twin, attributes={"site": "dc1"})
    dc2 = join_instance(twin, attributes={"site": "dc2"}, gpus=1)
    ecs = boto3.client("ecs")
    boto3.client("ecs").register_task_definition(
        family="gpu-worker", requiresCompatibilities=["EXTERNAL"], networkMode="bridge",
        containerDefinitions=[{"name": "worker", "image": "w", "memory": 256, "cpu": 128, "essential": True,
                               "resourceRequirements": [{"type": "GPU", "value": "1"}]}])

    def run(family: str, constraint: str | None) -> dict:
        return ecs.run_task(cluster=CLUSTER, taskDefinition=family, launchType="EXTERNAL", **placement(constraint))

    spread = [run(FAMILY, None)["tasks"][0]["containerInstanceArn"] for _ in range(2)]
    assert sorted(spread) == sorted([dc1.container_instance_arn, dc2.container_instance_arn])
    assert run(FAMILY, "attribute:site == dc2")["tasks"][0]["containerInstanceArn"] == dc2.container_instance_arn
    assert run(FAMILY, "attribute:site in [dc1, dc3]")["tasks"][0]["containerInstanceArn"] == dc1.container_instance_arn
    nowhere = run(FAMILY, "attribute:site == dc3")
    assert nowhere["tasks"] == [] and {f["reason"] for f in nowhere["failures"]} == {MEMBER_OF_UNMET}
    assert run("gpu-worker", None)["tasks"][0]["containerInstanceArn"] == dc2.container_instance_arn
    no_gpu = run("gpu-worker", "attribute:site == dc1")
    assert {f["arn"]: f["reason"] for f in no_gpu["failures"]} == {
        dc1.container_instance_arn: "RESOURCE:GPU", dc2.container_instance_arn: MEMBER_OF_UNMET}
    with pytest.raises(ClientError, match="the twin's placement understands"):
        run(FAMILY, "attribute:site =~ dc.*")


def _stopped_report(ecs: Any, task_arn: str, **container: Any) -> dict[str, Any]:
    ecs.submit_task_state_change(cluster=CLUSTER, task=task_arn, status="STOPPED", reason="",
                                 containers=[{"containerName": "worker", "status": "STOPPED", **container}])
    (task,) = ecs.describe_tasks(cluster=CLUSTER, tasks=[task_arn])["tasks"]
    return dict(task)


def test_stop_task_leaves_a_running_external_task_to_its_agent(twin: str) -> None:
    make_cluster(memory=3000)
    instance = join_instance(twin, memory_mib=4096)
    ecs = boto3.client("ecs")
    arn = ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL")["tasks"][0]["taskArn"]
    ecs.submit_task_state_change(cluster=CLUSTER, task=arn, status="RUNNING",
                                 containers=[{"containerName": "worker", "status": "RUNNING"}])
    stopping = ecs.stop_task(cluster=CLUSTER, task=arn, reason="operator: wrong file")["task"]
    assert (stopping["lastStatus"], stopping["desiredStatus"]) == ("RUNNING", "STOPPED")
    assert stopping["stopCode"] == "UserInitiated" and stopping["stoppedReason"] == "operator: wrong file"
    assert ecs.list_tasks(cluster=CLUSTER, desiredStatus="RUNNING")["taskArns"] == []  # what the agent polls
    assert ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL")["failures"] == [
        {"arn": instance.container_instance_arn, "reason": "RESOURCE:MEMORY"}]  # still holds its memory
    stopped = _stopped_report(ecs, arn, exitCode=143)
    assert (stopped["lastStatus"], stopped["stopCode"]) == ("STOPPED", "UserInitiated")
    assert stopped["stoppedReason"] == "operator: wrong file" and stopped["containers"][0]["exitCode"] == 143


def test_stop_task_before_the_agent_started_it_stops_it_at_once_and_frees_its_room(twin: str) -> None:
    make_cluster(memory=3000)
    join_instance(twin, memory_mib=4096)
    ecs = boto3.client("ecs")
    arn = ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL")["tasks"][0]["taskArn"]
    stopped = ecs.stop_task(cluster=CLUSTER, task=arn)["task"]
    assert (stopped["lastStatus"], stopped["stopCode"], stopped["stoppedReason"]) == (
        "STOPPED", "UserInitiated", "Task stopped by user")
    assert ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL")["tasks"]  # room again


def test_stopped_reports_carry_container_reasons_and_the_stop_code(twin: str) -> None:
    make_cluster()
    join_instance(twin)
    ecs = boto3.client("ecs")

    def run() -> str:
        return str(ecs.run_task(cluster=CLUSTER, taskDefinition=FAMILY, launchType="EXTERNAL")["tasks"][0]["taskArn"])

    never_ran = _stopped_report(ecs, run(), reason="CannotPullContainerError: no such image")
    assert never_ran["stopCode"] == "TaskFailedToStart" and "exitCode" not in never_ran["containers"][0]
    assert never_ran["containers"][0]["reason"] == "CannotPullContainerError: no such image"
    oom = run()
    ecs.submit_task_state_change(cluster=CLUSTER, task=oom, status="RUNNING",
                                 containers=[{"containerName": "worker", "status": "RUNNING"}])
    killed = _stopped_report(ecs, oom, exitCode=137, reason="OutOfMemoryError: Container killed due to memory usage")
    assert (killed["stopCode"], killed["stoppedReason"]) == ("EssentialContainerExited",
                                                               "Essential container in task exited")
    assert killed["containers"][0]["reason"].startswith("OutOfMemoryError")
    assert killed["containers"][0]["exitCode"] == 137


def test_the_task_stopped_event_has_ecs_fields_and_no_exit_code_for_a_container_that_never_ran() -> None:
    from types import SimpleNamespace

    from offload.twin.ecs.tasks import task_state_event

    pulled = SimpleNamespace(name="worker", exitCode=None, reason="CannotPullContainerError: no such image")
    task = SimpleNamespace(id="t1", _account_id="123456789012", region_name=REGION, task_arn="arn:task/t1",
                           cluster_arn="arn:cluster/c", task_definition_arn="arn:td/f:1", container_instance_arn="ci",
                           launch_type="EXTERNAL", stopped_reason="CannotPullContainerError: no such image",
                           stop_code="TaskFailedToStart", started_by="offload-dispatch", overrides={},
                           containers=[pulled, SimpleNamespace(name="sidecar", exitCode=0)])
    detail = task_state_event(task)["detail"]
    assert (detail["stopCode"], detail["stoppedReason"]) == ("TaskFailedToStart", pulled.reason)
    assert detail["containers"] == [
        {"name": "worker", "lastStatus": "STOPPED", "reason": pulled.reason},
        {"name": "sidecar", "lastStatus": "STOPPED", "exitCode": 0},
    ]
