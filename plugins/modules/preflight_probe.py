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
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: posix
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

import errno
import hashlib
import grp
import os
import pwd
import socket
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.llmops.ray_vllm.plugins.module_utils._node_state import UNIT_PROPERTIES, unit_states
from ansible_collections.llmops.ray_vllm.plugins.module_utils._nvidia_smi import LOCALE_C, SEARCH_DIRS, SEARCHED, read_gpu_facts
from ansible_collections.llmops.ray_vllm.plugins.module_utils._preflight import (
    check_ports,
    connect_state,
    parse_ss_listeners,
    reachable,
)

PYTHON_VERSION = "import platform; print(platform.python_version())"
READ_LIMIT = 1 << 20


def build_module():
    return AnsibleModule(
        argument_spec=dict(
            ports=dict(type="list", elements="dict", default=[], options=dict(
                port=dict(type="int", required=True),
                name=dict(type="str", default=""),
                expected=dict(type="str", default=""),
            )),
            paths=dict(type="list", elements="path", default=[]),
            connect=dict(type="list", elements="dict", default=[], options=dict(
                host=dict(type="str", required=True),
                port=dict(type="int", required=True),
                timeout=dict(type="float", default=3.0),
            )),
            resolve=dict(type="list", elements="str", default=[]),
            stat=dict(type="list", elements="path", default=[]),
            read=dict(type="list", elements="path", default=[]),
            python_versions=dict(type="list", elements="str", default=[]),
            units=dict(type="list", elements="str", default=[]),
            unreadable=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                user=dict(type="str", required=True),
                maxdepth=dict(type="int", default=2),
            )),
            gpu_facts=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )


def read_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def probe_ports(module):
    if not module.params["ports"]:
        return [], {}, []
    ss = module.get_bin_path("ss", required=True)
    rc, out, err = module.run_command([ss, "-ltnp"], environ_update={"LC_ALL": "C", "LANGUAGE": "C"})
    if rc != 0:
        module.fail_json(msg="ss -ltnp failed (rc %d): %s" % (rc, err.strip() or out.strip()))
    try:
        listeners = parse_ss_listeners(out)
    except ValueError as e:
        module.fail_json(msg="cannot parse ss -ltnp output: %s" % e, stdout=out)
    wanted_ports = set(p["port"] for p in module.params["ports"])
    pids = set(proc["pid"] for entry in listeners if entry["port"] in wanted_ports for proc in entry["processes"])
    ports, problems = check_ports(listeners, module.params["ports"], dict((pid, read_cmdline(pid)) for pid in pids))
    return listeners, dict((str(k), v) for k, v in ports.items()), problems


def probe_disk(path):
    checked = path
    while not os.path.isdir(checked) and checked not in ("", "/"):
        checked = os.path.dirname(checked)
    st = os.statvfs(checked or "/")
    return {"path": path, "checked": checked or "/", "free_bytes": st.f_bavail * st.f_frsize}


def probe_connect(host, port, timeout):
    err = None
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.close()
    except socket.timeout:
        err = "ETIMEDOUT"
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e)) if e.errno else str(e)
    state = connect_state(err)
    return {"host": host, "port": port, "state": state, "reachable": reachable(state), "error": err or ""}


def probe_resolve(name):
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except socket.gaierror:
        return []
    out = []
    for info in infos:
        if info[4][0] not in out:
            out.append(info[4][0])
    return out


def _name(lookup, number):
    try:
        return lookup(number)[0]
    except KeyError:
        return None


def _sha1(path, st):
    """SHA-1 of a regular file of up to READ_LIMIT bytes (as M(ansible.builtin.stat)'s checksum), else None."""
    if not stat.S_ISREG(st.st_mode) or st.st_size > READ_LIMIT:
        return None
    try:
        with open(path, "rb") as handle:
            return hashlib.sha1(handle.read()).hexdigest()
    except OSError:
        return None


def stat_path(path):
    """``{path, exists, isdir, dev, owner, group, mode, mtime, checksum}`` of ``path`` (links followed; dev 0 and the
    others None when it does not exist; owner or group None also for an id without a name): owner, group, mode ("0750"),
    mtime and checksum (SHA-1, regular files up to 1 MiB) as M(ansible.builtin.stat) reports them."""
    try:
        st = os.stat(path)
    except OSError:
        return {"path": path, "exists": False, "isdir": False, "dev": 0, "owner": None, "group": None, "mode": None,
                "mtime": None, "checksum": None}
    return {"path": path, "exists": True, "isdir": stat.S_ISDIR(st.st_mode), "dev": st.st_dev,
            "owner": _name(pwd.getpwuid, st.st_uid), "group": _name(grp.getgrgid, st.st_gid),
            "mode": "%04o" % stat.S_IMODE(st.st_mode), "mtime": st.st_mtime, "checksum": _sha1(path, st)}


def read_text(path, limit=READ_LIMIT):
    """``{path, exists, content}``: the first ``limit`` bytes of the file as text (undecodable bytes replaced),
    content None when it is missing or cannot be read."""
    try:
        with open(path, "rb") as f:
            data = f.read(limit)
    except OSError:
        return {"path": path, "exists": os.path.exists(path), "content": None}
    return {"path": path, "exists": True, "content": data.decode("utf-8", "replace")}


def python_version(module, python):
    """What a command task running ``python -c PYTHON_VERSION`` reports: rc, stdout, stderr."""
    try:
        rc, out, err = module.run_command([python, "-c", PYTHON_VERSION], handle_exceptions=False)
    except OSError as e:  # as the command module reports an interpreter it cannot start: rc errno, no output
        rc, out, err = e.errno or 2, "", ""
    return {"python": python, "rc": rc, "stdout": out, "stderr": err}


def gpu_facts(module):
    """read_gpu_facts with nvidia-smi from the PATH, not required; the warnings become the module's."""
    nvidia_smi = module.get_bin_path("nvidia-smi", opt_dirs=SEARCH_DIRS)
    result, failure, warnings = read_gpu_facts(
        nvidia_smi, lambda cmd: module.run_command(cmd, environ_update=LOCALE_C), SEARCHED, required=False)
    for warning in warnings:
        module.warn(warning)
    if failure:
        module.fail_json(msg=failure)
    return dict((k, v) for k, v in result.items() if k not in ("changed", "ansible_facts"))


def read_units(module, names):
    """unit_states of one ``systemctl show`` for every name (none asked: no command)."""
    if not names:
        return []
    systemctl = module.get_bin_path("systemctl")
    text = ""
    if systemctl:
        _rc, text, _err = module.run_command([systemctl, "show", "--property=" + ",".join(UNIT_PROPERTIES), "--"]
                                             + list(names))
    return unit_states(text, names)


def list_unreadable(module, entry):
    """What ``entry['user']`` cannot read under ``entry['path']``, as that user's ``find ! -readable`` lists it."""
    argv = ["runuser", "-u", entry["user"], "--", "find", entry["path"].rstrip("/") + "/", "-maxdepth",
            str(entry["maxdepth"]), "(", "-type", "f", "-o", "-type", "d", ")", "!", "-readable"]
    try:
        rc, out, err = module.run_command(argv, handle_exceptions=False)
    except OSError as e:  # no runuser
        rc, out, err = e.errno or 2, "", str(e)
    return {"path": entry["path"], "user": entry["user"], "rc": rc, "paths": out.splitlines(), "stderr": err.strip()}


def run_module(module):
    listeners, ports, problems = probe_ports(module)
    extra = {"gpu_facts": gpu_facts(module)} if module.params["gpu_facts"] else {}
    module.exit_json(
        changed=False,
        listeners=listeners,
        ports=ports,
        port_problems=problems,
        disk=[probe_disk(p) for p in module.params["paths"]],
        connect=[probe_connect(c["host"], c["port"], c["timeout"]) for c in module.params["connect"]],
        resolve=dict((name, probe_resolve(name)) for name in module.params["resolve"]),
        stat=[stat_path(p) for p in module.params["stat"]],
        read=[read_text(p) for p in module.params["read"]],
        python_versions=[python_version(module, p) for p in module.params["python_versions"]],
        units=read_units(module, module.params["units"]),
        unreadable=[list_unreadable(module, entry) for entry in module.params["unreadable"]],
        **extra
    )


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
