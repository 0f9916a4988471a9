#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_probe
short_description: Read listening ports, free disk space, TCP reachability and name resolution of a host
version_added: 0.1.0
description:
  - The probe of the P(llmops.ray_vllm.preflight#role) role. Read-only; it does the same in check mode.
  - Runs C(ss -ltnp) (with C(LC_ALL=C)), reads C(/proc/PID/cmdline) of the processes holding O(ports) and says
    per port whether it is free, held by the expected program, or taken by another one.
  - Measures free space of the nearest existing directory of each of O(paths) (C(statvfs), space for
    unprivileged users).
  - Opens a TCP connection to each of O(connect) and names the outcome (V(open), V(refused), V(timeout),
    V(unreachable), V(blocked), V(error)); V(open) and V(refused) prove the port can be reached.
  - Resolves each of O(resolve) with the system resolver (like C(getent ahostsv4)).
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  ports:
    description: Ports that must be free, or held by the expected program.
    type: list
    elements: dict
    default: []
    suboptions:
      port:
        description: TCP port.
        type: int
        required: true
      name:
        description: What needs the port, for the messages.
        type: str
        default: ""
      expected:
        description:
          - Regular expression searched in the holder's command line; a match means the port is held by the
            program that should hold it (for example Ray already running). Empty, any holder is a problem.
        type: str
        default: ""
  paths:
    description: Paths whose file system's free space is measured (the nearest existing directory).
    type: list
    elements: path
    default: []
  connect:
    description: TCP peers to connect to.
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description: Address or name.
        type: str
        required: true
      port:
        description: TCP port.
        type: int
        required: true
      timeout:
        description: Seconds to wait for the connection.
        type: float
        default: 3.0
  resolve:
    description: Host names to resolve to IPv4 addresses.
    type: list
    elements: str
    default: []
  stat:
    description: Paths to look up (C(os.stat), following links); one entry each in RV(stat), in this order.
    type: list
    elements: path
    default: []
    version_added: 0.1.0
  read:
    description:
      - Small text files to read (the first 1 MiB, UTF-8, undecodable bytes replaced); one entry each in RV(read),
        in this order. A missing or unreadable file is reported, not an error.
    type: list
    elements: path
    default: []
    version_added: 0.1.0
  python_versions:
    description:
      - Python interpreters (a name on the PATH or a path) whose version C(platform.python_version()) prints;
        one entry each in RV(python_versions), in this order. An interpreter that does not run is reported, not an
        error.
    type: list
    elements: str
    default: []
    version_added: 0.1.0
  units:
    description:
      - systemd units (full names, for example V(vllm.service)) whose state one C(systemctl show) reads; one entry
        each in RV(units), in this order. A unit systemd does not know is reported (load V(not-found)), not an
        error. Roles skip a start task where the unit is already enabled and active and its files did not change.
    type: list
    elements: str
    default: []
    version_added: 0.1.0
  unreadable:
    description:
      - Directories in which to list what a user cannot read, as that user would (C(runuser -u USER -- find PATH/
        -maxdepth N \( -type f -o -type d \) ! -readable)); one entry each in RV(unreadable), in this order. Saves the
        round trip of that command's own task (for example the service user and the model a server will load).
    type: list
    elements: dict
    default: []
    version_added: 0.1.0
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      user:
        description: The user who must read it.
        type: str
        required: true
      maxdepth:
        description: How deep C(find) looks.
        type: int
        default: 2
  gpu_facts:
    description:
      - Also read the GPUs, the driver and the CUDA version with C(nvidia-smi) from the PATH (or the directories
        M(llmops.ray_vllm.gpu_facts) searches) into RV(gpu_facts), as M(llmops.ray_vllm.gpu_facts) returns them with
        O(llmops.ray_vllm.gpu_facts#module:required=false). A host without driver or GPU is reported in its C(error),
        not as an error. This saves that module's own round trip.
      - Output of C(nvidia-smi) that cannot be parsed fails the module, as it fails M(llmops.ray_vllm.gpu_facts).
    type: bool
    default: false
    version_added: 0.1.0
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.flow
  - llmops.ray_vllm.controller_action
attributes:
  check_mode:
    support: full
    details: The module only reads.
notes:
  - This is an action plugin. It validates the options on the controller and sends the probe (module_utils C(_probe) and
    the three it imports, standard library only) with them to the host's Python on standard input. No module payload is
    built and Ansible's module_utils are not imported on the host (on the lab a call costs a host about 0.05 CPU-s
    instead of 0.2). The module itself runs the same code where it is called as a module.
"""

EXAMPLES = r"""
- name: Probe the head
  llmops.ray_vllm.preflight_probe:
    ports:
      - {port: 6379, name: Ray GCS, expected: gcs_server}
    paths: [/opt/vllm_env]
    connect:
      - {host: 10.0.0.1, port: 6379, timeout: 3}
    resolve: [worker1]
  register: probe

- name: Look up paths, read small files and the versions of two Pythons in one call
  llmops.ray_vllm.preflight_probe:
    stat: [/mnt/models, /mnt]
    read: [/etc/fstab]
    python_versions: [python3, /opt/vllm_env/bin/python]
  register: reads

- name: Read whether vLLM's unit is enabled and running
  llmops.ray_vllm.preflight_probe:
    units: [vllm.service]
  register: units

- name: Start vLLM only when it is not enabled and running
  ansible.builtin.systemd_service:
    name: vllm.service
    state: started
    enabled: true
  when: (units.units[0].enabled, units.units[0].active) != ('enabled', 'active')
"""

RETURN = r"""
listeners:
  description: Every listening TCP socket, as parsed from C(ss -ltnp).
  returned: always
  type: list
  elements: dict
ports:
  description: Per wanted port (as a string key) its C(name), C(state) (V(free), V(expected), V(taken)) and C(holders).
  returned: always
  type: dict
port_problems:
  description: One line per wanted port taken by another program.
  returned: always
  type: list
  elements: str
disk:
  description: Per path C(path), C(checked) (the existing directory measured) and C(free_bytes).
  returned: always
  type: list
  elements: dict
connect:
  description: Per peer C(host), C(port), C(state) and C(reachable) (bool), and C(error) (errno name or message).
  returned: always
  type: list
  elements: dict
resolve:
  description: Per name the IPv4 addresses it resolves to, in resolver order; empty when it does not resolve.
  returned: always
  type: dict
stat:
  description:
    - Per path of O(stat) C(path), C(exists), C(isdir), C(dev) (the device number, 0 when missing), C(owner) and
      C(group) (names), C(mode) (octal, for example V("0750")) and C(mtime) (seconds since the epoch), as
      M(ansible.builtin.stat) reports them; V(null) when the path is missing. C(checksum) is the SHA-1 of a regular
      file of up to 1 MiB (M(ansible.builtin.stat)'s C(checksum)), V(null) otherwise.
  returned: always
  type: list
  elements: dict
read:
  description: Per file of O(read) C(path), C(exists) and C(content) (the text, V(null) when missing or unreadable).
  returned: always
  type: list
  elements: dict
units:
  description:
    - Per unit of O(units) C(name), C(load) (systemd's LoadState, V(not-found) for an unknown unit), C(active)
      (ActiveState), C(sub) (SubState) and C(enabled) (UnitFileState, empty for an unknown unit); every field empty
      when systemctl could not answer.
  returned: always
  type: list
  elements: dict
unreadable:
  description:
    - Per entry of O(unreadable) C(path), C(user), C(rc) (the command's; not 0 when the user or the directory does not
      exist, or runuser is missing), C(paths) (what the user cannot read) and C(stderr).
  returned: always
  type: list
  elements: dict
gpu_facts:
  description:
    - With O(gpu_facts), what M(llmops.ray_vllm.gpu_facts) returns (C(driver_present), C(driver_version),
      C(cuda_version), C(gpus), C(gpu_count), C(nvidia_smi_path), C(error)), without its C(ansible_facts).
  returned: when O(gpu_facts) is true
  type: dict
python_versions:
  description:
    - Per interpreter of O(python_versions) C(python), C(rc), C(stdout) (the version and a newline) and C(stderr),
      as a command task reports them; when it cannot be started, C(rc) is the error number (2, not found) and
      C(stdout) and C(stderr) are empty.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.llmops.ray_vllm.plugins.module_utils._probe import probe
from ansible_collections.llmops.ray_vllm.plugins.module_utils._probe_spec import ARGUMENT_SPEC


def build_module():
    return AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)


class ModuleHost(object):
    """module_utils._probe's host through AnsibleModule."""

    def __init__(self, module):
        self.module = module

    def run(self, argv, env=None):
        return self.module.run_command(argv, environ_update=env or {}, handle_exceptions=False)

    def which(self, name, required=False, opt_dirs=()):
        return self.module.get_bin_path(name, required=required, opt_dirs=list(opt_dirs))

    def warn(self, msg):
        self.module.warn(msg)

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, **extra)


def run_module(module):
    module.exit_json(**probe(ModuleHost(module), module.params))


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
