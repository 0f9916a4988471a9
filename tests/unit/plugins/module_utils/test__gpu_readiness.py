# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPU readiness (role cuda_check's fabric, MIG, ECC and persistence lines) on real nvidia-smi output.

Real inputs: the single-GPU H100/H200 captures (tests/unit/fixtures/nvidia-smi/h100, h200: Fabric N/A) and
the Fabric sections of HGX/NVSwitch systems pasted in public GitHub threads
(tests/unit/fixtures/nvidia-smi/pasted/, README there: In Progress on an HGX B200, Completed/Success on a
multi-node NVLink node). No complete report of an NVSwitch system exists here, so the multi-GPU host facts
below are DERIVED: the real H100 capture's GPU, copied per index, with the fabric state/status of a real
paste (or, where marked, a value NVIDIA documents but no capture shows: Not Started, Not Supported, an
error status), MIG mode or error counts set by the test.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.llmops.ray_vllm.plugins.filter.gpu import FilterModule
from ansible_collections.llmops.ray_vllm.plugins.module_utils._gpu_readiness import (
    driver_branch,
    fabric_manager_package,
    fabric_ready,
    gpu_readiness,
    persistence_summary,
)
from ansible_collections.llmops.ray_vllm.plugins.module_utils._nvidia_smi import (
    parse_query_csv,
    parse_xml,
    with_readiness,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "nvidia-smi")
PASTED = os.path.join(FIXTURES, "pasted")
FILTER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


def read(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as handle:
        return handle.read()


def captured_facts(machine):
    """gpu_facts' result for a real capture: the CSV query's GPUs with the XML report's readiness."""
    report = parse_xml(read(machine, "nvidia-smi_-q_-x.xml"))
    gpus = with_readiness(parse_query_csv(read(machine, "query-gpu_csv_noheader_nounits.csv")), report["gpus"])
    return {"driver_version": gpus[0]["driver_version"], "gpus": gpus}


def text_fabric(text):
    """(State, Status) of the first ``Fabric`` section of ``nvidia-smi -q`` text; 'N/A' becomes None like parse_xml."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Fabric")
    values = dict((key.strip(), value.strip()) for key, value in (line.split(" : ", 1) for line in lines[start + 1:start + 3]))
    state, status = values["State"], values["Status"]
    return tuple(None if value == "N/A" else value for value in (state, status))


def derived_host(fabric=(None, None), count=8, **changes):
    """DERIVED: the real H100 capture's GPU as GPU 0..count-1 of one host, with these fields changed."""
    (gpu,) = captured_facts("h100")["gpus"]
    gpus = []
    for index in range(count):
        entry = dict(gpu, index=index, uuid="GPU-%d" % index, fabric_state=fabric[0], fabric_status=fabric[1])
        entry.update(changes)
        gpus.append(entry)
    return {"driver_version": "580.159.04", "gpus": gpus}


@pytest.mark.parametrize("machine", ["h100", "h200"])
def test_real_single_gpu_captures_are_ready(machine):
    facts = captured_facts(machine)
    # The text report of the same capture says N/A, as the XML does.
    assert text_fabric(read(machine, "nvidia-smi_-q.txt")) == (None, None)
    assert gpu_readiness(facts, "gpu1") == {"problems": [], "warnings": [], "persistence": "persistence mode Enabled"}


def test_pasted_fabric_sections():
    assert text_fabric(read("pasted", "gpu-operator-2511_fabric-in-progress.txt")) == ("In Progress", None)
    assert text_fabric(read("pasted", "dra-driver-626_fabric-completed.txt")) == ("Completed", "Success")


def test_real_in_progress_fails_with_fabric_manager_fix():
    state = text_fabric(read("pasted", "gpu-operator-2511_fabric-in-progress.txt"))
    result = gpu_readiness(derived_host(state), "gpu1")
    assert result["warnings"] == []
    assert result["problems"] == [
        "gpu1: the NVSwitch fabric is not ready (GPU 0, 1, 2, 3, 4, 5, 6, 7: Fabric State In Progress, Status N/A): "
        'CUDA fails with error 802 "system not yet initialized" until NVIDIA Fabric Manager has registered every GPU '
        "of the NVSwitch fabric: install nvidia-fabricmanager-580 (the same version as the driver, 580.159.04), "
        "start it (`systemctl enable --now nvidia-fabricmanager`; `journalctl -u nvidia-fabricmanager` says why it "
        "fails) and wait until `nvidia-smi -q` shows Fabric State Completed, Status Success on every GPU; "
        "to only warn about it, set cuda_check_fabric_manager_required: false"
    ]


def test_real_completed_success_is_ready():
    state = text_fabric(read("pasted", "dra-driver-626_fabric-completed.txt"))
    assert gpu_readiness(derived_host(state), "gpu1")["problems"] == []


def test_not_required_turns_the_problem_into_a_warning():
    state = text_fabric(read("pasted", "gpu-operator-2511_fabric-in-progress.txt"))
    result = gpu_readiness(derived_host(state, count=1), "gpu1", fabric_manager_required=False)
    assert result["problems"] == []
    (line,) = result["warnings"]
    assert line.startswith("gpu1: the NVSwitch fabric is not ready (GPU 0: Fabric State In Progress, Status N/A)")
    assert "cuda_check_fabric_manager_required" not in line


def test_mixed_states_grouped_per_state():
    """DERIVED: GPUs 0-1 In Progress (real paste), GPU 2 Completed with an error status (NVML documents the
    status as an NVML error text; 'Unknown Error' is nvmlErrorString's text, no capture here shows it)."""
    facts = derived_host(count=4)
    for gpu in facts["gpus"][:2]:
        gpu["fabric_state"], gpu["fabric_status"] = "In Progress", None
    facts["gpus"][2]["fabric_state"], facts["gpus"][2]["fabric_status"] = "Completed", "Unknown Error"
    facts["gpus"][3]["fabric_state"], facts["gpus"][3]["fabric_status"] = "Completed", "Success"
    (line,) = gpu_readiness(facts, "gpu1")["problems"]
    assert "(GPU 0, 1: Fabric State In Progress, Status N/A; GPU 2: Fabric State Completed, Status Unknown Error)" in line


@pytest.mark.parametrize(
    "state, status, ready",
    [
        (None, None, None),  # N/A: not in a fabric (real: the H100/H200 captures)
        ("Not Supported", None, None),  # NVML_GPU_FABRIC_STATE_NOT_SUPPORTED
        ("[Not Supported]", None, None),
        ("Not Started", None, False),  # NVML_GPU_FABRIC_STATE_NOT_STARTED
        ("In Progress", None, False),  # real: gpu-operator#2511
        ("Completed", "Success", True),  # real: dra-driver#626
        ("Completed", "Unknown Error", False),
        ("Completed", None, False),
    ],
)
def test_fabric_ready(state, status, ready):
    assert fabric_ready(state, status) is ready


def test_host_without_gpus_is_unaffected():
    empty = {"problems": [], "warnings": [], "persistence": ""}
    assert gpu_readiness({"driver_present": False, "driver_version": None, "gpus": []}, "head") == empty
    assert gpu_readiness(None, "head") == empty


def test_facts_without_readiness_keys():
    """Facts cached by a gpu_facts without the readiness keys: nothing is reported."""
    gpus = parse_query_csv(read("h100", "query-gpu_csv_noheader_nounits.csv"))
    assert gpu_readiness({"gpus": gpus, "driver_version": "580.159.04"}, "gpu1") == {
        "problems": [], "warnings": [], "persistence": ""}


@pytest.mark.parametrize(
    "version, branch, package",
    [
        ("580.159.04", "580", "nvidia-fabricmanager-580"),
        ("535.309.01", "535", "nvidia-fabricmanager-535"),
        (None, None, "nvidia-fabricmanager-<driver branch>"),
        ("", None, "nvidia-fabricmanager-<driver branch>"),
    ],
)
def test_driver_branch_and_package(version, branch, package):
    assert driver_branch(version) == branch
    assert fabric_manager_package(version) == package


def test_unknown_driver_still_names_the_package_form():
    (line,) = gpu_readiness(dict(derived_host(("Not Started", None), count=1), driver_version=None), "gpu1")["problems"]
    assert "install nvidia-fabricmanager-<driver branch> (the same version as the driver, unknown)" in line


def warnings_only(facts):
    """gpu1's warnings, after checking that these facts make no problem (MIG and ECC only warn)."""
    result = gpu_readiness(facts, "gpu1")
    assert result["problems"] == []
    return result["warnings"]


def test_mig_enabled_warns():
    """DERIVED: MIG current Enabled on GPU 0-1, pending Enabled (after reset) on GPU 2."""
    facts = derived_host(count=3)
    for gpu in facts["gpus"][:2]:
        gpu["mig_mode_current"], gpu["mig_mode_pending"] = "Enabled", "Enabled"
    facts["gpus"][2]["mig_mode_pending"] = "Enabled"
    assert warnings_only(facts) == [
        "gpu1: MIG mode is enabled (GPU 0, 1: current Enabled, pending Enabled; GPU 2: current Disabled, pending "
        "Enabled): CUDA, and so vLLM, then sees MIG instances instead of whole GPUs; unless that is intended, "
        "disable it (`nvidia-smi -i <index> -mig 0`, then reset the GPU)"
    ]


def test_ecc_errors_warn_per_gpu_with_counts():
    """DERIVED: GPU 1 has 2 volatile DRAM uncorrectable errors; GPU 2 a failed and a pending row remap."""
    facts = derived_host(count=3)
    facts["gpus"][1]["ecc_uncorrectable_volatile"] = dict(facts["gpus"][1]["ecc_uncorrectable_volatile"], dram_uncorrectable=2)
    facts["gpus"][1]["ecc_uncorrectable_aggregate"] = dict(facts["gpus"][1]["ecc_uncorrectable_aggregate"], dram_uncorrectable=5)
    facts["gpus"][2].update(remapped_rows_uncorrectable=1, remapped_rows_failure=True, remapped_rows_pending=True)
    assert warnings_only(facts) == [
        "gpu1: GPU 1 (GPU-1) has uncorrectable memory errors (volatile: dram_uncorrectable 2, sram_uncorrectable_parity 0, "
        "sram_uncorrectable_secded 0; aggregate: dram_uncorrectable 5, sram_uncorrectable_parity 0, "
        "sram_uncorrectable_secded 0; remapped rows: uncorrectable 0, pending No, remapping failure occurred No): "
        "watch `nvidia-smi -q -d ECC,ROW_REMAPPER` and `dmesg | grep -i xid`; a reset clears the volatile counts",
        "gpu1: GPU 2 (GPU-2) has uncorrectable memory errors (volatile: dram_uncorrectable 0, sram_uncorrectable_parity 0, "
        "sram_uncorrectable_secded 0; aggregate: dram_uncorrectable 0, sram_uncorrectable_parity 0, "
        "sram_uncorrectable_secded 0; remapped rows: uncorrectable 1, pending Yes, remapping failure occurred Yes): "
        "a row remapping failed: the GPU needs service (replacement); a row remap is pending: reset the GPU or reboot",
    ]


def test_aggregate_errors_alone_do_not_warn():
    """DERIVED: errors from before the last driver load (aggregate only) are history, not a warning."""
    facts = derived_host(count=1)
    facts["gpus"][0]["ecc_uncorrectable_aggregate"] = {"dram_uncorrectable": 7}
    assert warnings_only(facts) == []


def test_persistence_summary():
    facts = derived_host(count=3)
    assert persistence_summary(facts["gpus"]) == "persistence mode Enabled"
    facts["gpus"][2]["persistence_mode"] = "Disabled"
    assert persistence_summary(facts["gpus"]) == "persistence mode Enabled on GPU 0, 1; Disabled on GPU 2"
    facts["gpus"][1]["persistence_mode"] = None
    assert persistence_summary(facts["gpus"]) == "persistence mode Enabled on GPU 0; Disabled on GPU 2"
    assert persistence_summary([]) == ""


def test_filter_is_registered_with_docs():
    filters = FilterModule().filters()
    assert sorted(filters) == ["gpu_readiness"]
    assert os.path.exists(os.path.join(FILTER_DIR, "gpu_readiness.yml"))
    assert filters["gpu_readiness"](captured_facts("h200"), "gpu1")["persistence"] == "persistence mode Enabled"
