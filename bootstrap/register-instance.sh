#!/usr/bin/env bash
# Join this machine to the offload ECS cluster through ECS Anywhere, or leave it.
#
#   register-instance.sh               register (idempotent: a joined machine is left alone)
#   register-instance.sh --deregister  leave the cluster and forget the registration
#
# Input comes from the environment (Vagrant's shell provisioner `env:`, or
# `eval "$(offload activation --env)"`), never from arguments:
#   OFFLOAD_REGION, OFFLOAD_CLUSTER, OFFLOAD_ACTIVATION_ID, OFFLOAD_ACTIVATION_CODE
#                                        (the activation is not needed to re-join a registered machine)
#   OFFLOAD_ENABLE_GPU=1                 pass --enable-gpu
#   OFFLOAD_INSTANCE_ATTRIBUTES='{"site":"dc1"}'  ECS_INSTANCE_ATTRIBUTES, for placement constraints
#   HTTP_PROXY / HTTPS_PROXY / NO_PROXY  proxy for the agents and Docker (NO_PROXY gains the
#                                        metadata addresses 169.254.169.254 and 169.254.170.2)
#   OFFLOAD_INSTALL_PIN                  the pin file, when it is not beside this script (Vagrant)
#
# The official install script is downloaded at the commit pinned in
# ecs-anywhere-install.pin and run only if its sha256 matches (fail closed).
# The activation code stays out of every argument list this script creates (`ps` shows
# argv to every user; the environment only to root). The official script takes it only
# as --activation-code and passes it on as `amazon-ssm-agent -register -code`, which has
# no other way either: for those few seconds of registration it is visible in `ps`.
set -euo pipefail

die() {
  echo "register-instance: $*" >&2
  exit 1
}

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
testing="${OFFLOAD_TESTING:-0}"
# Tests run this as a normal user against a fake root, metadata service and install script.
root="${OFFLOAD_ROOT:-}"
if [[ "$testing" != 1 && -n "$root" ]]; then
  die "OFFLOAD_ROOT is for tests only (set OFFLOAD_TESTING=1)"
fi
imds="${OFFLOAD_IMDS_URL:-http://169.254.169.254}"
introspection="${OFFLOAD_ECS_INTROSPECTION_URL:-http://localhost:51678}"
registration_file="$root/var/lib/amazon/ssm/Vault/Store/RegistrationKey"
ecs_config="$root/etc/ecs/ecs.config"
proxy_env="$root/etc/offload/proxy.env" # read by systemd (as root) for the units' proxy
metadata_no_proxy="169.254.169.254,169.254.170.2,/var/run/docker.sock"
# Beside this script in bootstrap/; Vagrant uploads the script alone to /tmp/vagrant-shell
# and names the pin in its synced folder instead.
pin_file="${OFFLOAD_INSTALL_PIN:-$here/ecs-anywhere-install.pin}"
workdir=""
trap 'rm -rf "${workdir:-/nonexistent}"' EXIT

pin_value() {
  sed -n "s/^$1=//p" "$pin_file"
}

managed_instance_id() {
  [[ -f "$registration_file" ]] || return 0
  sed -n 's/.*"instanceID" *: *"\([^"]*\)".*/\1/p' "$registration_file"
}

container_instance_arn() {
  curl -fsS --max-time 3 "$introspection/v1/metadata" 2>/dev/null |
    sed -n 's/.*"ContainerInstanceArn" *: *"\([^"]*\)".*/\1/p' || true
}

require_root() {
  if [[ "$testing" != 1 && "$(id -u)" -ne 0 ]]; then
    die "run as root (sudo): the agents are system services"
  fi
}

# The agents must use the credentials SSM hands out for the activation's role.
# Anything else visible to root would be picked up first by the SDK chain.
refuse_other_credentials() {
  local name
  for name in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_WEB_IDENTITY_TOKEN_FILE; do
    if [[ -n "${!name:-}" ]]; then
      die "$name is set: unset it (and remove it from root's environment) so the agents use the activation's role"
    fi
  done
  if [[ -e "$root/root/.aws/credentials" || -e "$root/root/.aws/config" ]]; then
    die "$root/root/.aws has credentials or a config: move it away so the agents use the activation's role"
  fi
  local token role
  token="$(curl -fsS --max-time 1 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    "$imds/latest/api/token" 2>/dev/null || true)"
  role="$(curl -fsS --max-time 1 -H "X-aws-ec2-metadata-token: $token" \
    "$imds/latest/meta-data/iam/security-credentials/" 2>/dev/null || true)"
  if [[ -n "$role" ]]; then
    die "an EC2 instance profile ($role) is visible at $imds: detach it, or run ECS on EC2 instead of ECS Anywhere"
  fi
}

# NO_PROXY with the task metadata and credentials endpoints, which must never go through a proxy.
no_proxy_list() {
  local current="${NO_PROXY:-${no_proxy:-}}"
  echo "${current:+$current,}$metadata_no_proxy"
}

# A proxy URL can carry credentials (http://user:password@proxy:3128), so every file holding one is
# root's alone: created under umask 077 (private from its first byte, never chmod-ed after writing),
# and the units read it through EnvironmentFile=, since Environment= values are readable by any local
# user over D-Bus (`systemctl show -p Environment`; systemd.exec(5): "not suitable for passing secrets").
private_file() {
  mkdir -p "$(dirname "$1")"
  [[ -e "$1" ]] || (umask 077 && : >"$1")
  chmod go= "$1" # one an older run left world-readable is closed before anything secret goes in
}

write_agent_config() {
  private_file "$ecs_config"
  local attributes="${OFFLOAD_INSTANCE_ATTRIBUTES:-}"
  if [[ -n "$attributes" ]] && ! grep -qF "ECS_INSTANCE_ATTRIBUTES=$attributes" "$ecs_config"; then
    sed -i '/^ECS_INSTANCE_ATTRIBUTES=/d' "$ecs_config"
    echo "ECS_INSTANCE_ATTRIBUTES=$attributes" >>"$ecs_config"
  fi
  local proxy="${HTTPS_PROXY:-${HTTP_PROXY:-${https_proxy:-${http_proxy:-}}}}"
  [[ -n "$proxy" ]] || return 0
  local no_proxy_value unit dropin
  no_proxy_value="$(no_proxy_list)"
  sed -i '/^HTTP_PROXY=/d; /^NO_PROXY=/d' "$ecs_config"
  printf 'HTTP_PROXY=%s\nNO_PROXY=%s\n' "$proxy" "$no_proxy_value" >>"$ecs_config"
  private_file "$proxy_env"
  printf 'HTTP_PROXY=%s\nHTTPS_PROXY=%s\nNO_PROXY=%s\n' "$proxy" "$proxy" "$no_proxy_value" >"$proxy_env"
  for unit in docker amazon-ssm-agent ecs; do
    dropin="$root/etc/systemd/system/$unit.service.d"
    mkdir -p "$dropin"
    printf '[Service]\nEnvironmentFile=%s\n' "$proxy_env" >"$dropin/http-proxy.conf"
  done
  export NO_PROXY="$no_proxy_value" no_proxy="$no_proxy_value"
}

fetch_install_script() {
  local url sha256 target="$1"
  [[ -f "$pin_file" ]] ||
    die "no install-script pin at $pin_file: copy bootstrap/ whole (the script and its pin), or set OFFLOAD_INSTALL_PIN to the pin's path"
  url="$(pin_value url)"
  sha256="$(pin_value sha256)"
  if [[ ! "$sha256" =~ ^[0-9a-f]{64}$ ]]; then
    die "no sha256 pinned for the install script in $pin_file: run 'offload pin-install-script' where the internet is reachable"
  fi
  curl -fsS --retry 3 --max-time 60 -o "$target" "$url" || die "could not download the install script from $url"
  local actual
  actual="$(sha256sum "$target" | cut -d' ' -f1)"
  if [[ "$actual" != "$sha256" ]]; then
    rm -f "$target"
    die "install script sha256 $actual does not match the pinned $sha256: refusing to run it"
  fi
}

register() {
  local region="${OFFLOAD_REGION:-}" cluster="${OFFLOAD_CLUSTER:-}"
  local activation_id="${OFFLOAD_ACTIVATION_ID:-}" activation_code="${OFFLOAD_ACTIVATION_CODE:-}"
  [[ -n "$region" && -n "$cluster" ]] || die "OFFLOAD_REGION and OFFLOAD_CLUSTER must be set: eval \"\$(offload activation --env)\" first"
  require_root
  local instance arn
  instance="$(managed_instance_id)"
  arn="$(container_instance_arn)"
  if [[ -n "$instance" && -n "$arn" ]]; then
    echo "register-instance: already joined as $instance ($arn); nothing to do"
    return 0
  fi
  local flags=(--region "$region" --cluster "$cluster")
  if [[ -n "$instance" ]] && ssm_agent_enabled; then
    # Registered and its SSM agent installed: only the ECS agent is missing or down. The install
    # script then needs --skip-registration (without it, it demands activation values); it leaves
    # the SSM agent and its registration alone.
    flags+=(--skip-registration)
    activation_code=""
  else
    [[ -n "$activation_id" && -n "$activation_code" ]] || die "$(activation_missing "$instance")"
    [[ -n "$instance" ]] || refuse_other_credentials
    # A registration already on disk is kept by the install script: no second registration is used.
    flags+=(--activation-id "$activation_id")
  fi
  if [[ "${OFFLOAD_ENABLE_GPU:-0}" == 1 ]]; then
    flags+=(--enable-gpu)
  fi
  write_agent_config
  workdir="$(mktemp -d)"
  fetch_install_script "$workdir/ecs-anywhere-install.sh"
  run_install_script "$workdir/ecs-anywhere-install.sh" "$activation_code" "${flags[@]}"
  echo "register-instance: joined cluster $cluster as $(managed_instance_id)"
}

activation_missing() {
  local settings="OFFLOAD_ACTIVATION_ID and OFFLOAD_ACTIVATION_CODE must be set"
  if [[ -n "$1" ]]; then
    echo "registered with SSM as $1 but amazon-ssm-agent is not installed: $settings for the install script to reinstall it (the registration is kept): eval \"\$(offload activation --env)\" first"
  else
    echo "$settings: eval \"\$(offload activation --env)\" first"
  fi
}

# As the install script checks it (its SSM_SERVICE_NAME, snap or not).
ssm_agent_enabled() {
  systemctl is-enabled amazon-ssm-agent &>/dev/null ||
    systemctl is-enabled snap.amazon-ssm-agent.amazon-ssm-agent.service &>/dev/null
}

# The verified script, sourced by a bash whose argv holds no code: the code goes over in the
# environment, becomes the last of the script's positional parameters (its only way in: it resets
# ACTIVATION_CODE and reads no file) and is unset before the script runs, so nothing it starts
# (apt, dpkg, curl, docker) inherits it. `bash script --activation-code CODE` would show it in `ps`
# for the whole install.
# shellcheck disable=SC2016 # $code and $@ are the inner bash's
run_install_script() {
  local script="$1" code="$2"
  shift 2
  local source_it='code="$OFFLOAD_INSTALL_CODE"; unset OFFLOAD_INSTALL_CODE OFFLOAD_ACTIVATION_CODE; '
  source_it+='if [[ -n "$code" ]]; then set -- "$@" --activation-code "$code"; fi; unset code; . "$@"'
  OFFLOAD_INSTALL_CODE="$code" bash -c "$source_it" ecs-anywhere-install.sh "$script" "$@"
}

deregister() {
  require_root
  local instance arn cluster
  instance="$(managed_instance_id)"
  arn="$(container_instance_arn)"
  cluster="${OFFLOAD_CLUSTER:-$(sed -n 's/^ECS_CLUSTER=//p' "$ecs_config" 2>/dev/null | tail -n1)}"
  if command -v aws >/dev/null; then
    # The agents' own (SSM-provided) credentials; `offload cleanup --apply` covers what they may not do.
    if [[ -n "$arn" ]]; then
      aws ecs deregister-container-instance --cluster "$cluster" --container-instance "$arn" --force >/dev/null ||
        echo "register-instance: could not deregister $arn; run 'offload cleanup --apply' from the operator's machine" >&2
    fi
    if [[ -n "$instance" ]]; then
      aws ssm deregister-managed-instance --instance-id "$instance" >/dev/null ||
        echo "register-instance: could not deregister $instance; run 'offload cleanup --apply' from the operator's machine" >&2
    fi
  else
    echo "register-instance: no aws CLI here; 'offload cleanup --apply' deregisters ${instance:-the instance} from the operator's machine" >&2
  fi
  systemctl stop ecs amazon-ssm-agent 2>/dev/null || true
  rm -rf "$root/var/lib/ecs/data" "$root/var/lib/amazon/ssm/Vault/Store/RegistrationKey" \
    "$root/var/lib/amazon/ssm/Vault/Store/InstanceFingerprint" "$root/root/.aws/credentials"
  echo "register-instance: left the cluster${instance:+ ($instance)}; this machine can join again"
}

case "${1:-}" in
"") register ;;
--deregister) deregister ;;
-h | --help) sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0" ;;
*) die "unknown argument $1 (see --help)" ;;
esac
