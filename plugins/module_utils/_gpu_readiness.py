# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a host's GPUs are ready for CUDA work, from llmops.ray_vllm.gpu_facts' per-GPU facts.

Pure functions over the facts that ``_nvidia_smi.parse_xml`` reads from ``nvidia-smi -q -x``
(role cuda_check calls :func:`gpu_readiness` through the filter of the same name):

* NVSwitch fabric (HGX/DGX): NVML's ``nvmlGpuFabricState_t`` is NOT_SUPPORTED, NOT_STARTED,
  IN_PROGRESS or COMPLETED, which nvidia-smi prints as ``Not Supported``, ``Not Started``,
  ``In Progress`` and ``Completed``; ``status`` is an NVML return code (``Success``, ``Unknown Error``,
  ...) that NVML says to read only once the state is complete, and nvidia-smi prints ``N/A`` before.
  Until Fabric Manager has registered a GPU, CUDA fails with error 802 (cudaErrorSystemNotReady,
  "system not yet initialized"). Outside a fabric (PCIe cards, single-GPU machines) both read ``N/A``.
* MIG mode enabled: CUDA, and so vLLM, sees MIG instances instead of whole GPUs.
* Uncorrectable ECC errors and row remapping: the GPU may return wrong data or need a reset.
* Persistence mode: reported only.
"""

from __future__ import annotations

# Fabric states that mean "this GPU is in no NVSwitch fabric": nothing to wait for.
FABRIC_NOT_APPLICABLE = ("", "n/a", "not supported", "[not supported]")
FABRIC_READY = ("completed", "success")

FABRIC_FIX = (
    'CUDA fails with error 802 "system not yet initialized" until NVIDIA Fabric Manager has registered every GPU '
    "of the NVSwitch fabric: install {package} (the same version as the driver, {driver}), start it "
    "(`systemctl enable --now nvidia-fabricmanager`; `journalctl -u nvidia-fabricmanager` says why it fails) and "
    "wait until `nvidia-smi -q` shows Fabric State Completed, Status Success on every GPU"
)

# Appended to the fabric line when it fails the role (role cuda_check's variable).
FABRIC_OPT_OUT = "; to only warn about it, set cuda_check_fabric_manager_required: false"


def _norm(value):
    return (value or "").strip().lower()


def fabric_ready(state, status):
    """None when the GPU is in no NVSwitch fabric (state N/A or Not Supported), True when its registration
    completed with status Success, False otherwise (Not Started, In Progress, or Completed with an error)."""
    if _norm(state) in FABRIC_NOT_APPLICABLE:
        return None
    return (_norm(state), _norm(status)) == FABRIC_READY


def driver_branch(driver_version):
    """``'580.159.04'`` -> ``'580'`` (the branch in NVIDIA's package names); None when unknown."""
    branch = (driver_version or "").split(".", 1)[0]
    return branch if branch.isdigit() else None


def fabric_manager_package(driver_version):
    """The Fabric Manager package of the driver's branch (same name in NVIDIA's apt and dnf repositories)."""
    branch = driver_branch(driver_version)
    return "nvidia-fabricmanager-%s" % branch if branch else "nvidia-fabricmanager-<driver branch>"


def _indexes(gpus):
    return ", ".join(str(gpu.get("index", "?")) for gpu in gpus)


def _grouped(gpus, key):
    """[(value, [gpus with that value]), ...] in the order values first appear."""
    groups = []
    for gpu in gpus:
        value = key(gpu)
        for seen, members in groups:
            if seen == value:
                members.append(gpu)
                break
        else:
            groups.append((value, [gpu]))
    return groups


def persistence_summary(gpus):
    """``'persistence mode Enabled'``, or per value ``'persistence mode Enabled on GPU 0, 1; Disabled on GPU 2'``;
    ``''`` when no GPU reports it."""
    groups = [(value, members) for value, members in _grouped(gpus, lambda gpu: gpu.get("persistence_mode")) if value]
    if not groups:
        return ""
    if len(groups) == 1 and len(groups[0][1]) == len(gpus):
        return "persistence mode %s" % groups[0][0]
    return "persistence mode " + "; ".join("%s on GPU %s" % (value, _indexes(members)) for value, members in groups)


def fabric_message(host, gpus, driver_version):
    """One line naming the GPUs whose fabric is not ready, their state/status and the fix; ``''`` when none."""
    waiting = [gpu for gpu in gpus if fabric_ready(gpu.get("fabric_state"), gpu.get("fabric_status")) is False]
    if not waiting:
        return ""
    states = _grouped(waiting, lambda gpu: (gpu.get("fabric_state"), gpu.get("fabric_status") or "N/A"))
    where = "; ".join(
        "GPU %s: Fabric State %s, Status %s" % (_indexes(members), state, status) for (state, status), members in states
    )
    fix = FABRIC_FIX.format(package=fabric_manager_package(driver_version), driver=driver_version or "unknown")
    return "%s: the NVSwitch fabric is not ready (%s): %s" % (host, where, fix)


def mig_message(host, gpus):
    """A warning when MIG mode is, or becomes after a reset, Enabled on any GPU; ``''`` otherwise."""
    mig = [gpu for gpu in gpus if "enabled" in (_norm(gpu.get("mig_mode_current")), _norm(gpu.get("mig_mode_pending")))]
    if not mig:
        return ""
    modes = "; ".join(
        "GPU %s: current %s, pending %s" % (_indexes(members), current, pending)
        for (current, pending), members in _grouped(
            mig, lambda gpu: (gpu.get("mig_mode_current"), gpu.get("mig_mode_pending"))
        )
    )
    return (
        "%s: MIG mode is enabled (%s): CUDA, and so vLLM, then sees MIG instances instead of whole GPUs; unless that "
        "is intended, disable it (`nvidia-smi -i <index> -mig 0`, then reset the GPU)" % (host, modes)
    )


def _counts(counters):
    return ", ".join("%s %s" % (name, "N/A" if count is None else count) for name, count in sorted(counters.items()))


def ecc_message(host, gpu):
    """A warning for one GPU with volatile uncorrectable ECC errors, a failed or pending row remap; ``''`` otherwise."""
    volatile = gpu.get("ecc_uncorrectable_volatile") or {}
    errors = sum(count or 0 for count in volatile.values())
    failure, pending = gpu.get("remapped_rows_failure"), gpu.get("remapped_rows_pending")
    if not (errors or failure or pending):
        return ""
    advice = []
    if failure:
        advice.append("a row remapping failed: the GPU needs service (replacement)")
    if pending:
        advice.append("a row remap is pending: reset the GPU or reboot")
    if errors and not advice:
        advice.append("watch `nvidia-smi -q -d ECC,ROW_REMAPPER` and `dmesg | grep -i xid`; a reset clears the volatile counts")
    return "%s: GPU %s (%s) has uncorrectable memory errors (volatile: %s; aggregate: %s; remapped rows: uncorrectable %s, " \
        "pending %s, remapping failure occurred %s): %s" % (
            host,
            gpu.get("index", "?"),
            gpu.get("uuid") or gpu.get("pci_bus_id") or "unknown",
            _counts(volatile) or "none reported",
            _counts(gpu.get("ecc_uncorrectable_aggregate") or {}) or "none reported",
            "N/A" if gpu.get("remapped_rows_uncorrectable") is None else gpu.get("remapped_rows_uncorrectable"),
            {True: "Yes", False: "No"}.get(pending, "N/A"),
            {True: "Yes", False: "No"}.get(failure, "N/A"),
            "; ".join(advice),
        )


def gpu_readiness(facts, host, fabric_manager_required=True):
    """What a host's GPUs say about their readiness for CUDA work.

    ``facts`` is llmops.ray_vllm.gpu_facts' result (or its ``nvidia`` fact): ``gpus`` (per-GPU dicts with
    the readiness keys; missing keys count as unknown, e.g. facts cached by an older version) and
    ``driver_version``. Returns a dict:

    * ``problems``: one line when any GPU's NVSwitch fabric is not ready (:func:`fabric_message`), unless
      ``fabric_manager_required`` is false;
    * ``warnings``: that line when ``fabric_manager_required`` is false, MIG mode (:func:`mig_message`), and one
      line per GPU with uncorrectable memory errors (:func:`ecc_message`);
    * ``persistence``: :func:`persistence_summary`.

    A host without GPUs gets no problem, no warning and ``persistence`` ``''``.
    """
    facts = facts or {}
    gpus = facts.get("gpus") or []
    fabric = fabric_message(host, gpus, facts.get("driver_version"))
    problems = [fabric + FABRIC_OPT_OUT] if fabric and fabric_manager_required else []
    warnings = [fabric] if fabric and not fabric_manager_required else []
    warnings.append(mig_message(host, gpus))
    warnings.extend(ecc_message(host, gpu) for gpu in gpus)
    return {
        "problems": problems,
        "warnings": [line for line in warnings if line],
        "persistence": persistence_summary(gpus),
    }
