# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What module preflight_probe reads (its whole logic; standard library only, so that action preflight_probe can run
it on the host without Ansible's module_utils: plugins/action/preflight_probe.py)."""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys
import hashlib
import grp
import os
import pwd
import socket
import stat

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


def read_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def probe_ports(host, params):
    if not params["ports"]:
        return [], {}, []
    ss = host.which("ss", required=True)
    rc, out, err = host.run([ss, "-ltnp"], env={"LC_ALL": "C", "LANGUAGE": "C"})
    if rc != 0:
        host.fail("ss -ltnp failed (rc %d): %s" % (rc, err.strip() or out.strip()))
    try:
        listeners = parse_ss_listeners(out)
    except ValueError as e:
        host.fail("cannot parse ss -ltnp output: %s" % e, stdout=out)
    wanted_ports = set(p["port"] for p in params["ports"])
    pids = set(proc["pid"] for entry in listeners if entry["port"] in wanted_ports for proc in entry["processes"])
    ports, problems = check_ports(listeners, params["ports"], dict((pid, read_cmdline(pid)) for pid in pids))
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


def python_version(host, python):
    """What a command task running ``python -c PYTHON_VERSION`` reports: rc, stdout, stderr."""
    try:
        rc, out, err = host.run([python, "-c", PYTHON_VERSION])
    except OSError as e:  # as the command module reports an interpreter it cannot start: rc errno, no output
        rc, out, err = e.errno or 2, "", ""
    return {"python": python, "rc": rc, "stdout": out, "stderr": err}


def gpu_facts(host):
    """read_gpu_facts with nvidia-smi from the PATH, not required; the warnings become the module's."""
    nvidia_smi = host.which("nvidia-smi", opt_dirs=SEARCH_DIRS)
    result, failure, warnings = read_gpu_facts(
        nvidia_smi, lambda cmd: host.run(cmd, env=LOCALE_C), SEARCHED, required=False)
    for warning in warnings:
        host.warn(warning)
    if failure:
        host.fail(failure)
    return dict((k, v) for k, v in result.items() if k not in ("changed", "ansible_facts"))


def read_units(host, names):
    """unit_states of one ``systemctl show`` for every name (none asked: no command)."""
    if not names:
        return []
    systemctl = host.which("systemctl")
    text = ""
    if systemctl:
        _rc, text, _err = host.run([systemctl, "show", "--property=" + ",".join(UNIT_PROPERTIES), "--"] + list(names))
    return unit_states(text, names)


def list_unreadable(host, entry):
    """What ``entry['user']`` cannot read under ``entry['path']``, as that user's ``find ! -readable`` lists it."""
    argv = ["runuser", "-u", entry["user"], "--", "find", entry["path"].rstrip("/") + "/", "-maxdepth",
            str(entry["maxdepth"]), "(", "-type", "f", "-o", "-type", "d", ")", "!", "-readable"]
    try:
        rc, out, err = host.run(argv)
    except OSError as e:  # no runuser
        rc, out, err = e.errno or 2, "", str(e)
    return {"path": entry["path"], "user": entry["user"], "rc": rc, "paths": out.splitlines(), "stderr": err.strip()}


def probe(host, params):
    """The module's result for its validated ``params``, read through ``host`` (ModuleHost in the module, SubprocessHost
    in the action's payload): run(argv, env) -> (rc, out, err) raising OSError when the program cannot start,
    which(name, required, opt_dirs), warn(msg), fail(msg, **extra) (does not return)."""
    listeners, ports, problems = probe_ports(host, params)
    extra = {"gpu_facts": gpu_facts(host)} if params["gpu_facts"] else {}
    return dict(
        changed=False,
        listeners=listeners,
        ports=ports,
        port_problems=problems,
        disk=[probe_disk(p) for p in params["paths"]],
        connect=[probe_connect(c["host"], c["port"], c["timeout"]) for c in params["connect"]],
        resolve=dict((name, probe_resolve(name)) for name in params["resolve"]),
        stat=[stat_path(p) for p in params["stat"]],
        read=[read_text(p) for p in params["read"]],
        python_versions=[python_version(host, p) for p in params["python_versions"]],
        units=read_units(host, params["units"]),
        unreadable=[list_unreadable(host, entry) for entry in params["unreadable"]],
        **extra
    )


class ProbeFailure(Exception):
    def __init__(self, msg, extra):
        super(ProbeFailure, self).__init__(msg)
        self.extra = extra


class SubprocessHost(object):
    """The host of the action's payload: plain subprocess, no Ansible on the host."""

    def __init__(self):
        self.warnings = []

    def run(self, argv, env=None):
        environ = dict(os.environ)
        environ.update(env or {})
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env=environ)
        out, err = proc.communicate()
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")

    def which(self, name, required=False, opt_dirs=()):
        path = os.environ.get("PATH", "/usr/bin:/bin") + ":/sbin:/usr/sbin:/usr/local/sbin:" + ":".join(opt_dirs)
        found = shutil.which(name, path=path)
        if found is None and required:
            self.fail("Failed to find required executable \"%s\" in paths: %s" % (name, path))
        return found

    def warn(self, msg):
        self.warnings.append(msg)

    def fail(self, msg, **extra):
        raise ProbeFailure(msg, extra)


def payload_main(params):
    """The action's payload: the probe's result (or the failure) as JSON on standard output."""
    host = SubprocessHost()
    try:
        result = probe(host, params)
    except ProbeFailure as e:
        result = dict(e.extra, failed=True, msg=str(e))
    if host.warnings:
        result["warnings"] = host.warnings
    sys.stdout.write(json.dumps(result))
