# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""End-to-end tests on a lab: the real site.yml and playbooks against real lab hosts over SSH.

The lab is E2E_LAB (default ``e2e``): three hosts, ``head`` (ray_head, nfs_server), ``worker1`` and
``worker2`` (ray_workers), with the variables of the demo inventory (inventories/lab/group_vars).
When that lab is already up (e.g. ``mol-multinode`` after the multinode scenario's verify, converged,
which is how ``make test`` runs this suite before that scenario's cleanup) it is used as it is; otherwise this session
boots it (with the lab venv image when make venv-image has built it) and removes it at the end (E2E_KEEP=1 keeps it). The session fixture ``cluster`` starts the
model hub test double (there is no model hub here) and runs site.yml once (not with E2E_CONVERGED=1: the
lab is converged already), so every test starts from a converged cluster, and every test that breaks
something must leave it converged again.

Run as root: ``make test-e2e`` (or ``.venv/bin/pytest tests/e2e``).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
LAB_TOOL = [sys.executable, os.path.join(ROOT, "tests", "lab", "lab")]
LAB = os.environ.get("E2E_LAB", "e2e")
HOSTS = "head=ray_head+nfs_server,worker1=ray_workers,worker2=ray_workers"
API_KEY_FILE = "/var/lib/llmops-lab/api-key"
IMAGE = "lab-venv"
sys.path.insert(0, os.path.join(ROOT, "tests", "lab"))
from labtool.rootfs import image_ready  # noqa: E402  (the lab tool's package, next to its script)


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs root and a lab (tests/lab/lab); see tests/e2e/conftest.py")


def lab(*args, check=True):
    return subprocess.run(LAB_TOOL + ["--name", LAB] + list(args), check=check, capture_output=True, text=True)


class Result(object):
    """An ansible-playbook run with the JSON callback: rc, stats, the tasks that ran / changed / failed."""

    def __init__(self, proc, seconds):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.seconds = seconds
        try:
            out = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            out = {}
        self.stats = out.get("stats", {})
        self.plays = out.get("plays", [])
        self.tasks, self.changed, self.failures = [], [], []
        for play in out.get("plays", []):
            for task in play["tasks"]:
                name = task["task"]["name"]
                self.tasks.append(name)
                for host, r in task["hosts"].items():
                    if r.get("changed"):
                        self.changed.append("%s: %s" % (host, name))
                    if (r.get("failed") or r.get("unreachable")) and not r.get("ignore_errors"):
                        msg = r.get("msg", "")
                        self.failures.append({"host": host, "task": name, "msg": str(msg),
                                              "lines": [str(m) for m in msg] if isinstance(msg, list) else [str(msg)]})

    def results(self, task):
        """{host: result} of the last task named ``task`` (e.g. a debug task's ``msg``)."""
        found = {}
        for play in self.plays:
            for t in play["tasks"]:
                if t["task"]["name"] == task:
                    found = t["hosts"]
        return found

    @property
    def messages(self):
        """Every failure message, one string (what a user reads)."""
        return "\n".join(f["msg"] for f in self.failures)

    @property
    def message_lines(self):
        """Every failure message, one line per message (a list message as its items, unquoted)."""
        return "\n".join(line for f in self.failures for line in f["lines"])

    def __repr__(self):
        # The failures first: pytest's one-line summary (all a CI record may keep) cuts the rest.
        return "<rc=%s failures=%s changed=%s stderr=%s>" % (
            self.rc, [(f["host"], f["task"], f["msg"][:1500]) for f in self.failures], self.changed, self.stderr[-2000:])


class Lab(object):
    def __init__(self, inventory_dir):
        self.inventory_dir = inventory_dir
        self.inventory = os.path.join(inventory_dir, "hosts.yml")
        with open(self.inventory) as f:
            inv = yaml.safe_load(f)["all"]
        self.hosts = {name: h["ansible_host"] for name, h in inv["hosts"].items()}

    def playbook(self, playbook, *args, extra_vars=None, env=None, timeout=1800, inventory=None):
        """Run a playbook of the collection (path relative to the repo root) as a user would."""
        argv, environ = self.command(playbook, *args, extra_vars=extra_vars, env=env, inventory=inventory)
        start = time.monotonic()
        proc = subprocess.run(argv, capture_output=True, text=True, env=environ, timeout=timeout, cwd=ROOT,
                              check=False)
        result = Result(proc, time.monotonic() - start)
        # Whole, for pytest's "Captured stdout" of a failed test (an assertion's message is cut short there).
        for failure in result.failures:
            print("%s failed on %s: %s" % (failure["task"], failure["host"], failure["msg"]))
        return result

    def command(self, playbook, *args, extra_vars=None, env=None, inventory=None):
        """(argv, environment) of that ansible-playbook run, for a test that starts it itself (cwd ROOT)."""
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", inventory or self.inventory]
        # E2E_EXTRA_VARS (JSON): values for every run of the session, e.g. lower disk minimums on a
        # machine whose free space other labs eat ({"preflight_model_min_free_gb": 1}).
        extra_vars = dict(json.loads(os.environ.get("E2E_EXTRA_VARS") or "{}"), **(extra_vars or {}))
        for k, v in extra_vars.items():
            argv += ["-e", json.dumps({k: v})]
        argv += list(args) + [os.path.join(ROOT, playbook)]
        # No extra callbacks (they would print into the JSON); an empty ANSIBLE_CALLBACKS_ENABLED is an
        # error in ansible-core 2.19 ("A non-empty plugin name is required"), so the variable is removed.
        environ = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
                       ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
                       ANSIBLE_FORCE_COLOR="false", ANSIBLE_NOCOLOR="1")
        environ.pop("ANSIBLE_CALLBACKS_ENABLED", None)
        environ.update(env or {})
        return argv, environ

    def ssh(self, host, command, check=True, timeout=120):
        """Run a shell command on a lab host as root; returns the CompletedProcess."""
        proc = subprocess.run(LAB_TOOL + ["--name", LAB, "ssh", host, command], capture_output=True,
                              text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s: %r failed (rc %d): %s %s"
                                 % (host, command, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def snapshot(self):
        """What a failed run must not change, per host: unit files and env files (with checksums), fstab,
        the venv's record of its pins, and the Ray/vLLM/NFS processes with their PIDs."""
        cmd = ("cd / && sha256sum /etc/fstab /etc/systemd/system/*.service /etc/vllm/*.env /etc/vllm/*/* "
               "/opt/vllm_env/llmops-python-venv.json /etc/ganesha/ganesha.conf 2>/dev/null | sort; "
               "ps -eo pid=,args= | grep -E 'raylet|gcs_server|vllm.entrypoints|ganesha.nfsd' | grep -v grep "
               "| awk '{print $1, $2}' | sort")
        return {h: self.ssh(h, cmd, check=False).stdout for h in sorted(self.hosts)}


@pytest.fixture(scope="session")
def lab_env():
    if os.geteuid() != 0:
        pytest.skip("the lab needs root")
    was_up = lab("inventory", check=False).returncode == 0
    if not was_up:
        # With the lab venv image (make venv-image) the hosts boot with the venv site.yml would install.
        lab("up", "--hosts", HOSTS, *(["--image", IMAGE] if image_ready(IMAGE) else []))
    tmp = tempfile.mkdtemp(prefix="llmops-e2e-")
    inventory = yaml.safe_load(lab("inventory").stdout)
    # A lab booted by Molecule (mol-multinode) has no groups of its own: give it the HOSTS layout.
    if not inventory["all"].get("children"):
        groups = {}
        for item in HOSTS.split(","):
            host, _sep, names = item.partition("=")
            for group in names.split("+"):
                groups.setdefault(group, {"hosts": {}})["hosts"][host] = None
        inventory["all"]["children"] = groups
    with open(os.path.join(tmp, "hosts.yml"), "w") as f:
        yaml.safe_dump(inventory, f, default_flow_style=False)
    os.symlink(os.path.join(ROOT, "inventories", "lab", "group_vars"), os.path.join(tmp, "group_vars"))
    yield Lab(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    if not was_up and not os.environ.get("E2E_KEEP"):
        lab("down", check=False)


@pytest.fixture(scope="session")
def cluster(lab_env):
    """The lab with site.yml converged (the hub test double started first). E2E_CONVERGED=1 says the lab is
    converged already (``make test``: multinode's idempotence and verify just ran on it), so no run is spent."""
    hub = lab_env.playbook("tests/tools/fake_hub.yml")
    assert hub.rc == 0, hub
    if os.environ.get("E2E_CONVERGED") != "1":
        deploy = lab_env.playbook("site.yml")
        assert deploy.rc == 0, deploy
    return lab_env


@pytest.fixture(scope="session")
def api_key():
    with open(API_KEY_FILE) as f:
        return f.read().strip()
