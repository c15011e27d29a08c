"""Fakes for bootstrap/register-instance.sh: the official install script, systemctl and aws
(each records what it was given), a metadata service and ECS agent on 127.0.0.1, a pin, and
the register provisioner as the Vagrantfile declares it, run the way Vagrant runs it."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "bootstrap" / "register-instance.sh"
VAGRANTFILE = (REPO / "Vagrantfile").read_text()
INSTANCE = "mi-0123456789abcdef0"
ARN = "arn:aws:ecs:eu-west-1:123456789012:container-instance/offload/5f1e"
SSM_SERVICE_LINK = "etc/systemd/system/multi-user.target.wants/amazon-ssm-agent.service"
AGENT_DB = "var/lib/ecs/data/agent.db"

# Stands in for the official script (f72c5682 of aws/amazon-ecs-agent, scripts/ecs-anywhere-install.sh):
# its argument checks (lines 64-195 there), then what it does: install and register the SSM agent unless
# --skip-registration, start the ECS agent. It records its own argv (/proc/$$/cmdline), its parameters,
# every process whose argv holds the activation code and every exported variable that holds it (bash
# builtins only, so that looking does not itself put the code in an argv).
_FAKE_INSTALL = r"""#!/bin/bash
set -e
log=@LOG@ root=@ROOT@
fail() { echo "$*"; echo "Installation Failed"; exit 1; }
own=""
while IFS= read -r -d '' arg; do own+="$arg "; done </proc/$$/cmdline
echo "argv $own" >>"$log"
echo "install $*" >>"$log"
REGION="" ACTIVATION_ID="" ACTIVATION_CODE="" ECS_CLUSTER=default SKIP_REGISTRATION=false
while :; do
  case "$1" in
  --region | --cluster | --activation-id | --activation-code)
    [[ "${2:0:2}" != "--" ]] ||
      fail "Option $1 was passed an invalid value: $2. Perhaps you passed in an empty env var?"
    case "$1" in
    --region) REGION="$2" ;; --cluster) ECS_CLUSTER="$2" ;;
    --activation-id) ACTIVATION_ID="$2" ;; --activation-code) ACTIVATION_CODE="$2" ;;
    esac
    shift 2 ;;
  --skip-registration) SKIP_REGISTRATION=true; shift ;;
  --enable-gpu) shift ;;
  *) [ -z "$1" ] && break; fail "invalid option: [$1]" ;;
  esac
done
[ -n "$REGION" ] || fail "--region is required"
if $SKIP_REGISTRATION; then
  systemctl is-enabled amazon-ssm-agent &>/dev/null ||
    fail "--skip-registration flag specified but the SSM agent service is not running."
elif [[ -z $ACTIVATION_ID || -z $ACTIVATION_CODE ]]; then
  fail "Both --activation-id and --activation-code are required unless --skip-registration is specified."
fi
if [[ -n "$ACTIVATION_CODE" ]]; then
  for cmdline in /proc/[0-9]*/cmdline; do
    seen=""
    while IFS= read -r -d '' arg; do seen+="$arg "; done <"$cmdline" 2>/dev/null || true
    [[ "$seen" != *"$ACTIVATION_CODE"* ]] || echo "code-in-argv $seen" >>"$log"
  done
  for name in $(compgen -e); do
    [[ "${!name}" != *"$ACTIVATION_CODE"* ]] || echo "code-in-env $name" >>"$log"
  done
fi
store="$root/var/lib/amazon/ssm/Vault/Store"
if ! $SKIP_REGISTRATION; then
  systemctl enable amazon-ssm-agent
  if [[ ! -f "$store/RegistrationKey" ]]; then
    mkdir -p "$store"
    echo '{"instanceID":"@INSTANCE@","region":"'"$REGION"'"}' >"$store/RegistrationKey"
    echo "ssm-register -id $ACTIVATION_ID -region $REGION" >>"$log"
  fi
fi
mkdir -p "$root/etc/ecs" "$root/var/lib/ecs/data"
echo "ECS_CLUSTER=$ECS_CLUSTER" >>"$root/etc/ecs/ecs.config"
touch "$root/@AGENT_DB@"
"""

# systemctl and aws record their arguments; `systemctl enable/is-enabled amazon-ssm-agent` keep and
# read the unit's link as systemd does.
_FAKE_SYSTEMCTL = r"""#!/bin/bash
echo "systemctl $*" >>@LOG@
link=@ROOT@/@LINK@
case "$1" in
enable) mkdir -p "$(dirname "$link")" && touch "$link" ;;
is-enabled) [[ "$2" == amazon-ssm-agent && -e "$link" ]] ;;
esac
"""
_FAKE_AWS = """#!/bin/bash
echo "aws $*" >>@LOG@
"""


def _fill(template: str, log: str, root: str) -> str:
    values = {
        "@LOG@": shlex.quote(log),
        "@ROOT@": shlex.quote(root) if root else '""',
        "@INSTANCE@": INSTANCE,
        "@AGENT_DB@": AGENT_DB,
        "@LINK@": SSM_SERVICE_LINK,
    }
    for key, value in values.items():
        template = template.replace(key, value)
    return template


def fake_install_script(log: str, root: str) -> str:
    """The fake install script, writing to `log` and under `root` ("" for /) as the machine running it sees them."""
    return _fill(_FAKE_INSTALL, log, root)


def write_fake_tools(bin_dir: Path, log: str, root: str) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, template in (("systemctl", _FAKE_SYSTEMCTL), ("aws", _FAKE_AWS)):
        (bin_dir / name).write_text(_fill(template, log, root))
        (bin_dir / name).chmod(0o755)


def write_pin(path: Path, url: str, sha256: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"# test pin\nurl={url}\nsha256={sha256}\n")


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class FakeServices:
    """The install script's download URL, the EC2 metadata service and the ECS agent's introspection API."""

    install_script: str
    agent_db: Path  # the ECS agent answers once the install script has "started" it
    url: str = ""
    instance_profile: list[str] = field(default_factory=list)


@contextmanager
def fake_services(install_script: str, agent_db: Path) -> Iterator[FakeServices]:
    state = FakeServices(install_script, agent_db)

    class Handler(BaseHTTPRequestHandler):
        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two sends: without this each request waits ~40 ms for a delayed ACK.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, code: int, body: str) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self) -> None:  # IMDSv2 token: only "on EC2"
            self._send(200, "token") if state.instance_profile else self._send(404, "")

        def do_GET(self) -> None:
            if self.path == "/install.sh":
                self._send(200, state.install_script)
            elif self.path == "/v1/metadata" and state.agent_db.exists():
                self._send(200, json.dumps({"Cluster": "offload", "ContainerInstanceArn": ARN}))
            elif self.path.startswith("/latest/meta-data/iam/security-credentials/") and state.instance_profile:
                self._send(200, state.instance_profile[0])
            else:
                self._send(404, "")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll: shutdown() waits for it (0.5 s by default, at every test's teardown).
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Provisioner:
    """The Vagrantfile's register provisioner: what it uploads, where to, and the `env:` it passes."""

    path: Path
    upload_path: str
    guest_repo: str
    env: dict[str, str]

    def command(self) -> str:
        """What Vagrant's shell provisioner sends to the guest's `sudo -E -H bash -l` on stdin
        (hashicorp/vagrant plugins/provisioners/shell/provisioner.rb, provision_ssh and quote_and_escape)."""
        exports = "".join(f" {name}={_vagrant_quote(value)}" for name, value in self.env.items())
        return f"chmod +x '{self.upload_path}' &&{exports} {self.upload_path}"


def _vagrant_quote(text: str) -> str:
    return '"' + text.replace('"', '"\\""') + '"'


def register_provisioner(host_env: dict[str, str]) -> Provisioner:
    """Read from the Vagrantfile (no Ruby here): the provisioner's `path:`, its `upload_path:` (Vagrant's
    default /tmp/vagrant-shell), the synced folder's guest path, and REGISTRATION_ENV as Vagrant would
    build it from `host_env` (names passed through when set, plus its fixed entries)."""
    block = re.search(r'node\.vm\.provision "register", type: "shell",(.*?)\n\n', VAGRANTFILE, re.S)
    assert block, "the Vagrantfile has no register provisioner"
    settings = block.group(1)
    path = re.search(r'path: "([^"]+)"', settings)
    upload = re.search(r'upload_path: "([^"]+)"', settings)
    assert path and "env: REGISTRATION_ENV" in settings
    guest_repo = re.search(r'^GUEST_REPO = "([^"]+)"', VAGRANTFILE, re.M)
    assert guest_repo and 'synced_folder ".", GUEST_REPO' in VAGRANTFILE
    env_block = re.search(r"REGISTRATION_ENV = %w\[(.*?)\]\.each_with_object\(\{(.*?)\}\)", VAGRANTFILE, re.S)
    assert env_block, "REGISTRATION_ENV is not the %w[...].each_with_object({...}) the tests read"
    fixed = {
        name: value.replace("#{GUEST_REPO}", guest_repo.group(1))
        for name, value in re.findall(r'"(\w+)" => "([^"]*)"', env_block.group(2))
    }
    passed = {name: host_env[name] for name in env_block.group(1).split() if host_env.get(name)}
    return Provisioner(
        REPO / path.group(1),
        upload.group(1) if upload else "/tmp/vagrant-shell",
        guest_repo.group(1),
        {**fixed, **passed},
    )
