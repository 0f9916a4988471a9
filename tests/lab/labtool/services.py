"""The lab services on 10.213.255.1, shared by every lab on this machine: the caching apt proxy
(tests/lab/aptproxy.py) and the package index (pypiserver over the wheelhouse)."""

import contextlib
import json
import os
import sys

from .util import CACHE, LAB_SRC, REPO, STATE, LabError, pid_alive, port_open, read_json, run, spawn, stop_pid, wait_port, which, write

# The service address lives on the loopback device (this kernel has no dummy links); packets
# from a lab bridge to it are delivered locally, never forwarded.
SVC_DEV = "lo"
SVC_LABEL = "lo:llmops"
SVC_IP = "10.213.255.1"
APT_PORT = 3142
PYPI_PORT = 3141
WHEELHOUSE = os.path.join(CACHE, "wheelhouse")


def services_file():
    return os.path.join(STATE, "services.json")


def apt_proxy_url():
    return "http://%s:%d" % (SVC_IP, APT_PORT)


def pypi_server_bin():
    for cand in (os.path.join(os.path.dirname(sys.executable), "pypi-server"),
                 os.path.join(REPO, ".venv", "bin", "pypi-server"), which("pypi-server")):
        if cand and os.access(cand, os.X_OK):
            return cand
    raise LabError("pypi-server not found: run 'make venv' (it installs pypiserver from "
                   "requirements-dev.txt) or run the lab with the project venv's python")


def svc_addr_present():
    return (SVC_IP + "/32") in run(["ip", "-4", "-o", "addr", "show", "dev", SVC_DEV], capture=True).stdout


def services_up():
    """Start the apt proxy and the package index on the lab service address (idempotent)."""
    if not svc_addr_present():
        run(["ip", "addr", "add", SVC_IP + "/32", "dev", SVC_DEV, "label", SVC_LABEL])
    state = read_json(services_file(), {})
    apt_cache = os.path.join(CACHE, "apt")
    for d in (apt_cache, WHEELHOUSE, os.path.join(STATE, "logs")):
        os.makedirs(d, exist_ok=True)
    wanted = {
        "aptproxy": (APT_PORT, [
            sys.executable, os.path.join(LAB_SRC, "aptproxy.py"),
            "--bind", SVC_IP, "--port", str(APT_PORT), "--cache", apt_cache]),
        "pypiserver": (PYPI_PORT, [
            # paste: a thread pool (Paste, requirements-dev.txt); uv downloads many files at once from 3 hosts, which
            # the default wsgiref server answers one at a time (uv's connections then time out).
            pypi_server_bin(), "run", "-i", SVC_IP, "-p", str(PYPI_PORT), "--server", "paste", "--disable-fallback",
            "--backend", "simple-dir", "-a", ".", "-P", ".", WHEELHOUSE]),
    }
    changed = False
    for name, (port, argv) in wanted.items():
        pid = state.get(name)
        # The script's name marks the process (argv[0] is whichever python started the lab).
        marker = os.path.basename(argv[1] if argv[0] == sys.executable else argv[0])
        if pid and pid_alive(pid, marker) and port_open(SVC_IP, port):
            continue
        if port_open(SVC_IP, port):
            raise LabError("%s:%d is held by a process the lab did not start; stop it or "
                           "run 'lab services down'" % (SVC_IP, port))
        state[name] = spawn(argv, os.path.join(STATE, "logs", name + ".log"))
        write(services_file(), json.dumps(state))
        wait_port(SVC_IP, port, 30, name)
        changed = True
    return changed


def services_down():
    state = read_json(services_file(), {})
    for name, pid in state.items():
        stop_pid(pid, "pypi-server" if name == "pypiserver" else "aptproxy.py")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(services_file())
    if svc_addr_present():
        run(["ip", "addr", "del", SVC_IP + "/32", "dev", SVC_DEV])


def svc_port_open(port):
    """Probe a lab service only while its address is this machine's: without it the probe would
    leave through the default route to a real network."""
    return svc_addr_present() and port_open(SVC_IP, port)


def services_line():
    return "services: apt proxy %s:%d %s, package index %s:%d %s" % (
        SVC_IP, APT_PORT, "up" if svc_port_open(APT_PORT) else "DOWN",
        SVC_IP, PYPI_PORT, "up" if svc_port_open(PYPI_PORT) else "DOWN")


def services_ok():
    state = read_json(services_file(), {})
    return all(state.get(n) and pid_alive(state[n]) for n in ("aptproxy", "pypiserver")) \
        and svc_port_open(APT_PORT) and svc_port_open(PYPI_PORT)
