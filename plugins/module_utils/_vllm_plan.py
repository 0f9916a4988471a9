# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning and rendering helpers for the vLLM server (issue 7).

Nothing here touches a host: every function takes plain data (cluster facts,
the model's ``config.json``, the user's choices) and returns plain data, so the
filter plugin ``llmops.ray_vllm.vllm`` and any module can share it and the unit
tests can drive it directly.

What vLLM itself enforces, and where (vllm-project/vllm, read through the
search tool; line numbers drift, the function names do not):

* ``vllm/config/model.py`` ``ModelConfig.verify_with_parallel_config``::

      Total number of attention heads ({heads}) must be divisible by tensor
      parallel size ({tp}).

  raised at engine start, i.e. minutes after ``systemctl start`` on a large
  model. We raise the same words before anything is written.
* ``vllm/model_executor/models/llama.py`` ``LlamaAttention.__init__`` and
  ``vllm/model_executor/layers/linear.py`` ``QKVParallelLinear.__init__``:
  KV heads are *partitioned* when ``num_kv_heads >= tp``
  (``divide(num_kv_heads, tp)``, an assert) and *replicated* when
  ``tp > num_kv_heads`` (``num_kv_head_replicas = divide(tp, num_kv_heads)``).
  ``ModelConfig.get_num_kv_heads`` documents it: "We will replicate the KV
  heads in the case where the number of KV heads is smaller than the tensor
  parallel size so each GPU has at least one KV head". So TP > KV heads is
  fine (Llama-3-8B: 8 KV heads, TP=16 gives 2 replicas), but one of the two
  must divide the other: Qwen2-7B (28 heads, 4 KV heads) with TP=14 passes
  the attention-head check and then dies in ``divide(14, 4)``. MLA models
  (DeepSeek-V2/V3/R1, ``kv_lora_rank`` set) do not use that split
  (``get_num_kv_heads`` returns 1 for MLA), so the KV rule is skipped there.
* ``vllm/distributed/utils.py`` ``get_pp_indices``: layers are split evenly
  over pipeline stages; with ``pp > num_hidden_layers`` stages get no layer.
* ``vllm/config/parallel.py``: ``DistributedExecutorBackend = Literal["ray",
  "mp", "uni", "external_launcher"]``. With the backend unset and
  ``world_size`` (TP x PP) above the GPUs of the node vLLM starts on, newer
  vLLM no longer picks Ray by itself; ``ParallelConfig.__post_init__``
  raises "World size (N) is larger than the number of available GPUs (M) in
  this node. If this is intentional and you are using: - ray, set
  '--distributed-executor-backend ray'." Unset and world size 1 becomes
  ``uni``. ``nnodes > 1`` (multi-node ``mp``) is only valid with
  mp/uni/external_launcher; this collection drives multi-node through Ray.
* ``vllm/engine/arg_utils.py`` ``get_kwargs``/``collection_to_kwargs`` and
  ``vllm/entrypoints/openai/cli_args.py``: booleans are
  ``argparse.BooleanOptionalAction`` (``--flag`` / ``--no-flag``), list fields
  take ``nargs="+"`` (one flag, values after it: a repeated flag keeps only
  the last list), except ``--middleware`` (``action="append"``, repeat the
  flag); ``--allowed-origins``/``--allowed-methods``/``--allowed-headers`` and
  dict-typed options parse one JSON string.
"""

from __future__ import annotations

import json
import math
import re

BACKENDS = ("ray", "mp", "uni")
# vLLM flags registered with action="append" (cli_args.py FrontendArgs).
APPEND_FLAGS = ("middleware",)
# Options whose value is a secret: never rendered on a command line.
SECRET_FLAGS = ("api_key",)

# vLLM's ModelConfig.get_total_num_kv_heads looks these up in order.
_KV_HEAD_KEYS = ("n_head_kv", "num_kv_heads", "num_key_value_heads", "multi_query_group_num")
# vLLM's _get_and_verify_max_len "possible_keys".
_MAX_LEN_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len",
                 "max_sequence_length", "max_seq_length", "seq_len")
_WHITESPACE = re.compile(r"\s")
_HUMAN_INT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)\s*$")
_SYSTEMD_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


# ---------------------------------------------------------------- helpers

def _as_int(value, what, errors, minimum=None):
    """Return value as int, or None after appending an error that names the fix."""
    if isinstance(value, bool):
        errors.append("%s must be a whole number, got %r. Fix: set it to an integer such as 1."
                      % (what, value))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.append("%s must be a whole number, got %r. Fix: set it to an integer such as 1."
                      % (what, value))
        return None
    if not number.is_integer():
        errors.append("%s must be a whole number, got %r. Fix: set it to an integer." % (what, value))
        return None
    number = int(number)
    if minimum is not None and number < minimum:
        errors.append("%s must be at least %d, got %d. Fix: set it to %d or more."
                      % (what, minimum, number, minimum))
        return None
    return number


def parse_human_int(value):
    """Parse an int the way vLLM's ``human_readable_int`` does for max_model_len.

    Lower-case k/m/g are decimal (1k = 1000), upper-case K/M/G binary
    (1K = 1024); plain numbers pass through. Raises ValueError otherwise.
    """
    if isinstance(value, bool):
        raise ValueError("not a number: %r" % (value,))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number: %r" % (value,))
        return int(value)
    match = _HUMAN_INT.match(str(value))
    if not match:
        raise ValueError("not a number: %r" % (value,))
    number, suffix = match.groups()
    scale = {"": 1, "k": 10 ** 3, "m": 10 ** 6, "g": 10 ** 9,
             "K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30}[suffix]
    result = float(number) * scale
    if not result.is_integer():
        raise ValueError("not a whole number: %r" % (value,))
    return int(result)


def _divisors(number):
    return [d for d in range(1, number + 1) if number % d == 0]


def _fmt_layouts(layouts):
    return " or ".join("TP=%d PP=%d" % (lay["tensor_parallel_size"], lay["pipeline_parallel_size"])
                       for lay in layouts)


# ------------------------------------------------------------ model facts

def model_facts(config):
    """Normalise a Hugging Face ``config.json`` (a dict) into the planner's model facts.

    Multimodal configs keep the language model under ``text_config``; vLLM
    reads ``hf_text_config`` the same way. Missing KV heads mean plain
    multi-head attention (KV heads = attention heads), as in vLLM.

    Returns a dict with num_attention_heads, num_key_value_heads,
    num_hidden_layers, max_position_embeddings, hidden_size, use_mla,
    rope_scaling, model_type (absent values are None).
    Raises ValueError when config is not a mapping.
    """
    if not isinstance(config, dict):
        raise ValueError("model config must be a dict (the model's config.json), got %s"
                         % type(config).__name__)
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else config
    heads = text.get("num_attention_heads", config.get("num_attention_heads"))
    kv_heads = None
    for key in _KV_HEAD_KEYS:
        if text.get(key) is not None:
            kv_heads = text[key]
            break
    if kv_heads is None:
        kv_heads = heads
    max_len = None
    for key in _MAX_LEN_KEYS:
        if text.get(key) is not None:
            max_len = text[key]
            break
    return {
        "model_type": text.get("model_type", config.get("model_type")),
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "num_hidden_layers": text.get("num_hidden_layers", config.get("num_hidden_layers")),
        "max_position_embeddings": max_len,
        "hidden_size": text.get("hidden_size", config.get("hidden_size")),
        "use_mla": bool(text.get("use_mla", text.get("kv_lora_rank") is not None)),
        "rope_scaling": text.get("rope_scaling"),
    }


# ---------------------------------------------------------- cluster facts

def _node_label(node, index):
    for key in ("name", "hostname", "inventory_hostname", "ip", "node_ip"):
        if node.get(key):
            return str(node[key])
    return "node%d" % index


def _node_gpus(node):
    if "gpus" in node:
        return node["gpus"]
    resources = node.get("resources_total") or node.get("resources") or {}
    return resources.get("GPU", 0)


def declared_nodes(hosts, head, declared_gpus, found_gpus):
    """The planner's nodes before Ray runs: ``[{name, gpus, is_head}]`` for ``hosts``, with the GPUs Ray
    will be told (``declared_gpus``, ray_cluster_num_gpus per host; negative: not declared), else those
    found on the host (``found_gpus``, cuda_check's count; None counts as 0)."""
    if not len(hosts) == len(declared_gpus) == len(found_gpus):
        raise ValueError("hosts, declared_gpus and found_gpus differ in length (%d, %d, %d)"
                         % (len(hosts), len(declared_gpus), len(found_gpus)))
    return [{"name": host, "gpus": int(declared) if int(declared) >= 0 else int(found or 0), "is_head": host == head}
            for host, declared, found in zip(hosts, declared_gpus, found_gpus)]


def _cluster(nodes, errors, warnings):
    """Validate cluster facts; return (head, gpu_nodes) as lists of (label, gpus)."""
    if not isinstance(nodes, (list, tuple)) or not nodes:
        errors.append("No cluster nodes were given. Fix: pass the Ray cluster's nodes "
                      "(from ray_cluster_info or gpu_facts) as a list of {name, gpus, is_head}.")
        return None, []
    heads, gpu_nodes = [], []
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            errors.append("Cluster node #%d is %r, not a mapping. Fix: give each node as "
                          "{name, gpus, is_head}." % (index, node))
            continue
        label = _node_label(node, index)
        gpus = _as_int(_node_gpus(node), "GPU count of node %s" % label, errors, minimum=0)
        if gpus is None:
            continue
        if node.get("is_head", node.get("is_head_node", False)):
            heads.append((label, gpus))
        if gpus > 0:
            gpu_nodes.append((label, gpus))
        elif not node.get("is_head", node.get("is_head_node", False)):
            warnings.append("Node %s has no GPU; vLLM places no worker there." % label)
    if len(heads) != 1:
        errors.append("The cluster must have exactly one head node, found %d (%s). Fix: put "
                      "exactly one host in the ray_head group."
                      % (len(heads), ", ".join(h[0] for h in heads) or "none"))
        return None, gpu_nodes
    head = heads[0]
    if head[1] < 1:
        # vllm/executor/ray_distributed_executor.py (_init_workers_ray) fails with
        # "Ray does not allocate any GPUs on the driver node" when this happens.
        errors.append("The head node %s has no GPU, but vLLM's driver worker runs on the node "
                      "where the server starts (vLLM fails with \"Ray does not allocate any GPUs "
                      "on the driver node\"). Fix: make a GPU host the Ray head (ray_head group)."
                      % head[0])
    return head, gpu_nodes


# ------------------------------------------------------------ parallelism

def valid_layouts(gpu_counts, num_attention_heads=None, num_key_value_heads=None,
                  num_hidden_layers=None, use_mla=False, use_all_gpus=True):
    """All (TP, PP) layouts whose TP groups each fit inside one node.

    A layout is returned when every node's GPU count is a multiple of TP (so
    no tensor-parallel group straddles two nodes and no GPU is stranded),
    PP = total GPUs / TP, and the model constraints hold (TP divides the
    attention heads; KV heads partition or replicate evenly; PP <= layers).
    Largest TP first: TP inside a node rides NVLink/PCIe, PP crosses the
    network once per stage. With use_all_gpus false, smaller PP values that
    leave GPUs idle are listed too.
    """
    layouts = []
    counts = [int(c) for c in gpu_counts if int(c) > 0]
    if not counts:
        return layouts
    for tp in sorted(_divisors(min(counts)), reverse=True):
        if any(c % tp for c in counts):
            continue
        if not _tp_model_ok(tp, num_attention_heads, num_key_value_heads, use_mla):
            continue
        max_pp = sum(counts) // tp
        pps = [max_pp] if use_all_gpus else list(range(max_pp, 0, -1))
        for pp in pps:
            if num_hidden_layers and pp > int(num_hidden_layers):
                continue
            layouts.append({"tensor_parallel_size": tp, "pipeline_parallel_size": pp})
    return layouts


def _tp_model_problems(tp, heads, kv_heads, use_mla, suggest=lambda: ""):
    """The model's rules for tensor parallel size ``tp``: ``(errors, warnings)``.

    TP divides the attention heads; the KV heads split evenly over TP (TP <= KV heads) or are
    replicated evenly (TP a multiple of them); models with multi-head latent attention have no
    KV-head rule. ``suggest()`` adds the layouts that fit to each error.
    """
    errors, warnings = [], []
    if heads:
        heads = int(heads)
        if heads % tp:
            errors.append(
                "Total number of attention heads (%d) must be divisible by tensor parallel size "
                "(%d). This is the error vLLM would raise at start-up. Fix: choose "
                "tensor_parallel_size from the divisors of %d (%s)%s."
                % (heads, tp, heads, ", ".join(str(d) for d in _divisors(heads)), suggest()))
    if kv_heads and not use_mla:
        kv_heads = int(kv_heads)
        if kv_heads >= tp and kv_heads % tp:
            errors.append(
                "The model's %d KV heads cannot be split evenly over tensor parallel size %d "
                "(vLLM's QKVParallelLinear asserts num_key_value_heads %% tp == 0 when tp <= KV "
                "heads). Fix: use a tensor_parallel_size that divides %d%s."
                % (kv_heads, tp, kv_heads, suggest()))
        elif kv_heads < tp and tp % kv_heads:
            errors.append(
                "Tensor parallel size %d is larger than the model's %d KV heads but not a multiple "
                "of it, so vLLM cannot replicate the KV heads evenly (QKVParallelLinear: "
                "divide(tp, num_key_value_heads)). Fix: use a multiple of %d or a divisor of it%s."
                % (tp, kv_heads, kv_heads, suggest()))
        elif kv_heads < tp:
            warnings.append(
                "Tensor parallel size %d exceeds the model's %d KV heads: vLLM replicates each KV "
                "head on %d GPUs, so the KV cache per GPU stops shrinking beyond TP=%d."
                % (tp, kv_heads, tp // kv_heads, kv_heads))
    return errors, warnings


def _tp_model_ok(tp, heads, kv_heads, use_mla):
    return not _tp_model_problems(tp, heads, kv_heads, use_mla)[0]


def _check_model(tp, pp, model, errors, warnings, suggest):
    tp_errors, tp_warnings = _tp_model_problems(tp, model.get("num_attention_heads"),
                                                model.get("num_key_value_heads"), model.get("use_mla"), suggest)
    errors.extend(tp_errors)
    warnings.extend(tp_warnings)
    layers = model.get("num_hidden_layers")
    if layers:
        layers = int(layers)
        if pp > layers:
            errors.append(
                "Pipeline parallel size %d exceeds the model's %d hidden layers; vLLM splits layers "
                "over pipeline stages and some stages would get none. Fix: set "
                "pipeline_parallel_size to at most %d%s." % (pp, layers, layers, suggest()))


def _model_facts_or_error(model, errors):
    if isinstance(model, dict):
        return model if "use_mla" in model else model_facts(model)
    errors.append("Model facts must be the model's config.json as a mapping, got %r. Fix: "
                  "read config.json from the model directory (slurp + from_json)." % (model,))
    return {}


def _layout(counts, tensor_parallel_size, pipeline_parallel_size, layouts, errors):
    """(TP, PP) from the user's choices; unset ones by the defaults of plan()."""
    total = sum(counts)
    tp = pp = None
    if tensor_parallel_size is not None:
        tp = _as_int(tensor_parallel_size, "tensor_parallel_size", errors, minimum=1)
    if pipeline_parallel_size is not None:
        pp = _as_int(pipeline_parallel_size, "pipeline_parallel_size", errors, minimum=1)
    explicit_tp = tp is not None
    if total and tp is None and tensor_parallel_size is None:
        if pp is not None:
            tp = max(1, total // pp)
        elif len(set(counts)) == 1:
            tp = counts[0]
        else:
            errors.append(
                "GPU counts differ between nodes (%s), so the default tensor_parallel_size "
                "(= GPUs per node) is undefined and a tensor-parallel group would straddle unequal "
                "nodes. Fix: set tensor_parallel_size and pipeline_parallel_size explicitly, e.g. %s."
                % (" + ".join(str(c) for c in counts), _fmt_layouts(layouts) or "TP=1 PP=%d" % total))
    if total and tp is not None and pp is None and pipeline_parallel_size is None:
        pp = len(counts) if not explicit_tp else max(1, total // tp)
    return tp, pp


def _span(tp, pp, gpu_nodes, errors, warnings, suggest):
    """Check that TP x PP fits the cluster and where TP groups land; True when a TP group spans nodes."""
    counts = [node[1] for node in gpu_nodes]
    total, world = sum(counts), tp * pp
    if world > total:
        errors.append(
            "tensor_parallel_size x pipeline_parallel_size = %d x %d = %d GPUs, but the Ray "
            "cluster has %d (%s). Fix: lower TP or PP, or add GPU nodes%s."
            % (tp, pp, world, total, ", ".join("%s: %d" % n for n in gpu_nodes), suggest()))
        return False
    if world < total:
        warnings.append("TP x PP = %d uses %d of the cluster's %d GPUs; %d stay idle."
                        % (world, world, total, total - world))
    # vLLM's Ray executor asks for TP x PP one-GPU bundles with Ray's PACK strategy and gives
    # consecutive ranks to a TP group, so a group stays inside a node when everything fits on one
    # node or TP divides every node's GPU count.
    if world <= max(counts) or not any(c % tp for c in counts):
        return False
    if len(set(counts)) > 1 or tp % counts[0]:
        errors.append(
            "tensor_parallel_size %d does not fit inside the nodes (%s GPUs) and they "
            "cannot be split into equal whole-node groups, so a tensor-parallel group "
            "would straddle unequal nodes. Fix: use a TP that divides every node's GPU "
            "count%s." % (tp, " + ".join(str(c) for c in counts), suggest()))
    else:
        warnings.append(
            "tensor_parallel_size %d spans %d nodes of %d GPU(s): every layer does an "
            "all-reduce over the network (Ray backend). Prefer TP=%d PP=%d unless the "
            "nodes share a fast interconnect (InfiniBand/RoCE)."
            % (tp, tp // counts[0], counts[0], counts[0], world // counts[0]))
    return True


def plan(nodes, model, tensor_parallel_size=None, pipeline_parallel_size=None,
         distributed_executor_backend=None, max_model_len=None,
         gpu_memory_utilization=None, served_model_name=None, api_port=None,
         ray_ports=None):
    """Plan TP, PP and the executor backend for a vLLM server on a Ray cluster.

    nodes: list of dicts, one per Ray node: ``gpus`` (or Ray's
      ``resources_total.GPU``), ``is_head`` (or ``is_head_node``), and a
      ``name``/``ip``/``node_ip`` used in messages.
    model: the model's ``config.json`` as a dict, or the output of
      model_facts().
    The rest are the user's choices; None means "not set".

    Defaults: TP = GPUs per node and PP = number of GPU nodes (vLLM's
    distributed-serving docs give the same rule). With only TP set,
    PP = total GPUs / TP; with only PP set, TP = total GPUs / PP.
    Backend: ``ray`` when the cluster has more than one node or when TP x PP
    exceeds the head's GPUs (forced: vLLM needs it then); otherwise the user's
    choice, default ``mp`` on one node (None when TP x PP == 1, vLLM then uses
    ``uni``).

    Returns a dict: ok, errors, warnings, suggestions, tensor_parallel_size,
    pipeline_parallel_size, world_size, distributed_executor_backend,
    total_gpus, head_gpus, gpus_per_node, tp_spans_nodes, and vllm_args (the
    planned flags, ready for vllm_cli_args). Every error names the problem and
    the fix. Never raises on bad input: errors are data, so a role can assert
    on them and print them all at once.
    """
    errors, warnings = [], []
    model = _model_facts_or_error(model, errors)
    head, gpu_nodes = _cluster(nodes, errors, warnings)
    counts = [node[1] for node in gpu_nodes]
    total = sum(counts)
    head_gpus = head[1] if head else 0
    layouts = valid_layouts(counts, model.get("num_attention_heads"), model.get("num_key_value_heads"),
                            model.get("num_hidden_layers"), model.get("use_mla"))

    def suggest():
        return "; layouts that fit this cluster: %s" % _fmt_layouts(layouts) if layouts else ""

    tp, pp = _layout(counts, tensor_parallel_size, pipeline_parallel_size, layouts, errors)
    result = {
        "ok": False, "errors": errors, "warnings": warnings, "suggestions": layouts,
        "tensor_parallel_size": tp, "pipeline_parallel_size": pp,
        "world_size": tp * pp if tp and pp else None,
        "distributed_executor_backend": None, "total_gpus": total, "head_gpus": head_gpus,
        "gpus_per_node": dict(gpu_nodes), "tp_spans_nodes": False, "vllm_args": {},
    }
    if tp and pp and total:
        result["tp_spans_nodes"] = _span(tp, pp, gpu_nodes, errors, warnings, suggest)
        _check_model(tp, pp, model, errors, warnings, suggest)
        result["distributed_executor_backend"] = _backend(
            distributed_executor_backend, tp * pp, head_gpus, len(nodes or []), errors)
    elif distributed_executor_backend is not None:
        _backend(distributed_executor_backend, 1, head_gpus, len(nodes or []), errors)

    vllm_args = result["vllm_args"]
    if tp and pp:
        vllm_args["tensor_parallel_size"] = tp
        vllm_args["pipeline_parallel_size"] = pp
    if result["distributed_executor_backend"]:
        vllm_args["distributed_executor_backend"] = result["distributed_executor_backend"]
    _check_memory(gpu_memory_utilization, errors, vllm_args)
    _check_max_len(max_model_len, model, errors, warnings, vllm_args)
    _check_name(served_model_name, errors, vllm_args)
    _check_ports(api_port, ray_ports, errors)
    result["ok"] = not errors
    return result


def _backend(choice, world, head_gpus, node_count, errors):
    if choice is not None and choice not in BACKENDS:
        errors.append(
            "distributed_executor_backend %r is not supported here. Fix: use one of %s "
            "(vLLM's 'external_launcher' is for torchrun-style launchers, not a server unit)."
            % (choice, ", ".join(BACKENDS)))
        return None
    if world > head_gpus:
        if choice in ("mp", "uni"):
            errors.append(
                "TP x PP = %d is larger than the head node's %d GPU(s), which only the Ray "
                "executor can span (vLLM: \"World size (%d) is larger than the number of available "
                "GPUs (%d) in this node\"). Fix: set distributed_executor_backend to ray, or lower "
                "TP x PP to at most %d." % (world, head_gpus, world, head_gpus, head_gpus))
            return choice
        return "ray"
    if choice == "uni" and world > 1:
        errors.append("distributed_executor_backend uni runs a single worker but TP x PP = %d. "
                      "Fix: use mp (one node) or ray." % world)
        return choice
    if choice is not None:
        return choice
    if node_count > 1:
        return "ray"
    return "mp" if world > 1 else None


def _check_memory(value, errors, vllm_args):
    if value is None:
        return
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value)
    except (TypeError, ValueError):
        errors.append("gpu_memory_utilization must be a number in (0, 1], got %r. Fix: set a "
                      "fraction such as 0.9." % (value,))
        return
    if math.isnan(number) or not 0 < number <= 1:
        errors.append("gpu_memory_utilization must be in (0, 1] (a fraction of each GPU's memory), "
                      "got %r. Fix: set a fraction such as 0.9." % (value,))
        return
    vllm_args["gpu_memory_utilization"] = number


def _check_max_len(value, model, errors, warnings, vllm_args):
    if value is None:
        return
    try:
        length = parse_human_int(value)
    except ValueError:
        errors.append("max_model_len must be a whole number of tokens (vLLM also accepts 32k or "
                      "32K), got %r. Fix: set e.g. 8192." % (value,))
        return
    if length < 1:
        errors.append("max_model_len must be positive, got %r. Fix: set e.g. 8192." % (value,))
        return
    limit = model.get("max_position_embeddings")
    if limit and length > int(limit):
        message = ("max_model_len %d is above the model's max_position_embeddings %d (vLLM: "
                   "\"User-specified max_model_len (%d) is greater than the derived max_model_len\")."
                   % (length, int(limit), length))
        if model.get("rope_scaling"):
            warnings.append(message + " The model uses rope_scaling, which vLLM may apply to "
                            "raise the limit; vLLM's own check decides at start-up.")
        else:
            errors.append(message + " Fix: set max_model_len to at most %d." % int(limit))
            return
    vllm_args["max_model_len"] = length


def _check_name(value, errors, vllm_args):
    if value is None:
        return
    names = value if isinstance(value, (list, tuple)) else [value]
    bad = [n for n in names if not isinstance(n, str) or not n or _WHITESPACE.search(n)]
    if bad or not names:
        errors.append("served_model_name %r must be one or more non-empty names without "
                      "whitespace (clients send it as the \"model\" field). Fix: use e.g. "
                      "llama-3-8b-instruct." % (value,))
        return
    vllm_args["served_model_name"] = list(names) if isinstance(value, (list, tuple)) else value


def _port_ranges(ray_ports):
    """Yield (name, low, high) from {name: port | [low, high] | "low-high"} or a list."""
    items = ray_ports.items() if isinstance(ray_ports, dict) else enumerate(ray_ports or [])
    for name, port in items:
        if port is None:
            continue
        if isinstance(port, (list, tuple)) and len(port) == 2:
            yield name, int(port[0]), int(port[1])
        elif isinstance(port, str) and "-" in port:
            low, high = port.split("-", 1)
            yield name, int(low), int(high)
        else:
            yield name, int(port), int(port)


def _check_ports(api_port, ray_ports, errors):
    if api_port is None:
        return
    port = _as_int(api_port, "vLLM API port", errors, minimum=1)
    if port is None:
        return
    if port > 65535:
        errors.append("vLLM API port %d is above 65535. Fix: pick a port such as 8000." % port)
        return
    try:
        ranges = list(_port_ranges(ray_ports))
    except (TypeError, ValueError):
        errors.append("Ray ports %r are not ports or low-high ranges. Fix: give a mapping such "
                      "as {gcs: 6379, worker_ports: [10002, 19999]}." % (ray_ports,))
        return
    for name, low, high in ranges:
        if low <= port <= high:
            where = "%d" % low if low == high else "range %d-%d" % (low, high)
            errors.append("The vLLM API port %d collides with Ray's %s port (%s). Fix: move the "
                          "vLLM port (e.g. 8000) or the Ray port so they differ." % (port, name, where))


# ------------------------------------------------------- the server's plan

# The options of role vllm_server that make its plan and argument list (names without the prefix).
SERVER_OPTIONS = ("model_path", "served_model_name", "host", "port", "tensor_parallel_size",
                  "pipeline_parallel_size", "distributed_executor_backend", "gpu_memory_utilization",
                  "max_model_len", "dtype", "chat_template", "extra_args", "ray_port", "ray_dashboard_port")


def _unset(value):
    """None for the role's "not set" values (0, "", "0", None; False and 0.0 equal 0), else the value."""
    return None if value in (None, "", 0, "0") else value


def server_plan(nodes, model, options, prefix="vllm_server_"):
    """The one plan of a vLLM server: plan() on the role's options, then its whole argument list.

    options: the role's variables by full name (``vllm_server_port``, ...; SERVER_OPTIONS after
      ``prefix``), as the role and role validate read them. A missing one, 0 and "" mean "not set"
      (planned or vLLM's default; the role passes every one, which its unit test checks); backend
      ``none`` leaves the flag out so vLLM picks, which only works while TP x PP fits on the head.

    Returns plan()'s dict with, in addition: ``argv`` (fixed flags, then the plan's, then
    ``extra_args``, where a null extra removes an option), ``distributed_executor_backend`` as the
    argument list has it (None: vLLM's choice), ``served_model_name``, ``model_path`` and ``uses_ray``.
    """
    opt = dict((name, options.get(prefix + name)) for name in SERVER_OPTIONS)
    choice = _unset(opt["distributed_executor_backend"])
    model_path = opt["model_path"] or ""
    served = _unset(opt["served_model_name"]) or model_path.rstrip("/").rsplit("/", 1)[-1] or None
    result = plan(nodes, model,
                  tensor_parallel_size=_unset(opt["tensor_parallel_size"]),
                  pipeline_parallel_size=_unset(opt["pipeline_parallel_size"]),
                  distributed_executor_backend=None if choice == "none" else choice,
                  max_model_len=_unset(opt["max_model_len"]),
                  gpu_memory_utilization=_unset(opt["gpu_memory_utilization"]),
                  served_model_name=served, api_port=opt["port"],
                  ray_ports={"gcs": opt["ray_port"], "dashboard": opt["ray_dashboard_port"]})
    flags = {"model": model_path, "host": opt["host"], "port": opt["port"],
             "dtype": _unset(opt["dtype"]), "chat_template": _unset(opt["chat_template"])}
    flags.update(result["vllm_args"])
    if choice == "none":
        flags["distributed_executor_backend"] = None
        world = result["world_size"] or 0
        if world > result["head_gpus"]:
            result["errors"].append(
                "distributed_executor_backend none leaves the choice to vLLM, which cannot span TP x PP = %d "
                "over more than the head node (%d GPUs). Fix: set vllm_server_distributed_executor_backend "
                "to ray or lower TP/PP." % (world, result["head_gpus"]))
    flags.update(opt["extra_args"] or {})
    result["argv"] = cli_args(flags)
    result["distributed_executor_backend"] = flags.get("distributed_executor_backend")
    result["uses_ray"] = result["distributed_executor_backend"] == "ray"
    result["served_model_name"] = served
    result["model_path"] = model_path
    result["ok"] = not result["errors"]
    return result


def port_collisions(api_port, ray_ports):
    """plan()'s port rule alone: the problems of vLLM's API port against Ray's ports (name -> port, ``[low,
    high]`` or ``"low-high"``), each naming the fix; role validate checks it against every Ray port of role
    ray_cluster, which role vllm_server does not know."""
    errors = []
    _check_ports(api_port, ray_ports, errors)
    return errors


# ------------------------------------------------------------- rendering

def cli_args(flags, append_flags=APPEND_FLAGS):
    """Turn a dict of vLLM options into an argv list.

    Keys: ``tensor_parallel_size`` or ``--tensor-parallel-size`` (underscores
    become dashes). Values: None and False are left out; True is a bare flag
    (to switch a default-on option off, pass its ``no_`` key, e.g.
    ``no_enable_prefix_caching: true``, as vLLM's BooleanOptionalAction
    defines ``--no-<flag>``); numbers and strings are one argument; a list is
    the flag followed by its items (vLLM's ``nargs="+"``), or the flag
    repeated per item for ``append_flags`` (``--middleware``); an empty list
    is left out; a dict is one JSON argument (``--hf-overrides``,
    ``--compilation-config``, ``--default-chat-template-kwargs``).

    Raises ValueError for a non-dict, an empty or malformed key, or a secret
    key (``api_key``: it would show in ``ps`` and the journal; use
    ``VLLM_API_KEY`` in the unit's EnvironmentFile).
    """
    if flags is None:
        return []
    if not isinstance(flags, dict):
        raise ValueError("vLLM flags must be a dict of option: value, got %s" % type(flags).__name__)
    append = set(k.replace("-", "_") for k in (append_flags or ()))
    argv = []
    for key, value in flags.items():
        if not isinstance(key, str) or not key.strip("-"):
            raise ValueError("vLLM flag name %r is empty or not a string" % (key,))
        name = key.lstrip("-").replace("_", "-")
        if _WHITESPACE.search(name) or "=" in name:
            raise ValueError("vLLM flag name %r contains whitespace or '='; give the value "
                             "as the dict value instead" % (key,))
        if name.replace("-", "_") in SECRET_FLAGS:
            raise ValueError("refusing to put %r on the command line: it would show in ps and "
                             "the journal. Put VLLM_API_KEY in the unit's EnvironmentFile instead"
                             % (key,))
        flag = "--" + name
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            items = [_scalar(v) for v in value]
            if not items:
                continue
            if name.replace("-", "_") in append:
                for item in items:
                    argv.extend([flag, item])
            else:
                argv.append(flag)
                argv.extend(items)
        else:
            argv.extend([flag, _scalar(value)])
    return argv


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def systemd_quote(arg):
    """Quote one argument for a systemd ``ExecStart=`` line (systemd.service(5), "Command lines").

    systemd does not use a shell: it splits on whitespace, honours double
    quotes with C-style escapes (``\\\\``, ``\\"``, ``\\n``, ``\\t``, ``\\xNN``),
    expands ``%`` specifiers everywhere (``%%`` is a literal ``%``), replaces
    ``$VAR``/``${VAR}`` (``$$`` is a literal ``$``) and treats a lone ``;``
    as a command separator in older releases. So: plain words stay bare
    (``%`` doubled); anything else is double-quoted with backslash escapes,
    ``%`` and ``$`` doubled (the rule nixpkgs' ``escapeSystemdExecArg`` uses).
    NUL cannot be passed at all.
    """
    text = _scalar(arg) if not isinstance(arg, str) else arg
    if "\x00" in text:
        raise ValueError("a command-line argument cannot contain a NUL byte: %r" % (text,))
    if text and _SYSTEMD_SAFE.match(text):
        return text.replace("%", "%%")
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7f:
            out.append("\\x%02x" % ord(char))
        elif char == "%":
            out.append("%%")
        elif char == "$":
            out.append("$$")
        else:
            out.append(char)
    return '"%s"' % "".join(out)


def systemd_exec_args(argv):
    """Join an argv list into the value of ``ExecStart=``; argv[0] must be an absolute path.

    systemd requires the executable to be absolute, and a leading ``-``,
    ``@``, ``+``, ``!`` or ``:`` on it would be read as an ExecStart prefix,
    so both are rejected (ValueError) instead of rendering a unit that does
    something else.
    """
    if isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple)) or not argv:
        raise ValueError("ExecStart needs a non-empty list of arguments, got %r" % (argv,))
    first = argv[0] if isinstance(argv[0], str) else _scalar(argv[0])
    if not first.startswith("/"):
        raise ValueError("the program of ExecStart must be an absolute path (systemd does not "
                         "search PATH reliably and reads a leading - @ + ! : as a prefix), "
                         "got %r" % (first,))
    return " ".join(systemd_quote(a) for a in argv)
