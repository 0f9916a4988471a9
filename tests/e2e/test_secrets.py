# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets audit (issue 9): site.yml at -vvv on the converged lab, then every byte Ansible printed and the
whole journal of every lab host are searched for the three secrets: the vLLM API key (the lab's, from
/var/lib/llmops-lab/api-key), the Ray token (read from the head's /etc/ray/auth_token) and a Hugging Face
token given for this run (the hub test double ignores it; the roles pass it to huggingface_hub). Each is
searched as is and base64-encoded (slurp and the uri module's bodies would carry that form). Also: the env
file is 0600 root on disk, the Ray token file 0400 of the service user Ray runs as, vLLM runs as that user,
and while vLLM's Ray executor runs (one pipeline stage per host) the API key is in the environment of no
process on a worker host (vLLM copies the driver's environment to its Ray workers; the role's exclusion
file keeps the key out), read from /proc/<pid>/environ of every process as root.
"""

import base64
import secrets
import subprocess

import pytest
from conftest import LAB, LAB_TOOL

pytestmark = pytest.mark.lab


def forms(secret):
    return {"raw": secret, "base64": base64.b64encode(secret.encode()).decode()}


def test_no_secret_in_verbose_output_or_journals(cluster, api_key):
    ray_token = cluster.ssh("head", "cat /etc/ray/auth_token").stdout.strip()
    hf_token = "hf_" + secrets.token_hex(16)
    assert len(api_key) >= 16 and len(ray_token) >= 32
    run = cluster.playbook("site.yml", "-vvv", extra_vars={"model_storage_hf_token": hf_token},
                           env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"})
    assert run.rc == 0, run.stderr[-3000:] + run.stdout[-3000:]
    output = run.stdout + run.stderr
    assert len(output) > 100000, "a -vvv run prints a lot; got %d bytes" % len(output)
    journals = {h: cluster.ssh(h, "journalctl --no-pager -o cat", timeout=300).stdout for h in sorted(cluster.hosts)}
    assert all(len(j) > 1000 for j in journals.values()), {h: len(j) for h, j in journals.items()}
    found = []
    for name, secret in (("API key", api_key), ("Ray token", ray_token), ("HF token", hf_token)):
        for form, text in forms(secret).items():
            if text in output:
                found.append("%s (%s) in the -vvv output" % (name, form))
            found += ["%s (%s) in %s's journal" % (name, form, h) for h, j in journals.items() if text in j]
    assert found == [], found


def test_secret_files_are_root_only_and_vllm_has_its_own_user(cluster):
    for host in sorted(cluster.hosts):
        assert cluster.ssh(host, "stat -c '%a %U %G' /etc/ray/auth_token").stdout.split() == ["400", "vllm", "vllm"]
    assert cluster.ssh("head", "stat -c '%a %U %G' /etc/vllm/vllm.env").stdout.split() == ["600", "root", "root"]
    pid = cluster.ssh("head", "systemctl show -p MainPID --value vllm.service").stdout.strip()
    assert cluster.ssh("head", "ps -o user= -p %s" % pid).stdout.strip() == "vllm"


# The key comes on stdin into a shell variable that is not exported: the scanning processes' own
# environments do not hold it. Prints "PID USER COMMAND" of every process whose environment holds it.
SCAN = ("read -r key; for f in /proc/[0-9]*/environ; do grep -qsF -- \"$key\" \"$f\" && p=${f#/proc/} "
        "&& ps -o pid=,user=,args= -p ${p%/environ}; done; true")


def test_api_key_reaches_no_process_on_the_workers(cluster, api_key):
    workers = sorted(h for h in cluster.hosts if h != "head")
    for host in workers:  # the executor runs there now: one vLLM pipeline stage per worker host
        assert cluster.ssh(host, "pgrep -u vllm -f '^ray::RayWorkerProc'").stdout.split(), host

    def holders(host):
        proc = subprocess.run(LAB_TOOL + ["--name", LAB, "ssh", host, SCAN], input=api_key + "\n",
                              capture_output=True, text=True, timeout=120, check=True)
        return proc.stdout.splitlines()

    # the scan finds the key where it must be (vLLM's API server on the head), so it can fail
    assert any("vllm.entrypoints.openai.api_server" in line for line in holders("head")), holders("head")
    found = {host: holders(host) for host in workers}
    assert found == {host: [] for host in workers}, found
