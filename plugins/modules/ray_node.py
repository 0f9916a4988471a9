#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ray_node
short_description: Start or stop the Ray node (head or worker) of this host, idempotently
version_added: 0.1.0
description:
  - Starts this host's Ray node with C(ray start), as the head or as a worker joining O(head_address),
    or stops it with C(ray stop) and removes the session directories under O(temp_dir).
  - Whether the node runs is decided from Ray's own state, not from a pid file - the GCS's record of an
    alive node with this O(node_ip) in the requested cluster, and the local session's raylet socket
    under O(temp_dir).
  - A node that runs with other settings than requested (role, CPUs, GPUs, custom resources, temp dir,
    or another cluster) is restarted when O(restart_on_change=true); otherwise the module fails saying
    what differs.
  - Failures of C(ray start) are reported with the fix - head unreachable, Ray/Python version mismatch
    (both versions named), port held by another program, token refused, C(ray) not found in the venv.
  - With O(service_name) the node runs under systemd as O(service_user) - C(ray start --block) in
    C(/etc/systemd/system/<service_name>.service), enabled, restarted by systemd when a Ray process of the
    node dies and started again at boot. A unit whose C([Service]) lines differ from the wanted ones is a
    settings difference (see O(restart_on_change)); C([Unit]) and C([Install]) lines are rewritten with a
    daemon-reload only (action C(updated)). A node that runs outside the unit (started by an earlier release
    of this module, for example as root) is stopped, its session directories removed and started under the
    unit - the upgrade to this layout.
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  state:
    description: Whether the Ray node should run.
    type: str
    default: started
    choices: [started, stopped]
  role:
    description: Start a C(head) (GCS, dashboard) or a C(worker) that joins O(head_address).
    type: str
    default: worker
    choices: [head, worker]
  node_ip:
    description:
      - IP address this node announces (C(--node-ip-address)); required so multi-homed hosts
        use the intended network.
      - Required when O(state=started).
    type: str
  port:
    description: GCS port of the head (C(--port) on the head; the port of O(head_address) when it has none).
    type: int
    default: 6379
  head_address:
    description:
      - Address of the head, C(HOST) or C(HOST:PORT). Required for O(role=worker); ignored for a head.
    type: str
  num_cpus:
    description: CPUs this node offers (C(--num-cpus)); default is Ray's detection.
    type: int
  num_gpus:
    description: GPUs this node offers (C(--num-gpus)); default is Ray's detection.
    type: int
  resources:
    description: 'Custom resources (C(--resources) as JSON), for example C({"accel": 2}).'
    type: dict
    default: {}
  include_dashboard:
    description: Whether a head starts the dashboard (needed for the fast source of M(llmops.ray_vllm.ray_cluster_info)).
    type: bool
    default: true
  dashboard_host:
    description:
      - Address the head's dashboard binds to. Default is O(node_ip) - Ray's own default is 127.0.0.1,
        and C(0.0.0.0) exposes the dashboard (which can run arbitrary code) on every interface; set it
        only on purpose.
    type: str
  dashboard_port:
    description: Port of the head's dashboard.
    type: int
    default: 8265
  ray_client_server_port:
    description: Ray Client server port of the head (C(--ray-client-server-port)); Ray's default when unset.
    type: int
  object_manager_port:
    description: Fixed object manager port (C(--object-manager-port)), for firewalled networks.
    type: int
  node_manager_port:
    description: Fixed node manager port (C(--node-manager-port)), for firewalled networks.
    type: int
  min_worker_port:
    description: Lowest port of Ray's worker processes (C(--min-worker-port)).
    type: int
  max_worker_port:
    description: Highest port of Ray's worker processes (C(--max-worker-port)).
    type: int
  dashboard_agent_listen_port:
    description: HTTP port of this node's dashboard agent (C(--dashboard-agent-listen-port)); Ray's default is 52365.
    type: int
  dashboard_agent_grpc_port:
    description: gRPC port of this node's dashboard agent (C(--dashboard-agent-grpc-port)); random when unset.
    type: int
  runtime_env_agent_port:
    description: Port of this node's runtime-env agent (C(--runtime-env-agent-port)); random when unset.
    type: int
  metrics_export_port:
    description: Prometheus metrics port of this node (C(--metrics-export-port)); random when unset.
    type: int
  temp_dir:
    description:
      - Ray's temp/session root (C(--temp-dir)). O(state=stopped) removes the C(session_*) entries,
        C(session_latest) and C(ray_current_cluster) in it, nothing else.
    type: path
    default: /tmp/ray
  ray_executable:
    description: The C(ray) executable of the venv that holds Ray.
    type: path
    default: /opt/vllm_env/bin/ray
  environment:
    description:
      - Environment of C(ray start). Ray worker processes (and vLLM's Ray workers) inherit it, so
        per-node settings such as C(NCCL_SOCKET_IFNAME), C(GLOO_SOCKET_IFNAME) or C(RAY_*) belong here.
    type: dict
    default: {}
  auth_token:
    description:
      - Ray token (C(RAY_AUTH_MODE=token), C(RAY_AUTH_TOKEN)); every node needs the same one.
      - Without O(auth_token) and O(auth_token_file) the module sets C(RAY_AUTH_MODE=disabled)
        unless O(environment) sets it (Ray 2.60 otherwise enables token mode on its own when
        C(~/.ray/auth_token) exists).
    type: str
  auth_token_file:
    description: File holding the Ray token (C(RAY_AUTH_TOKEN_PATH)). Mutually exclusive with O(auth_token).
    type: path
  extra_args:
    description: More C(ray start) arguments, appended as given.
    type: list
    elements: str
    default: []
  service_name:
    description:
      - Base name of the systemd unit that runs the node (C(ray) -> C(ray.service)). Unset - the node is
        started with C(setsid), unsupervised (no restart after a crash or a reboot).
      - Cannot be combined with O(auth_token) (the unit would hold the token); use O(auth_token_file).
    type: str
  service_user:
    description:
      - User the unit runs Ray as (O(service_name) only). It must exist; O(temp_dir) is handed to it, and
        it must be able to read O(auth_token_file).
    type: str
    default: root
  service_group:
    description: Group of the unit's processes; default is O(service_user)'s name.
    type: str
  mounts:
    description:
      - Paths the node needs mounted before it starts (C(RequiresMountsFor=)), for example the model storage.
    type: list
    elements: path
    default: []
  restart_on_change:
    description: Restart a node that runs with other settings instead of failing.
    type: bool
    default: false
  head_pending:
    description:
      - The head is started by this same run (O(role=worker) only). In check mode, where that start does not
        happen, a head that does not answer is then reported as the join this run would make, not as a failure.
      - Without check mode it changes nothing - the head runs by then, or the failure names it.
    type: bool
    default: false
    version_added: 0.1.0
  start_timeout:
    description:
      - Seconds to wait after C(ray start) for the GCS to list this node as alive.
      - A head starts its GCS, dashboard and agents first; a Debian 13 lab head, on a machine running three other lab
        deployments at once, was not listed within 60 s.
    type: float
    default: 120
  unit_read:
    description:
      - What a read of this host made just before this task found of the unit (O(service_name) only) - C(checksum),
        the SHA-1 of C(/etc/systemd/system/<service_name>.service) (null where it is missing), and C(running), true
        when the unit is enabled and active.
      - Where that file is the very unit this task would write and it runs, the action plugin reports no change
        (RV(action=none)) without running the module on the host - a converged re-run costs no round trip. Any
        other read, or none, runs the module as usual, which reads the node itself.
      - The node's membership of the cluster is then not read; a task such as M(llmops.ray_vllm.ray_wait) after
        it checks every node.
    type: dict
    version_added: 0.1.0
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the cluster and local session, reports the action it would take, runs no ray start/stop.
      - When O(ray_executable) does not exist yet (a first run, before the venv is built) it reports V(started).
  diff_mode:
    support: none
  platform:
    support: N/A
    platforms: posix
notes:
  - C(ray stop) stops every Ray process of the host (or of its PID namespace), whatever its temp dir.
  - The comparison covers what the GCS reports; ports, dashboard host and environment of a running node
    are not visible there, so changing only those needs O(state=stopped) first.
seealso:
  - module: llmops.ray_vllm.ray_cluster_info
  - module: llmops.ray_vllm.ray_wait
"""

EXAMPLES = r"""
- name: Start the head
  llmops.ray_vllm.ray_node:
    role: head
    node_ip: 10.0.0.11
    num_gpus: 4
    auth_token_file: /etc/ray/auth_token
    environment:
      NCCL_SOCKET_IFNAME: ens5

- name: Join a worker
  llmops.ray_vllm.ray_node:
    role: worker
    node_ip: 10.0.0.12
    head_address: 10.0.0.11:6379
    auth_token_file: /etc/ray/auth_token

- name: Run a worker under systemd as user vllm, after the model storage is mounted
  llmops.ray_vllm.ray_node:
    role: worker
    node_ip: 10.0.0.13
    head_address: 10.0.0.11:6379
    auth_token_file: /etc/ray/auth_token
    service_name: ray
    service_user: vllm
    mounts: [/mnt/models]

- name: Stop Ray on this host (and disable its unit)
  llmops.ray_vllm.ray_node:
    state: stopped
    service_name: ray
"""

RETURN = r"""
action:
  description: What the module did or, in check mode, would do.
  returned: always
  type: str
  sample: started
  choices: [none, started, restarted, updated, enabled, stopped]
cluster_address:
  description: GCS address of the cluster this node belongs to.
  returned: when state=started
  type: str
  sample: 10.0.0.11:6379
differences:
  description: Settings that differed from the running node (C(setting), C(wanted), C(running)).
  returned: always
  type: list
  elements: dict
node:
  description:
    - The node as the cluster lists it (see M(llmops.ray_vllm.ray_cluster_info) nodes), null when not running.
    - Read from the head's dashboard when it answers (then without C(temp_dir)), else from the GCS.
  returned: always
  type: dict
cmd:
  description: The last C(ray) command run (tokens are passed in the environment, never here).
  returned: when a command ran
  type: list
  elements: str
stdout:
  description: Output of the last C(ray) command.
  returned: when a command ran
  type: str
stderr:
  description: Error output of the last C(ray) command.
  returned: when a command ran
  type: str
unit:
  description: Path of the node's systemd unit (with O(service_name)).
  returned: when service_name is set
  type: str
  sample: /etc/systemd/system/ray.service
removed:
  description: Entries removed from O(temp_dir).
  returned: when state=stopped
  type: list
  elements: str
"""

import grp
import os
import pwd
import shutil
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmops.ray_vllm.plugins.module_utils._node_state import parse_systemctl_show
from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray import (
    build_environment,
    build_start_argv,
    build_stop_argv,
    classify_start_error,
    cluster_address,
    executable_missing_message,
    find_node,
    format_differences,
    head_unreachable_message,
    node_differences,
    node_unit,
    output_tail,
    split_address,
    unit_differences,
    unit_is_running,
    unit_name_problem,
)
from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray_client import (
    MUTUALLY_EXCLUSIVE,
    NODE_ARGUMENT_SPEC,
    NODE_REQUIRED_IF,
    RayReadError,
    local_session,
    read_dashboard,
    read_gcs,
    session_entries,
    tcp_reachable,
    token_from_params,
)

# Seconds for one dashboard request: a firewalled dashboard port must not slow every read down.
DASHBOARD_TIMEOUT = 1.5
# Seconds between two reads of a node just started: the workers start once the head is alive, so a second between
# reads cost the bring-up up to a second per node (a read is milliseconds from the dashboard, a second from the GCS).
ALIVE_POLL = 0.25


def build_module():
    return AnsibleModule(
        argument_spec=NODE_ARGUMENT_SPEC,
        mutually_exclusive=MUTUALLY_EXCLUSIVE,
        required_if=NODE_REQUIRED_IF,
        supports_check_mode=True,
    )


class RayNode(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.result = dict(changed=False, action="none", differences=[], node=None)
        self.env = build_environment(self.p["environment"], self.p["auth_token"], self.p["auth_token_file"])
        self.service = self.p["service_name"]
        if self.service:
            self.unit_path = "/etc/systemd/system/%s.service" % self.service
            self.result["unit"] = self.unit_path

    def fail(self, msg, **extra):
        self.result.update(extra)
        self.module.fail_json(msg=msg, **self.result)

    def run_ray(self, argv):
        rc, out, err = self.module.run_command(argv, environ_update=self.env)
        self.result.update(cmd=argv, stdout=output_tail(out), stderr=output_tail(err))
        return rc, out, err

    def systemctl(self, *args):
        rc, out, err = self.module.run_command(["systemctl"] + list(args))
        if rc != 0:
            self.fail("systemctl %s failed (rc=%d): %s%s"
                      % (" ".join(args), rc, (err or out).strip(), self.journal_hint()))
        return out

    def journal_hint(self):
        if not self.service:
            return ""
        _rc, out, _err = self.module.run_command(
            ["journalctl", "--unit", self.service + ".service", "--lines", "25", "--no-pager", "--output", "cat"])
        return "\nLast journal lines of %s.service (journalctl -u %s):\n%s" % (self.service, self.service, out.strip())

    def unit_state(self):
        """(unit file text or None, systemctl show properties)."""
        text = None
        if os.path.exists(self.unit_path):
            with open(self.unit_path) as f:
                text = f.read()
        _rc, out, _err = self.module.run_command(
            ["systemctl", "show", self.service + ".service", "--property=ActiveState,SubState,UnitFileState,MainPID"])
        return text, parse_systemctl_show(out)

    def observe(self, address, starting=False):
        """(node record for node_ip in the cluster at address or None, cluster reachable?)

        The head's dashboard answers in milliseconds, the GCS read (the venv's python importing Ray)
        in about a second. The dashboard does not report a node's temp dir, so its answer is used only
        when it lists this node alive and this host's raylet answers in the wanted temp dir; anything
        else (no dashboard yet, another temp dir, a dead or missing node) is read from the GCS.
        """
        host, port = split_address(address)
        if not tcp_reachable(host, port):
            return None, False
        try:
            node = find_node(read_dashboard(host, self.p["dashboard_port"], token_from_params(self.p),
                                            timeout=DASHBOARD_TIMEOUT), self.p["node_ip"])
            if node is not None and node["alive"] and local_session(self.p["temp_dir"])["raylet_alive"]:
                return node, True
        except RayReadError:
            pass
        if starting and not local_session(self.p["temp_dir"])["raylet_alive"]:
            # A node this run just started whose raylet does not answer yet cannot be alive in the GCS: no GCS read
            # (a second of the venv's python importing Ray, while a head's raylet comes up).
            return None, True
        try:
            facts = read_gcs(self.module, self.p, address)
        except RayReadError as e:
            self.fail(str(e))
        return find_node(facts, self.p["node_ip"]), True

    # ----------------------------------------------------------------- started
    def started(self):
        p = self.p
        if p["role"] == "worker" and not p["head_address"]:
            self.fail("head_address is required for role=worker")
        address = cluster_address(p)
        self.result["cluster_address"] = address
        node, reachable = self.observe(address)
        local = local_session(p["temp_dir"])
        running = node is not None and node["alive"]
        if running:
            self.result["node"] = node
            diffs = node_differences(p, node)
        elif local["raylet_alive"]:
            diffs = [{"setting": "cluster", "wanted": address, "running": local["cluster_address"]}]
        else:
            diffs = []
        if self.service:
            return self.started_unit(address, reachable, running, local["raylet_alive"], diffs)
        self.result["differences"] = diffs

        if running and not diffs:
            return
        if diffs and not p["restart_on_change"]:
            self.refuse(diffs)
        if p["role"] == "worker" and not reachable:
            self.head_unreachable(address)
        self.result.update(changed=True, action="restarted" if diffs else "started")
        if self.module.check_mode:
            return
        if diffs:
            self.stop_processes()
        self.start(address)

    def head_unreachable(self, address):
        """A worker to start whose head does not answer: a failure, unless check mode did not start the head."""
        if not (self.module.check_mode and self.p["head_pending"]):
            self.fail(head_unreachable_message(address))
        self.result["msg"] = "would join the head %s, which this run starts first" % address

    def refuse(self, diffs):
        self.fail("Ray node on %s runs with other settings (%s); set restart_on_change=true to restart it "
                  "or state=stopped first." % (self.p["node_ip"], format_differences(diffs)))

    def started_unit(self, address, reachable, running, raylet_alive, diffs):
        """The node under systemd: write the unit, then start, restart, reload or nothing."""
        p = self.p
        wanted = node_unit(p)
        text, props = self.unit_state()
        under_unit = unit_is_running(props)
        unit_diffs = unit_differences(text, wanted)
        self.result["differences"] = diffs + unit_diffs
        needs_restart = bool(diffs) or any(d["restart"] for d in unit_diffs)

        if raylet_alive and not under_unit:
            # started outside the unit (an earlier release: root, setsid): adopt it, whatever its settings
            action = "restarted"
        elif under_unit and needs_restart:
            if not p["restart_on_change"]:
                self.refuse(diffs + [d for d in unit_diffs if d["restart"]])
            action = "restarted"
        elif under_unit and unit_diffs:
            action = "updated"
        elif under_unit and props.get("UnitFileState") != "enabled":
            action = "enabled"
        elif under_unit:
            if not running:
                # the unit runs but the node is not alive yet (booting, rejoining a restarted head)
                self.wait_alive(address)
            return
        else:
            action = "started"
        if action in ("started", "restarted") and p["role"] == "worker" and not reachable:
            self.head_unreachable(address)
        self.result.update(changed=True, action=action)
        if self.module.check_mode:
            return

        if raylet_alive and not under_unit:
            self.stop_processes()
            self.remove_session_entries()
        if text != wanted:
            self.write_unit(wanted)
            self.systemctl("daemon-reload")
        if action == "updated":
            self.systemctl("reenable", self.service + ".service")
            return
        if action == "enabled":
            self.systemctl("enable", self.service + ".service")
            return
        self.hand_temp_dir()
        self.systemctl("enable", self.service + ".service")
        self.systemctl("restart" if under_unit else "start", self.service + ".service")
        self.result["cmd"] = ["systemctl", "restart" if under_unit else "start", self.service + ".service"]
        self.wait_alive(address)

    def write_unit(self, text):
        tmp = "%s.tmp-%d" % (self.unit_path, os.getpid())
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        self.module.atomic_move(tmp, self.unit_path)

    def hand_temp_dir(self):
        """Ray's temp dir belongs to the service user (its sessions, sockets and logs are written there)."""
        try:
            user = pwd.getpwnam(self.p["service_user"])
        except KeyError:
            self.fail("service_user %s does not exist on this host; create it first (role ray_cluster does)"
                      % self.p["service_user"])
        gid = grp.getgrnam(self.p["service_group"]).gr_gid if self.p["service_group"] else user.pw_gid
        temp_dir = self.p["temp_dir"]
        if not os.path.isdir(temp_dir):
            os.makedirs(temp_dir, 0o755)
        st = os.stat(temp_dir)
        if (st.st_uid, st.st_gid) != (user.pw_uid, gid):
            os.chown(temp_dir, user.pw_uid, gid)

    def start(self, address):
        p = self.p
        argv = build_start_argv(p["ray_executable"], p)
        # Ray's daemons must outlive this module's SSH session. Without pipelining Ansible runs
        # modules on a tty (ssh -tt), and when that session ends the kernel hangs up its process
        # group: the freshly started GCS/raylet died seconds after `ray start` returned (seen on the
        # lab). `setsid --wait` starts Ray in a session of its own, without a controlling terminal.
        setsid = self.module.get_bin_path("setsid")
        if setsid:
            argv = [setsid, "--wait"] + argv
        rc, out, err = self.run_ray(argv)
        if rc != 0:
            error = classify_start_error(out + "\n" + err, dict(
                address=address, node_ip=p["node_ip"], ray_executable=p["ray_executable"]))
            self.fail(error["msg"], error_kind=error["kind"], rc=rc)
        self.wait_alive(address)

    def wait_alive(self, address):
        p = self.p
        deadline = time.monotonic() + p["start_timeout"]
        while True:
            node, _reachable = self.observe(address, starting=True)
            if node is not None and node["alive"]:
                self.result["node"] = node
                return
            if time.monotonic() >= deadline:
                self.fail("the GCS at %s does not list %s as alive %ss after the start; see the raylet logs under "
                          "%s/session_latest/logs%s"
                          % (address, p["node_ip"], p["start_timeout"], p["temp_dir"], self.journal_hint()))
            time.sleep(ALIVE_POLL)

    # ----------------------------------------------------------------- stopped
    def stopped(self):
        temp_dir = self.p["temp_dir"]
        local = local_session(temp_dir)
        entries = session_entries(temp_dir)
        unit_on = False
        if self.service:
            _text, props = self.unit_state()
            unit_on = unit_is_running(props) or props.get("UnitFileState") == "enabled"
        if not local["raylet_alive"] and not entries and not unit_on:
            return
        self.result.update(changed=True, action="stopped", removed=entries)
        if self.module.check_mode:
            return
        if unit_on:
            self.systemctl("disable", "--now", self.service + ".service")
        if local_session(temp_dir)["raylet_alive"]:
            self.stop_processes()
        self.remove_session_entries()

    def remove_session_entries(self):
        temp_dir = self.p["temp_dir"]
        # `ray stop` removes some entries itself (ray_current_cluster): list again after it
        for name in session_entries(temp_dir):
            path = os.path.join(temp_dir, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)

    def stop_processes(self):
        ray = self.p["ray_executable"]
        rc, out, err = self.run_ray(build_stop_argv(ray))
        if rc != 0 or local_session(self.p["temp_dir"])["raylet_alive"]:
            rc, out, err = self.run_ray(build_stop_argv(ray, force=True))
            if rc != 0:
                self.fail("ray stop --force failed (rc=%d): %s" % (rc, err.strip() or out.strip()))


def run_module(module):
    if module.params["service_name"]:
        problem = unit_name_problem(module.params["service_name"])
        if problem:
            module.fail_json(msg=problem)
        if module.params["auth_token"]:
            module.fail_json(msg="auth_token cannot be used with service_name (the unit file would hold the "
                                 "token): write it to a file readable by service_user and pass auth_token_file")
    node = RayNode(module)
    if not os.path.exists(module.params["ray_executable"]):
        if module.params["state"] == "stopped":
            module.exit_json(**node.result)
        if module.check_mode:
            # A first --check: the venv that would hold Ray is not built yet; a real run would start the node.
            node.result.update(changed=True, action="started",
                               msg="would start the node (%s does not exist yet)" % module.params["ray_executable"])
            module.exit_json(**node.result)
        module.fail_json(msg=executable_missing_message(module.params["ray_executable"]), **node.result)
    if module.params["state"] == "started":
        node.started()
    else:
        node.stopped()
    module.exit_json(**node.result)


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
