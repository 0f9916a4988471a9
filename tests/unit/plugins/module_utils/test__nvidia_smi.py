# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parser tests on real nvidia-smi output captured on H100/H200 machines.

Every machine folder under tests/unit/fixtures/nvidia-smi/ is tested; the parsed CSV query and
XML report are cross-checked against the other, independently printed modes of the same
capture (``nvidia-smi -L``, ``nvidia-smi --version`` and the plain ``nvidia-smi`` table).
"""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._nvidia_smi import (
    QUERY_FIELDS,
    NvidiaSmiParseError,
    classify_failure,
    first_line,
    parse_mib,
    parse_query_csv,
    parse_xml,
    query_gpu_command,
    xml_command,
)

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "nvidia-smi")
MACHINES = sorted(
    name for name in os.listdir(FIXTURES) if os.path.isfile(os.path.join(FIXTURES, name, "nvidia-smi_-q_-x.xml"))
)


def read(machine, name):
    with open(os.path.join(FIXTURES, machine, name), encoding="utf-8") as handle:
        return handle.read()


def listed_gpus(machine):
    """``nvidia-smi -L``: 'GPU 0: NAME (UUID: GPU-...)' lines (MIG lines are indented)."""
    pattern = re.compile(r"^GPU (\d+): (.+) \(UUID: (GPU-[0-9a-f-]+)\)$")
    return [pattern.match(line).groups() for line in read(machine, "nvidia-smi_-L.txt").splitlines() if line.startswith("GPU ")]


def version_report(machine):
    """``nvidia-smi --version``: 'KEY : VALUE' lines."""
    pairs = (line.split(":", 1) for line in read(machine, "nvidia-smi_--version.txt").splitlines() if ":" in line)
    return dict((key.strip(), value.strip()) for key, value in pairs)


def test_fixtures_present():
    assert {"h100", "h200"} <= set(MACHINES), "real H100/H200 captures missing under %s" % FIXTURES


def test_commands():
    assert query_gpu_command("/usr/bin/nvidia-smi") == [
        "/usr/bin/nvidia-smi",
        "--query-gpu=index,name,uuid,memory.total,compute_cap,driver_version,pci.bus_id",
        "--format=csv,noheader,nounits",
    ]
    assert query_gpu_command("nvidia-smi", units=True)[-1] == "--format=csv"
    assert xml_command("nvidia-smi") == ["nvidia-smi", "-q", "-x"]


def test_h100_exact_values():
    gpus = parse_query_csv(read("h100", "query-gpu_csv_noheader_nounits.csv"))
    assert gpus == [
        {
            "index": 0,
            "name": "NVIDIA H100 80GB HBM3",
            "uuid": "GPU-9320d732-6c4b-f16e-07fe-fec5137934f5",
            "memory_total_mib": 81559,
            "compute_capability": "9.0",
            "driver_version": "580.159.04",
            "pci_bus_id": "00000000:00:06.0",
        }
    ]
    report = parse_xml(read("h100", "nvidia-smi_-q_-x.xml"))
    assert report["driver_version"] == "580.159.04"
    assert report["cuda_version"] == "13.0"
    assert report["attached_gpus"] == 1
    # fb_memory_usage/total, not bar1 (131072) or cc_protected (0) totals.
    assert report["gpus"][0]["memory_total_mib"] == 81559


def test_h200_exact_values():
    (gpu,) = parse_query_csv(read("h200", "query-gpu_csv_noheader_nounits.csv"))
    assert (gpu["name"], gpu["memory_total_mib"], gpu["compute_capability"]) == ("NVIDIA H200", 143771, "9.0")
    report = parse_xml(read("h200", "nvidia-smi_-q_-x.xml"))
    assert (report["cuda_version"], report["gpus"][0]["memory_total_mib"]) == ("13.0", 143771)


@pytest.mark.parametrize("machine", MACHINES)
def test_csv_with_and_without_units_agree(machine):
    bare = parse_query_csv(read(machine, "query-gpu_csv_noheader_nounits.csv"))
    with_header = parse_query_csv(read(machine, "query-gpu_csv.csv"))
    assert bare == with_header
    assert bare, "no GPU parsed"


@pytest.mark.parametrize("machine", MACHINES)
def test_csv_matches_list_mode(machine):
    gpus = parse_query_csv(read(machine, "query-gpu_csv_noheader_nounits.csv"))
    assert [(str(g["index"]), g["name"], g["uuid"]) for g in gpus] == listed_gpus(machine)
    for gpu in gpus:
        assert re.match(r"^\d+\.\d+$", gpu["compute_capability"])
        assert gpu["memory_total_mib"] > 16 * 1024
        assert re.match(r"^[0-9A-F]{8}:[0-9A-F]{2}:[0-9A-F]{2}\.[0-7]$", gpu["pci_bus_id"])


@pytest.mark.parametrize("machine", MACHINES)
def test_xml_matches_csv_and_version_mode(machine):
    gpus = parse_query_csv(read(machine, "query-gpu_csv_noheader_nounits.csv"))
    report = parse_xml(read(machine, "nvidia-smi_-q_-x.xml"))
    versions = version_report(machine)
    assert report["cuda_version"] == versions["CUDA Version"]
    assert report["driver_version"] == versions["DRIVER version"]
    assert {g["driver_version"] for g in gpus} == {versions["DRIVER version"]}
    assert report["attached_gpus"] == len(gpus)
    by_uuid = dict((g["uuid"], g) for g in report["gpus"])
    for gpu in gpus:
        assert by_uuid[gpu["uuid"]]["name"] == gpu["name"]
        assert by_uuid[gpu["uuid"]]["memory_total_mib"] == gpu["memory_total_mib"]
        assert by_uuid[gpu["uuid"]]["pci_bus_id"] == gpu["pci_bus_id"]


@pytest.mark.parametrize("machine", MACHINES)
def test_xml_cuda_version_matches_plain_table(machine):
    banner = re.search(r"Driver Version: (\S+)\s+CUDA Version: (\S+)", read(machine, "nvidia-smi.txt"))
    report = parse_xml(read(machine, "nvidia-smi_-q_-x.xml"))
    assert (report["driver_version"], report["cuda_version"]) == banner.groups()


def test_bad_field_is_classified():
    kind, hint = classify_failure(read("h100", "query-gpu_bad_field.txt"), "")
    assert kind == "old_driver"
    assert "upgrade the NVIDIA driver" in hint


@pytest.mark.parametrize(
    "stdout, kind",
    [
        # Message texts as printed by nvidia-smi (quoted in NVIDIA's forums and the issue); no GPU
        # machine without a driver could be captured here.
        (
            "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
            "Make sure that the latest NVIDIA driver is installed and running.\n",
            "driver_unreachable",
        ),
        ("Failed to initialize NVML: Driver/library version mismatch\n", "version_mismatch"),
        ("No devices were found\n", "no_devices"),
        ("Segmentation fault\n", "unknown"),
    ],
)
def test_classify_failure(stdout, kind):
    assert classify_failure(stdout, "")[0] == kind
    assert classify_failure("", stdout)[0] == kind


def test_first_line_prefers_stderr():
    assert first_line("\nout line\n", "  \nerr line\nmore") == "err line"
    assert first_line("\nout line\n", "") == "out line"
    assert first_line("", "") == ""


@pytest.mark.parametrize("text, mib", [("81559", 81559), ("81559 MiB", 81559), ("[N/A]", None), (" ", None)])
def test_parse_mib(text, mib):
    assert parse_mib(text) == mib


def test_parse_mib_rejects_other_units():
    with pytest.raises(NvidiaSmiParseError):
        parse_mib("80 GiB")


def test_placeholders_become_none():
    line = read("h100", "query-gpu_csv_noheader_nounits.csv").strip().split(", ")
    line[4] = "[N/A]"
    assert parse_query_csv(", ".join(line))[0]["compute_capability"] is None


def test_csv_sorted_by_index():
    line = read("h100", "query-gpu_csv_noheader_nounits.csv").strip()
    second = "1" + line[1:]
    assert [g["index"] for g in parse_query_csv(second + "\n" + line + "\n")] == [0, 1]


@pytest.mark.parametrize(
    "stdout",
    [
        "0, NVIDIA H100 80GB HBM3, GPU-x, 81559\n",  # too few fields
        "index, name, uuid\n0, a, b\n",  # wrong header
        "x, NVIDIA H100 80GB HBM3, GPU-x, 81559, 9.0, 1, 2\n",  # index not a number
    ],
)
def test_csv_rejects_unexpected_shape(stdout):
    with pytest.raises(NvidiaSmiParseError):
        parse_query_csv(stdout)


def test_empty_csv_is_no_gpu():
    assert parse_query_csv("\n") == []


@pytest.mark.parametrize("stdout", ["", "not xml", "<?xml version='1.0'?><other/>"])
def test_xml_rejects_garbage(stdout):
    with pytest.raises(NvidiaSmiParseError):
        parse_xml(stdout)


def test_query_fields_are_the_captured_ones():
    header = read("h100", "query-gpu_csv.csv").splitlines()[0]
    assert tuple(cell.split("[")[0].strip() for cell in header.split(",")) == QUERY_FIELDS
