# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets audit (issue 9): site.yml at -vvv on the converged lab, then every byte Ansible printed and the
whole journal of every lab host are searched for the three secrets: the vLLM API key (the lab's, from
/var/lib/llmops-lab/api-key), the Ray token (read from the head's /etc/ray/auth_token) and a Hugging Face
token given for this run (the hub test double ignores it; the roles pass it to huggingface_hub). Each is
searched as is and base64-encoded (slurp and the uri module's bodies would carry that form). Also: the env
file and the token file are 0600 root on disk, and vLLM runs as its own user.
"""

import base64
import secrets

import pytest

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
        assert cluster.ssh(host, "stat -c '%a %U %G' /etc/ray/auth_token").stdout.split() == ["600", "root", "root"]
    assert cluster.ssh("head", "stat -c '%a %U %G' /etc/vllm/vllm.env").stdout.split() == ["600", "root", "root"]
    pid = cluster.ssh("head", "systemctl show -p MainPID --value vllm.service").stdout.strip()
    assert cluster.ssh("head", "ps -o user= -p %s" % pid).stdout.strip() == "vllm"
