"""Lab hosts: boot a systemd-nspawn container per host, SSH into it, wait until it is ready, its
keys and known_hosts, its memory, and the Ansible inventory of a lab."""

import contextlib
import os
import subprocess
import time

from .labs import host_paths, host_release, lab_dir, save_lab
from .net import LAB_NET
from .rootfs import SHARED_MOUNT
from .services import APT_PORT, PYPI_PORT, SVC_IP
from .util import LabError, find_pid, log, pid_alive, port_open, run, spawn, wait_until, which, write


def boot(lab, h):
    p = host_paths(lab, h)
    shared = os.path.join(lab_dir(lab["name"]), "shared")
    os.makedirs(shared, exist_ok=True)
    argv = [which("systemd-nspawn"), "--quiet", "-D", p["root"], "-b", "--register=no", "--keep-unit",
            "--network-namespace-path=/run/netns/" + h["netns"], "--hostname=" + h["name"],
            "--machine=" + h["machine"], "--console=passive", "--resolv-conf=off",
            "--timezone=off", "--link-journal=no", "--bind=%s:%s" % (shared, SHARED_MOUNT),
            # NFS-Ganesha's VFS backend opens files by handle; nspawn's default seccomp filter
            # refuses that call (clients then get NFS4ERR_PERM)
            "--system-call-filter=open_by_handle_at",
            # nspawn keeps CAP_NET_ADMIN only with --private-network, which cannot be combined with
            # --network-namespace-path; without it nft/iptables fail (EPERM). It acts on the host's
            # own netns only (roles/host_firewall loads nftables rules there).
            "--capability=CAP_NET_ADMIN"]
    h["pid"] = spawn(argv, p["log"], nspawn_env(os.environ))


def nspawn_env(environ):
    """The environment of a host's systemd-nspawn. Pure.

    Without SYSTEMD_NSPAWN_TMPFS_TMP=0 nspawn mounts a tmpfs of 10% of this machine's RAM (2.4 GB) on the host's
    /tmp: a lab host keeps its /tmp on disk, in its overlay, like the rest of it (pip's downloads for a Python 3.13
    venv, the CUDA build of torch with its libraries, fill more than that; Debian 13's own tmpfs on /tmp is masked
    in the base, rootfs.MASKED_UNITS).
    """
    return dict(environ, SYSTEMD_NSPAWN_TMPFS_TMP="0")


def host_marker(h):
    """What the command line of the host's systemd-nspawn holds, and no other host's."""
    return "--machine=" + h["machine"]


def host_running(h):
    return bool(h.get("pid")) and pid_alive(h["pid"], host_marker(h))


def still_running(h, seconds=2.0):
    """A second look before calling a host dead: once a boot was reported failed while the host
    went on running (an empty log, the nspawn process alive a moment later)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.25)
        if host_running(h):
            return True
    return False


def wait_stopped(hosts, seconds):
    """Whether every host's systemd-nspawn has exited within seconds."""
    return wait_until(lambda: not any(host_running(h) for h in hosts), seconds, 0.3)


def ssh_argv(lab, host_ip, extra=()):
    d = lab_dir(lab["name"])
    return ["ssh", "-i", os.path.join(d, "id_ed25519"), "-o", "UserKnownHostsFile=" + os.path.join(d, "known_hosts"),
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
            "-o", "LogLevel=ERROR", "root@" + host_ip] + list(extra)


def log_tail(lab, h, lines=10):
    with contextlib.suppress(FileNotFoundError), open(host_paths(lab, h)["log"]) as f:
        return "".join(f.readlines()[-lines:])
    return ""


def wait_ready(lab, hosts, seconds=120):
    """Ready = sshd answers and systemd finished booting (running or degraded)."""
    deadline = time.monotonic() + seconds
    pending = list(hosts)
    rebooted = set()
    while pending and time.monotonic() < deadline:
        for h in list(pending):
            if not host_running(h) and not still_running(h):
                tail = log_tail(lab, h)
                if h["name"] in rebooted:
                    raise LabError("host %s: systemd-nspawn exited during boot (twice); its log ends with:\n%s"
                                   % (h["name"], tail))
                rebooted.add(h["name"])
                found = find_pid(host_marker(h))
                if found:  # it runs after all, under another PID than the one recorded
                    log("host %s: running as PID %d, not %s; using that" % (h["name"], found, h["pid"]))
                    h["pid"] = found
                else:
                    # One more boot of the same root: a first boot has been seen to end for no reason the
                    # log gives; a host that cannot boot fails the second time with its log.
                    log("host %s: systemd-nspawn exited during boot, booting it once more; its log ends with:\n%s"
                        % (h["name"], tail))
                    boot(lab, h)
                save_lab(lab)
                continue
            if not port_open(h["ip"], 22):
                continue
            res = subprocess.run(ssh_argv(lab, h["ip"], ["systemctl", "is-system-running"]),
                                 capture_output=True, text=True, check=False)
            if res.stdout.strip() in ("running", "degraded"):
                pending.remove(h)
        time.sleep(0.3)
    if pending:
        raise LabError("hosts not ready after %ds: %s (see %s)" % (
            seconds, ", ".join(h["name"] for h in pending), os.path.join(lab_dir(lab["name"]), "hosts")))


def write_keys(lab):
    d = lab_dir(lab["name"])
    key = os.path.join(d, "id_ed25519")
    if not os.path.exists(key):
        os.makedirs(d, exist_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "llmops-lab-" + lab["name"], "-f", key])
    with open(key + ".pub") as f:
        return f.read()


def known_hosts_line(h, pubkey):
    """The known_hosts line of host h from its host key's .pub text. Pure."""
    keytype, keydata = pubkey.split()[:2]
    return "%s,%s %s %s" % (h["ip"], h["name"], keytype, keydata)


def write_known_hosts(lab):
    lines = []
    for h in lab["hosts"]:
        with open(os.path.join(host_paths(lab, h)["upper"], "etc", "ssh", "ssh_host_ed25519_key.pub")) as f:
            lines.append(known_hosts_line(h, f.read()))
    write(os.path.join(lab_dir(lab["name"]), "known_hosts"), "\n".join(lines) + "\n")


def inventory_yaml(lab):
    """The Ansible inventory of a lab (YAML text). Pure (paths under the lab's state directory)."""
    d = lab_dir(lab["name"])
    out = ["# Written by tests/lab/lab for lab %r; do not edit (regenerated by 'lab up')." % lab["name"],
           "all:", "  vars:",
           "    ansible_user: root",
           "    ansible_python_interpreter: /usr/bin/python3",
           "    ansible_ssh_private_key_file: %s" % os.path.join(d, "id_ed25519"),
           "    ansible_ssh_common_args: >-",
           "      -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes" % os.path.join(d, "known_hosts"),
           "    lab_name: %s" % lab["name"],
           "    lab_apt_proxy: http://%s:%d" % (SVC_IP, APT_PORT),
           "    lab_pypi_index_url: http://%s:%d/simple/" % (SVC_IP, PYPI_PORT),
           "    lab_pypi_trusted_host: %s" % SVC_IP,
           "    lab_services_ip: %s" % SVC_IP,
           "    lab_shared_dir: %s" % SHARED_MOUNT,
           "    lab_subnet: %s" % LAB_NET.format(index=lab["index"]),
           "    lab_outside_ip: %s" % lab["wan_ip"],
           "  hosts:"]
    for h in lab["hosts"]:
        out += ["    %s:" % h["name"], "      ansible_host: %s" % h["ip"], "      lab_release: %s" % host_release(h)]
    groups = {}
    for h in lab["hosts"]:
        for g in h["groups"]:
            groups.setdefault(g, []).append(h["name"])
    if groups:
        out.append("  children:")
        for g, members in groups.items():
            out += ["    %s:" % g, "      hosts:"] + ["        %s:" % m for m in members]
    return "\n".join(out) + "\n"


def write_inventory(lab, extra_path):
    text = inventory_yaml(lab)
    write(os.path.join(lab_dir(lab["name"]), "inventory.yml"), text)
    if extra_path:
        write(os.path.abspath(extra_path), text)


def container_pss_kib(nspawn_pid):
    """Memory of a host = PSS of every process in its PID namespace (the container's)."""
    try:
        with open("/proc/%d/task/%d/children" % (nspawn_pid, nspawn_pid)) as f:
            children = f.read().split()
        init_ns = os.readlink("/proc/%s/ns/pid" % children[0])
    except (OSError, IndexError):
        return None
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/ns/pid" % entry) != init_ns:
                continue
            with open("/proc/%s/smaps_rollup" % entry) as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except OSError:
            continue
    return total


def host_state(h):
    """running (sshd answers), booting (nspawn runs) or stopped."""
    running = host_running(h)
    return "running" if running and port_open(h["ip"], 22) else ("booting" if running else "stopped")
