# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planner tests: the table of issue 7 plus the bad-input checks of issue 9.

Model facts come from real config.json files of public models
(tests/unit/fixtures/hf_config/README.md says where each was copied from).
Cluster facts are plain data: GPUs cannot exist here, and the planner only
reads counts, so no mock stands in for anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils import _vllm_plan as vp

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "hf_config")


def config(name):
    with open(os.path.join(FIXTURES, name, "config.json")) as handle:
        return json.load(handle)


# Source paths: see tests/unit/fixtures/hf_config/README.md
LLAMA3_8B = config("Meta-Llama-3-8B")      # 32 heads / 8 KV / 32 layers
QWEN2_7B = config("Qwen2-7B-Instruct")     # 28 heads / 4 KV / 28 layers
DEEPSEEK_R1 = config("DeepSeek-V3")        # R1 shares V3's architecture: 128 heads, MLA, 61 layers


def nodes(*gpus):
    return [{"name": "n%d" % i, "gpus": g, "is_head": i == 0} for i, g in enumerate(gpus)]


def layout(result):
    return (result["tensor_parallel_size"], result["pipeline_parallel_size"],
            result["distributed_executor_backend"])


# ------------------------------------------------------------ issue 7 table

PLAN_TABLE = [
    # id, nodes, model, choices, (tp, pp, backend)
    ("2x1-default", nodes(1, 1), LLAMA3_8B, {}, (1, 2, "ray")),
    ("2x1-tp2-explicit", nodes(1, 1), LLAMA3_8B,
     {"tensor_parallel_size": 2, "pipeline_parallel_size": 1}, (2, 1, "ray")),
    ("2x8-deepseek-r1", nodes(8, 8), DEEPSEEK_R1, {}, (8, 2, "ray")),
    ("1x4-not-forced-to-ray", nodes(4), LLAMA3_8B, {}, (4, 1, "mp")),
    ("1x4-user-picks-ray", nodes(4), LLAMA3_8B, {"distributed_executor_backend": "ray"}, (4, 1, "ray")),
    ("1x1-leaves-backend-to-vllm", nodes(1), LLAMA3_8B, {}, (1, 1, None)),
    ("8+4-explicit-tp4-pp3", nodes(8, 4), QWEN2_7B,
     {"tensor_parallel_size": 4, "pipeline_parallel_size": 3}, (4, 3, "ray")),
    ("8+4-explicit-tp1-pp12", nodes(8, 4), LLAMA3_8B,
     {"tensor_parallel_size": 1, "pipeline_parallel_size": 12}, (1, 12, "ray")),
    ("only-tp-set-fills-gpus", nodes(8, 8), LLAMA3_8B, {"tensor_parallel_size": 4}, (4, 4, "ray")),
    ("only-pp-set", nodes(8, 8), LLAMA3_8B, {"pipeline_parallel_size": 4}, (4, 4, "ray")),
    ("2x2-multi-node-defaults-to-ray", nodes(2, 2), LLAMA3_8B, {}, (2, 2, "ray")),
    ("kv-replicated-tp16", nodes(8, 8), LLAMA3_8B,
     {"tensor_parallel_size": 16, "pipeline_parallel_size": 1}, (16, 1, "ray")),
]


@pytest.mark.parametrize("nodes_, model, choices, expected", [t[1:] for t in PLAN_TABLE],
                         ids=[t[0] for t in PLAN_TABLE])
def test_plan_table(nodes_, model, choices, expected):
    result = vp.plan(nodes_, model, **choices)
    assert result["errors"] == []
    assert result["ok"] is True
    assert layout(result) == expected
    args = result["vllm_args"]
    assert args["tensor_parallel_size"] == expected[0]
    assert args["pipeline_parallel_size"] == expected[1]
    assert args.get("distributed_executor_backend") == expected[2]


def test_tp_spanning_nodes_is_allowed_with_a_warning():
    result = vp.plan(nodes(1, 1), LLAMA3_8B, tensor_parallel_size=2, pipeline_parallel_size=1)
    assert result["tp_spans_nodes"] is True
    assert any("spans 2 nodes" in w and "TP=1 PP=2" in w for w in result["warnings"])


def test_default_does_not_span_nodes():
    result = vp.plan(nodes(8, 8), DEEPSEEK_R1)
    assert result["tp_spans_nodes"] is False
    assert result["warnings"] == []


def test_kv_replication_is_a_warning_not_an_error():
    # vLLM replicates KV heads when TP > KV heads (QKVParallelLinear num_kv_head_replicas).
    result = vp.plan(nodes(8, 8), LLAMA3_8B, tensor_parallel_size=16, pipeline_parallel_size=1)
    assert result["ok"]
    assert any("replicates each KV head on 2 GPUs" in w for w in result["warnings"])


# ------------------------------------------------------------------ errors

def test_28_heads_with_tp8_quotes_vllm_and_names_the_fix():
    result = vp.plan(nodes(8), QWEN2_7B)
    assert not result["ok"]
    text = " ".join(result["errors"])
    assert ("Total number of attention heads (28) must be divisible by tensor parallel size (8)"
            in text)
    assert "1, 2, 4, 7, 14, 28" in text
    assert "TP=4 PP=2" in text  # a computed layout that fits one 8-GPU node


def test_tp_times_pp_above_gpus():
    result = vp.plan(nodes(8, 8), LLAMA3_8B, tensor_parallel_size=8, pipeline_parallel_size=4)
    assert not result["ok"]
    [error] = [e for e in result["errors"] if "32 GPUs" in e]
    assert "the Ray cluster has 16 (n0: 8, n1: 8)" in error
    assert "TP=8 PP=2" in error


def test_uneven_nodes_default_suggests_computed_layouts():
    result = vp.plan(nodes(8, 4), LLAMA3_8B)
    assert not result["ok"]
    [error] = result["errors"]
    assert "8 + 4" in error
    assert "TP=1 PP=12" in error and "TP=4 PP=3" in error
    assert {"tensor_parallel_size": 4, "pipeline_parallel_size": 3} in result["suggestions"]
    assert {"tensor_parallel_size": 1, "pipeline_parallel_size": 12} in result["suggestions"]


def test_uneven_nodes_suggestions_respect_heads_and_layers():
    # 6 + 3 GPUs: TP=3 fits the nodes but not Llama's 32 heads; PP=9 fits its 32 layers.
    result = vp.plan(nodes(6, 3), LLAMA3_8B)
    assert result["suggestions"] == [{"tensor_parallel_size": 1, "pipeline_parallel_size": 9}]


def test_tp_straddling_unequal_nodes_is_an_error():
    result = vp.plan(nodes(8, 4), LLAMA3_8B, tensor_parallel_size=8, pipeline_parallel_size=1)
    assert result["ok"]  # TP=8 fits the 8-GPU node; 4 GPUs idle
    assert any("4 stay idle" in w for w in result["warnings"])
    result = vp.plan(nodes(4, 2), LLAMA3_8B, tensor_parallel_size=4, pipeline_parallel_size=1)
    assert result["ok"]
    result = vp.plan(nodes(2, 4), LLAMA3_8B, tensor_parallel_size=4, pipeline_parallel_size=1)
    assert result["ok"]
    result = vp.plan(nodes(4, 2), LLAMA3_8B, tensor_parallel_size=2, pipeline_parallel_size=3)
    assert result["ok"]
    bad = vp.plan(nodes(2, 2, 2), LLAMA3_8B, tensor_parallel_size=3, pipeline_parallel_size=2)
    assert any("straddle" in e for e in bad["errors"])


def test_kv_heads_must_divide_or_be_divided():
    # Qwen2-7B: 28 heads / 4 KV heads. TP=14 divides 28 but 14 % 4 != 0: vLLM's divide() asserts.
    result = vp.plan(nodes(8, 8), QWEN2_7B, tensor_parallel_size=14, pipeline_parallel_size=1)
    assert any("not a multiple of it" in e and "divide(tp, num_key_value_heads)" in e
               for e in result["errors"])


def test_mla_model_skips_kv_rule():
    result = vp.plan(nodes(8, 8), DEEPSEEK_R1, tensor_parallel_size=16, pipeline_parallel_size=1)
    assert result["ok"], result["errors"]
    assert not any("KV head" in w for w in result["warnings"])


def test_pp_above_layers():
    tiny = {"num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 2,
            "max_position_embeddings": 512}
    result = vp.plan(nodes(1, 1, 1), tiny, tensor_parallel_size=1, pipeline_parallel_size=3)
    assert any("exceeds the model's 2 hidden layers" in e and "at most 2" in e
               for e in result["errors"])


@pytest.mark.parametrize("cluster, needle", [
    ([], "No cluster nodes"),
    ([{"name": "a", "gpus": 1}], "exactly one head node, found 0"),
    ([{"name": "a", "gpus": 1, "is_head": True}, {"name": "b", "gpus": 1, "is_head": True}],
     "exactly one head node, found 2 (a, b)"),
    ([{"name": "a", "gpus": 0, "is_head": True}, {"name": "b", "gpus": 2}],
     "head node a has no GPU"),
    ([{"name": "a", "gpus": "x", "is_head": True}], "GPU count of node a must be a whole number"),
])
def test_cluster_errors(cluster, needle):
    result = vp.plan(cluster, LLAMA3_8B)
    assert not result["ok"]
    assert any(needle in e for e in result["errors"]), result["errors"]


def test_ray_style_node_facts():
    ray_nodes = [
        {"node_ip": "10.213.0.10", "is_head_node": True, "resources_total": {"GPU": 8.0, "CPU": 64.0}},
        {"node_ip": "10.213.0.11", "is_head_node": False, "resources_total": {"GPU": 8.0}},
        {"node_ip": "10.213.0.12", "is_head_node": False, "resources_total": {"CPU": 8.0}},
    ]
    result = vp.plan(ray_nodes, DEEPSEEK_R1)
    assert layout(result) == (8, 2, "ray")
    assert result["gpus_per_node"] == {"10.213.0.10": 8, "10.213.0.11": 8}
    assert any("10.213.0.12 has no GPU" in w for w in result["warnings"])


@pytest.mark.parametrize("choices, needle", [
    ({"distributed_executor_backend": "mp"}, "only the Ray executor can span"),
    ({"distributed_executor_backend": "external_launcher"}, "not supported here"),
    ({"tensor_parallel_size": 0}, "tensor_parallel_size must be at least 1"),
    ({"tensor_parallel_size": "two"}, "tensor_parallel_size must be a whole number"),
    ({"pipeline_parallel_size": 1.5}, "pipeline_parallel_size must be a whole number"),
    ({"gpu_memory_utilization": "high"}, "gpu_memory_utilization must be a number in (0, 1]"),
    ({"gpu_memory_utilization": 1.2}, "gpu_memory_utilization must be in (0, 1]"),
    ({"gpu_memory_utilization": 0}, "gpu_memory_utilization must be in (0, 1]"),
    ({"gpu_memory_utilization": True}, "gpu_memory_utilization must be a number"),
    ({"max_model_len": 16384}, "above the model's max_position_embeddings 8192"),
    ({"max_model_len": "lots"}, "max_model_len must be a whole number"),
    ({"served_model_name": "llama 3"}, "without whitespace"),
    ({"served_model_name": ""}, "without whitespace"),
    ({"api_port": 6379, "ray_ports": {"gcs": 6379, "dashboard": 8265}}, "Ray's gcs port (6379)"),
    ({"api_port": 10500, "ray_ports": {"worker_ports": [10002, 19999]}}, "range 10002-19999"),
    ({"api_port": 10500, "ray_ports": {"worker_ports": "10002-19999"}}, "range 10002-19999"),
    ({"api_port": 70000}, "above 65535"),
])
def test_bad_input_names_problem_and_fix(choices, needle):
    result = vp.plan(nodes(1, 1), LLAMA3_8B, **choices)
    assert not result["ok"]
    matching = [e for e in result["errors"] if needle in e]
    assert matching, result["errors"]
    assert all("Fix:" in e for e in result["errors"])


def test_good_optional_choices_land_in_vllm_args():
    result = vp.plan(nodes(1, 1), LLAMA3_8B, gpu_memory_utilization="0.85", max_model_len="8k",
                     served_model_name=["llama3", "default"], api_port=8000,
                     ray_ports={"gcs": 6379, "worker_ports": [10002, 19999]})
    assert result["ok"], result["errors"]
    assert result["vllm_args"] == {
        "tensor_parallel_size": 1, "pipeline_parallel_size": 2,
        "distributed_executor_backend": "ray", "gpu_memory_utilization": 0.85,
        "max_model_len": 8000, "served_model_name": ["llama3", "default"]}


def test_max_model_len_with_rope_scaling_is_left_to_vllm():
    result = vp.plan(nodes(8, 8), DEEPSEEK_R1, max_model_len=200000)
    assert result["ok"]
    assert any("rope_scaling" in w for w in result["warnings"])


@pytest.mark.parametrize("text, value", [
    (8192, 8192), ("8192", 8192), ("32k", 32000), ("32K", 32768), ("25.6k", 25600), ("1M", 2 ** 20),
])
def test_parse_human_int(text, value):
    assert vp.parse_human_int(text) == value


# ------------------------------------------------------------- model facts

def test_model_facts_from_real_configs():
    assert vp.model_facts(QWEN2_7B) == {
        "model_type": "qwen2", "num_attention_heads": 28, "num_key_value_heads": 4,
        "num_hidden_layers": 28, "max_position_embeddings": 32768, "hidden_size": 3584,
        "use_mla": False, "rope_scaling": None}
    facts = vp.model_facts(DEEPSEEK_R1)
    assert facts["use_mla"] is True and facts["num_hidden_layers"] == 61


def test_model_facts_text_config_and_mha_default():
    multimodal = {"model_type": "llava", "text_config": {"num_attention_heads": 32,
                                                         "num_hidden_layers": 32,
                                                         "max_position_embeddings": 4096}}
    facts = vp.model_facts(multimodal)
    assert facts["num_key_value_heads"] == 32  # no KV key: plain multi-head attention
    assert facts["max_position_embeddings"] == 4096
    with pytest.raises(ValueError):
        vp.model_facts("config.json")


# ---------------------------------------------------------------- argv

def test_cli_args_rules():
    argv = vp.cli_args({
        "model": "/mnt/models/llama",
        "--served-model-name": ["llama3", "default"],
        "tensor_parallel_size": 2,
        "gpu_memory_utilization": 0.9,
        "enforce_eager": True,
        "trust_remote_code": False,
        "no_enable_prefix_caching": True,
        "chat_template": None,
        "middleware": ["a.b", "c.d"],
        "hf_overrides": {"rope_theta": 1000000},
        "allowed_origins": [],
        "max_model_len": 8192.0,
    })
    assert argv == [
        "--model", "/mnt/models/llama",
        "--served-model-name", "llama3", "default",
        "--tensor-parallel-size", "2",
        "--gpu-memory-utilization", "0.9",
        "--enforce-eager",
        "--no-enable-prefix-caching",
        "--middleware", "a.b", "--middleware", "c.d",
        "--hf-overrides", '{"rope_theta":1000000}',
        "--max-model-len", "8192.0",
    ]


@pytest.mark.parametrize("flags, needle", [
    ({"api_key": "secret"}, "VLLM_API_KEY"),
    ({"api-key": ["k"]}, "VLLM_API_KEY"),
    ({"": 1}, "empty"),
    ({"max model len": 1}, "whitespace"),
    ({"port=8000": True}, "whitespace or '='"),
])
def test_cli_args_refuses(flags, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(")):
        vp.cli_args(flags)


def test_cli_args_non_dict():
    with pytest.raises(ValueError):
        vp.cli_args(["--model", "x"])
    assert vp.cli_args(None) == []


# ---------------------------------------------------------- systemd quoting

@pytest.mark.parametrize("arg, quoted", [
    ("--tensor-parallel-size", "--tensor-parallel-size"),
    ("/mnt/models/Llama-3-8B", "/mnt/models/Llama-3-8B"),
    ("50%", "50%%"),
    ("a b", '"a b"'),
    ("$HOME", '"$$HOME"'),
    ("${X}", '"$${X}"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    ("it's", "\"it's\""),
    (";", '";"'),
    ("", '""'),
    ("line\nbreak\ttab", '"line\\nbreak\\ttab"'),
    ("\x01", '"\\x01"'),
    ('{"a":1}', '"{\\"a\\":1}"'),
    ("{% if x %}", '"{%% if x %%}"'),
    ("héllo wörld", '"héllo wörld"'),
])
def test_systemd_quote(arg, quoted):
    assert vp.systemd_quote(arg) == quoted


def test_systemd_exec_args_checks_program():
    assert vp.systemd_exec_args(["/opt/vllm_env/bin/python", "-m", "vllm.entrypoints.openai.api_server",
                                 "--port", 8000]) == \
        "/opt/vllm_env/bin/python -m vllm.entrypoints.openai.api_server --port 8000"
    for bad in ([], "python", ["python", "-m"], ["-/bin/true"], ["/bin/echo", "a\x00b"]):
        with pytest.raises(ValueError):
            vp.systemd_exec_args(bad)


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def _verify(tmp_path, exec_start):
    unit = tmp_path / "quoting.service"
    unit.write_text("[Service]\nType=exec\nExecStart=%s\n" % exec_start, encoding="utf-8")
    return subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True,
                          check=False)


@pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze not installed")
def test_systemd_analyze_accepts_quoted_exec_start(tmp_path):
    """Real systemd (systemd-analyze verify) parses the rendered line without a complaint.

    The counter-case shows verify does report quoting it cannot parse, so the
    first assertion can fail.
    """
    args = ["/bin/echo", "50%", "a b", "$HOME", "${X}", 'say "hi"', "back\\slash", "it's", ";",
            "", "line\nbreak\ttab", "\x01", '{"a":1}', "{% if x %}", "h\u00e9llo w\u00f6rld"]
    good = _verify(tmp_path, vp.systemd_exec_args(args))
    assert good.returncode == 0 and good.stderr == "", good.stderr
    bad = _verify(tmp_path, "/bin/echo \"a\\;b\" 'x")
    assert bad.returncode != 0 and "quoting" in bad.stderr


# ------------------------------------------------------ the server's plan

def role_options(**overrides):
    """Role vllm_server's defaults (roles/vllm_server/defaults/main.yml) for SERVER_OPTIONS, plus overrides."""
    import yaml
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "vllm_server", "defaults", "main.yml")
    with open(path) as handle:
        defaults = yaml.safe_load(handle)
    options = dict((k, v) for k, v in defaults.items() if k[len("vllm_server_"):] in vp.SERVER_OPTIONS)
    options["vllm_server_model_path"] = "/mnt/models/llama-3-8b"
    # Ray's ports default to role ray_cluster's (a template the play resolves): its defaults, resolved.
    options.update(vllm_server_ray_port=6379, vllm_server_ray_dashboard_port=8265)
    options.update(("vllm_server_" + k, v) for k, v in overrides.items())
    return options


def test_server_plan_renders_the_whole_argument_list():
    result = vp.server_plan(nodes(1, 1), LLAMA3_8B, role_options())
    assert result["ok"], result["errors"]
    assert result["argv"] == [
        "--model", "/mnt/models/llama-3-8b", "--host", "0.0.0.0", "--port", "8000", "--dtype", "auto",
        "--tensor-parallel-size", "1", "--pipeline-parallel-size", "2", "--distributed-executor-backend", "ray",
        "--gpu-memory-utilization", "0.9", "--served-model-name", "llama-3-8b"]
    assert (result["distributed_executor_backend"], result["uses_ray"], result["served_model_name"]) == (
        "ray", True, "llama-3-8b")


def test_server_plan_zero_and_empty_mean_not_set():
    result = vp.server_plan(nodes(4), LLAMA3_8B, role_options(
        gpu_memory_utilization=0, max_model_len="0", dtype="", served_model_name="chat", model_path="/m/x/"))
    assert result["ok"], result["errors"]
    assert "--gpu-memory-utilization" not in result["argv"] and "--max-model-len" not in result["argv"]
    assert "--dtype" not in result["argv"]
    assert result["argv"][:2] == ["--model", "/m/x/"]
    assert result["served_model_name"] == "chat" and (result["tensor_parallel_size"], result["uses_ray"]) == (4, False)


def test_server_plan_extra_args_come_last_and_null_removes():
    result = vp.server_plan(nodes(1), LLAMA3_8B, role_options(
        extra_args={"enforce_eager": True, "dtype": None, "max_num_seqs": 8}))
    assert result["argv"][-3:] == ["--enforce-eager", "--max-num-seqs", "8"]
    assert "--dtype" not in result["argv"]


def test_server_plan_backend_none_leaves_the_flag_out():
    result = vp.server_plan(nodes(4), LLAMA3_8B, role_options(distributed_executor_backend="none"))
    assert result["ok"], result["errors"]
    assert "--distributed-executor-backend" not in result["argv"]
    assert (result["distributed_executor_backend"], result["uses_ray"]) == (None, False)


def test_server_plan_backend_none_cannot_span_nodes():
    result = vp.server_plan(nodes(1, 1), LLAMA3_8B, role_options(distributed_executor_backend="none"))
    assert not result["ok"]
    assert result["errors"] == [
        "distributed_executor_backend none leaves the choice to vLLM, which cannot span TP x PP = 2 over more "
        "than the head node (1 GPUs). Fix: set vllm_server_distributed_executor_backend to ray or lower TP/PP."]


def test_server_plan_carries_the_planners_errors():
    result = vp.server_plan(nodes(1, 1), LLAMA3_8B, role_options(tensor_parallel_size="3", port=6379))
    assert not result["ok"]
    assert any("collides with Ray's gcs port" in e for e in result["errors"])
    assert any("exceeds" in e or "GPUs" in e for e in result["errors"])


def test_server_plan_takes_a_missing_option_as_not_set():
    options = role_options(dtype="", chat_template="")
    fewer = dict((k, v) for k, v in options.items() if k not in ("vllm_server_dtype", "vllm_server_chat_template"))
    assert vp.server_plan(nodes(1), LLAMA3_8B, fewer) == vp.server_plan(nodes(1), LLAMA3_8B, options)


def test_the_role_passes_every_server_option():
    """Role vllm_server's plan input (vars/main.yml, __vllm_server_options) is each SERVER_OPTIONS name, as is: a
    planned option the role forgot would silently be vLLM's default."""
    import yaml
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "vllm_server", "vars", "main.yml")
    with open(path) as handle:
        passed = yaml.safe_load(handle)["__vllm_server_options"]
    assert passed == dict(("vllm_server_" + name, "{{ vllm_server_%s }}" % name) for name in vp.SERVER_OPTIONS)


def test_port_collisions_is_the_planners_port_rule():
    ray_ports = {"gcs": 6379, "worker": [10002, 10999]}
    assert vp.port_collisions(8000, ray_ports) == []
    assert vp.port_collisions(10500, ray_ports) == [
        "The vLLM API port 10500 collides with Ray's worker port (range 10002-10999). Fix: move the vLLM port "
        "(e.g. 8000) or the Ray port so they differ."]
    assert vp.port_collisions(6379, ray_ports) == [
        e for e in vp.plan(nodes(1), LLAMA3_8B, api_port=6379, ray_ports=ray_ports)["errors"] if "port" in e]
