# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the gpu_facts module logic.

There is no GPU here, so ``nvidia-smi`` is a stand-in shell script (the one mock) that replays the
real output captured on H100/H200 machines (tests/unit/fixtures/nvidia-smi/<machine>/) for the two
commands the module runs, or prints a driver failure text with a non-zero status.  Everything else
is real: AnsibleModule, argument parsing, run_command with its environment, the parsers.
"""

from __future__ import annotations

import os
import stat

import pytest


from ansible_collections.llmops.ray_vllm.plugins.module_utils._nvidia_smi import READINESS_KEYS, query_gpu_command
from ansible_collections.llmops.ray_vllm.plugins.modules import gpu_facts
from ansible_collections.llmops.ray_vllm.tests.unit.plugins.modules.harness import run_module as harness_run


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "nvidia-smi")
MACHINES = sorted(
    name for name in os.listdir(FIXTURES) if os.path.isfile(os.path.join(FIXTURES, name, "nvidia-smi_-q_-x.xml"))
)
QUERY = " ".join(query_gpu_command("X")[1:])
DRIVER_DOWN = (
    "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
    "Make sure that the latest NVIDIA driver is installed and running."
)


def fake_nvidia_smi(tmp_path, query=None, xml=None, query_text="", query_rc=0, xml_text="", xml_rc=0):
    """Write an nvidia-smi stand-in that replays fixture files (or texts) per command line.

    Each call appends "$LC_ALL|ARGS" to tmp_path/calls.log.
    """
    log = tmp_path / "calls.log"
    path = tmp_path / "nvidia-smi"
    if query is None:
        query = tmp_path / "query.out"
        query.write_text(query_text + "\n")
    if xml is None:
        xml = tmp_path / "xml.out"
        xml.write_text(xml_text + "\n")
    path.write_text(
        "#!/bin/sh\n"
        'echo "$LC_ALL|$*" >> %(log)s\n'
        'case "$*" in\n'
        '  "%(query)s") %(query_out)s; exit %(query_rc)d ;;\n'
        '  "-q -x") %(xml_out)s; exit %(xml_rc)d ;;\n'
        "esac\n"
        'echo "unexpected arguments: $*" >&2; exit 99\n'
        % dict(
            log=log,
            query=QUERY,
            query_out="cat '%s'" % query,
            query_rc=query_rc,
            xml_out="cat '%s'" % xml,
            xml_rc=xml_rc,
        )
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def replay(tmp_path, machine):
    return fake_nvidia_smi(
        tmp_path,
        query=os.path.join(FIXTURES, machine, "query-gpu_csv_noheader_nounits.csv"),
        xml=os.path.join(FIXTURES, machine, "nvidia-smi_-q_-x.xml"),
    )


def run_module(args, check_mode=False, warnings=None):
    return harness_run(gpu_facts, args, check_mode=check_mode, warnings=warnings)


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("machine", MACHINES)
def test_real_capture(tmp_path, machine, check_mode):
    path = replay(tmp_path, machine)
    out = run_module({"nvidia_smi_path": path}, check_mode=check_mode)
    assert not out.failed, out.result.get("msg")
    res = out.result
    assert res["changed"] is False
    assert res["driver_present"] is True
    assert res["error"] is None
    assert res["gpu_count"] == len(res["gpus"]) >= 1
    assert res["nvidia_smi_path"] == path
    assert res["ansible_facts"]["nvidia"]["gpu_count"] == res["gpu_count"]
    assert res["ansible_facts"]["nvidia"]["gpus"] == res["gpus"]
    assert sorted(res["gpus"][0]) == sorted(
        ["compute_capability", "driver_version", "index", "memory_total_mib", "name", "pci_bus_id", "uuid"]
        + list(READINESS_KEYS)
    )
    # Both commands ran (in check mode too) with LC_ALL=C.
    assert (tmp_path / "calls.log").read_text().splitlines() == ["C|" + QUERY, "C|-q -x"]


def test_h100_values(tmp_path):
    path = replay(tmp_path, "h100")
    res = run_module({"nvidia_smi_path": path}).result
    assert (res["driver_version"], res["cuda_version"], res["gpu_count"]) == ("580.159.04", "13.0", 1)
    assert res["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"
    assert res["gpus"][0]["compute_capability"] == "9.0"
    # Readiness from the XML report, merged into the query's GPU (single GPU: no NVSwitch fabric).
    gpu = res["gpus"][0]
    assert (gpu["persistence_mode"], gpu["mig_mode_current"], gpu["mig_mode_pending"]) == ("Enabled", "Disabled", "Disabled")
    assert (gpu["fabric_state"], gpu["fabric_status"]) == (None, None)
    assert gpu["ecc_uncorrectable_volatile"] == {"dram_uncorrectable": 0, "sram_uncorrectable_parity": 0, "sram_uncorrectable_secded": 0}
    assert (gpu["remapped_rows_uncorrectable"], gpu["remapped_rows_pending"], gpu["remapped_rows_failure"]) == (0, False, False)


def test_fabric_in_progress_derived(tmp_path):
    """DERIVED input: the real H100 XML with its <fabric> state/status set to the values of a real HGX paste
    (fixtures/nvidia-smi/pasted/gpu-operator-2511_fabric-in-progress.txt: In Progress, N/A); no XML of an
    NVSwitch system was available."""
    xml = open(os.path.join(FIXTURES, "h100", "nvidia-smi_-q_-x.xml"), encoding="utf-8").read()
    fabric = "<fabric>\n\t\t\t<state>N/A</state>"
    assert xml.count(fabric) == 1
    derived = tmp_path / "derived.xml"
    derived.write_text(xml.replace(fabric, "<fabric>\n\t\t\t<state>In Progress</state>"))
    path = fake_nvidia_smi(tmp_path, query=os.path.join(FIXTURES, "h100", "query-gpu_csv_noheader_nounits.csv"), xml=derived)
    res = run_module({"nvidia_smi_path": path}).result
    assert (res["gpus"][0]["fabric_state"], res["gpus"][0]["fabric_status"]) == ("In Progress", None)
    assert res["ansible_facts"]["nvidia"]["gpus"][0]["fabric_state"] == "In Progress"


def test_found_on_path(tmp_path, monkeypatch):
    replay(tmp_path, "h100")
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, os.environ["PATH"]))
    res = run_module({}).result
    assert res["nvidia_smi_path"] == str(tmp_path / "nvidia-smi")
    assert res["gpu_count"] == 1


def test_missing_required_fails_with_fix(tmp_path):
    out = run_module({"nvidia_smi_path": str(tmp_path / "absent")})
    assert out.failed
    assert "nvidia-smi not found" in out.result["msg"]
    assert "install the NVIDIA driver" in out.result["msg"]
    assert "cuda_check_required: false" in out.result["msg"]
    assert out.result["driver_present"] is False


def test_missing_not_required_reports_cpu_only(tmp_path):
    warnings = []
    out = run_module({"nvidia_smi_path": str(tmp_path / "absent"), "required": False}, warnings=warnings)
    assert not out.failed
    assert warnings == []
    res = out.result
    assert (res["driver_present"], res["gpu_count"], res["gpus"], res["cuda_version"]) == (False, 0, [], None)
    assert "nvidia-smi not found" in res["error"]
    assert res["ansible_facts"]["nvidia"]["driver_present"] is False


def test_not_on_path_not_required(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(gpu_facts, "SEARCH_DIRS", [str(tmp_path)])
    res = run_module({"required": False}).result
    assert res["nvidia_smi_path"] is None and res["gpu_count"] == 0


@pytest.mark.parametrize("required", [True, False])
def test_driver_unreachable(tmp_path, required):
    path = fake_nvidia_smi(tmp_path, query_text=DRIVER_DOWN, query_rc=9, xml_text=DRIVER_DOWN, xml_rc=9)
    out = run_module({"nvidia_smi_path": path, "required": required})
    text = out.result["msg"] if required else out.result["error"]
    assert out.failed is required
    assert "rc=9" in text
    assert "couldn't communicate with the NVIDIA driver" in text
    assert "lsmod | grep nvidia" in text
    assert out.result["driver_present"] is False
    assert out.result["gpu_count"] == 0


def test_no_devices_required_fails(tmp_path):
    path = fake_nvidia_smi(tmp_path, query_text="No devices were found", query_rc=6, xml_text="No devices were found", xml_rc=6)
    out = run_module({"nvidia_smi_path": path})
    assert out.failed
    assert "sees no GPU" in out.result["msg"]


def test_no_devices_not_required_driver_present(tmp_path):
    path = fake_nvidia_smi(tmp_path, query_text="No devices were found", query_rc=6, xml_text="No devices were found", xml_rc=6)
    res = run_module({"nvidia_smi_path": path, "required": False}).result
    assert res["driver_present"] is True
    assert res["gpu_count"] == 0
    assert "No devices were found" in res["error"]


def test_old_driver_fails_even_when_not_required(tmp_path):
    path = fake_nvidia_smi(
        tmp_path,
        query=os.path.join(FIXTURES, "h100", "query-gpu_bad_field.txt"),
        query_rc=2,
        xml=os.path.join(FIXTURES, "h100", "nvidia-smi_-q_-x.xml"),
    )
    out = run_module({"nvidia_smi_path": path, "required": False})
    assert out.failed
    assert "is not a valid field to query" in out.result["msg"]
    assert "upgrade the NVIDIA driver" in out.result["msg"]


def test_unparsable_output_fails(tmp_path):
    path = fake_nvidia_smi(tmp_path, query_text="garbage", xml_text="garbage")
    out = run_module({"nvidia_smi_path": path, "required": False})
    assert out.failed
    assert out.result["msg"].startswith("Cannot parse the output of")


def test_xml_failure_after_good_query_fails(tmp_path):
    path = fake_nvidia_smi(
        tmp_path, query=os.path.join(FIXTURES, "h100", "query-gpu_csv_noheader_nounits.csv"), xml_text="boom", xml_rc=3
    )
    out = run_module({"nvidia_smi_path": path})
    assert out.failed
    assert "'%s -q -x' failed (rc=3): boom" % path in out.result["msg"]


def test_attached_count_mismatch_warns(tmp_path):
    csv = os.path.join(FIXTURES, "h100", "query-gpu_csv_noheader_nounits.csv")
    with open(csv, encoding="utf-8") as handle:
        line = handle.read().strip()
    two = tmp_path / "two.csv"
    two.write_text(line + "\n1" + line[1:] + "\n")
    path = fake_nvidia_smi(tmp_path, query=str(two), xml=os.path.join(FIXTURES, "h100", "nvidia-smi_-q_-x.xml"))
    warnings = []
    assert run_module({"nvidia_smi_path": path}, warnings=warnings).result["gpu_count"] == 2
    assert warnings == ["nvidia-smi -q -x reports 1 attached GPUs but the query listed 2"]
