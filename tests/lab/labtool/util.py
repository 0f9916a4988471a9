"""Small helpers every part of the lab uses: commands, files, the lab lock, processes, ports."""

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import time

CACHE = os.environ.get("LLMOPS_LAB_CACHE", "/var/cache/llmops-lab")
STATE = os.environ.get("LLMOPS_LAB_STATE", "/var/lib/llmops-lab")
LAB_SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tests/lab
REPO = os.path.dirname(os.path.dirname(LAB_SRC))


class LabError(Exception):
    """A failure with a message meant for the user (one line, names the fix)."""


def log(msg):
    print(msg, flush=True)


def command_failed(argv, res):
    detail = (res.stderr or "").strip()
    return LabError("command failed (rc=%d): %s%s" % (res.returncode, shlex.join(argv),
                                                      (": " + detail) if detail else ""))


def run(argv, check=True, capture=False, timeout=None, env=None):
    res = subprocess.run(argv, check=False, text=True, timeout=timeout, env=env,
                         stdout=subprocess.PIPE if capture else None,
                         stderr=subprocess.PIPE if capture else None)
    if check and res.returncode != 0:
        raise command_failed(argv, res)
    return res


def run_retrying(argv, seconds=10.0):
    """run() for a link that a lab just removed may still hold the name of: the kernel frees a
    deleted namespace's devices asynchronously (\"File exists\" for a moment)."""
    deadline = time.monotonic() + seconds
    while True:
        res = run(argv, check=False, capture=True)
        if res.returncode == 0:
            return res
        if time.monotonic() > deadline:
            raise command_failed(argv, res)
        time.sleep(0.5)


def ok(argv):
    return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0


def which(name):
    return shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".lab-tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


@contextlib.contextmanager
def locked(name="lab"):
    os.makedirs(STATE, exist_ok=True)
    with open(os.path.join(STATE, ".%s.lock" % name), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def wait_until(done, seconds, interval):
    """Whether done() became true within seconds, asked every interval seconds."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


# ---------------------------------------------------------------- processes

def pid_alive(pid, must_contain=None):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, TypeError):
        return False
    return must_contain is None or must_contain in cmd


def parent_pid(stat):
    """The parent PID in the text of /proc/PID/stat (the command name may hold spaces and ')')."""
    return int(stat.rsplit(")", 1)[1].split()[1])


def find_pid(marker):
    """The PID of the systemd-nspawn whose command line holds marker (not one of its forks), or None."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and pid_alive(int(entry), marker):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if os.path.basename(os.readlink("/proc/%s/exe" % entry)) == "systemd-nspawn":
                    with open("/proc/%s/stat" % entry) as f:
                        found[int(entry)] = parent_pid(f.read())
    return next((pid for pid, ppid in found.items() if ppid not in found), None)


def descendants_first(pid, children):
    """pid and every process below it, the deepest first; children maps a PID to its child PIDs."""
    order, todo = [], [pid]
    while todo:
        p = todo.pop()
        order.append(p)
        todo += children.get(p, [])
    return list(reversed(order))


def kill_tree(pid):
    """SIGKILL every descendant of pid (a container's processes, its init last), then pid itself."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError), open("/proc/%s/stat" % entry) as f:
                children.setdefault(parent_pid(f.read()), []).append(int(entry))
    for p in descendants_first(pid, children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)


def stop_pid(pid, marker, grace=15.0):
    if not pid or not pid_alive(pid, marker):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and pid_alive(pid, marker):
        time.sleep(0.2)
    if pid_alive(pid, marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.3)
    return True


def spawn(argv, logfile, env=None):
    """Start a long-lived process under a reaper (with env, default: this one's), return its PID.

    This machine's PID 1 does not reap orphans, so a process the lab starts and that outlives
    the 'lab' command would stay a zombie after it exits.  Each spawned process is therefore
    the child of a small reaper (a child subreaper) that waits for it and then exits.
    """
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    rfd, wfd = os.pipe()
    reaper = os.fork()
    if reaper == 0:  # the reaper
        try:
            os.close(rfd)
            os.closerange(3, wfd)  # above all the lab's lock file: the reaper must not hold it
            os.closerange(wfd + 1, 65536)
            os.setsid()
            with contextlib.suppress(Exception):
                import ctypes
                ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
            with open(logfile, "ab") as out:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, close_fds=True, env=env)
            os.write(wfd, str(proc.pid).encode())
            os.close(wfd)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            while True:
                try:
                    pid, status = os.wait()
                except ChildProcessError:
                    break
                if pid == proc.pid:  # say how it ended: the log of a process that died quietly is empty
                    with contextlib.suppress(OSError), open(logfile, "a") as out:
                        out.write("[lab] %s (pid %d) ended with exit code %d at %s\n" % (
                            os.path.basename(argv[0]), pid, os.waitstatus_to_exitcode(status),
                            time.strftime("%H:%M:%S")))
        finally:
            os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd) as f:
        data = f.read()
    if not data:
        raise LabError("could not start %s (see %s)" % (argv[0], logfile))
    return int(data)


# ---------------------------------------------------------------- ports

def port_open(ip, port, timeout=0.5):
    with contextlib.suppress(OSError), socket.create_connection((ip, port), timeout=timeout):
        return True
    return False


def wait_port(ip, port, seconds, what):
    if not wait_until(lambda: port_open(ip, port), seconds, 0.2):
        raise LabError("%s did not start listening on %s:%d within %ds" % (what, ip, port, seconds))
