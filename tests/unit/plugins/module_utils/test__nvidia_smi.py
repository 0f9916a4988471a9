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
    READINESS_KEYS,
    NvidiaSmiParseError,
    classify_failure,
    first_line,
    parse_mib,
    parse_query_csv,
    parse_xml,
    query_gpu_command,
    with_readiness,
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


def q_sections(machine):
    """``nvidia-smi -q`` text: {section path: value} for the lines this test compares, e.g.
    ``('Fabric', 'State')`` or ``('ECC Errors', 'Volatile', 'DRAM Uncorrectable')`` (4 spaces per level)."""
    values, path = {}, []
    for line in read(machine, "nvidia-smi_-q.txt").splitlines():
        if not line.startswith("    ") or not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 4 - 1
        name, sep, value = line.strip().partition(" : ")
        path = path[:depth] + [name.strip()]
        if sep:
            values[tuple(path)] = value.strip()
    return values


def na_none(value):
    """nvidia-smi's N/A as parse_xml returns it."""
    return None if value == "N/A" else value


@pytest.mark.parametrize("machine", MACHINES)
def test_xml_readiness_matches_text_report(machine):
    """The readiness fields parsed from the XML report equal what ``nvidia-smi -q`` printed as text."""
    (gpu,) = parse_xml(read(machine, "nvidia-smi_-q_-x.xml"))["gpus"]
    text = q_sections(machine)
    assert gpu["persistence_mode"] == text[("Persistence Mode",)]
    assert gpu["mig_mode_current"] == text[("MIG Mode", "Current")]
    assert gpu["mig_mode_pending"] == text[("MIG Mode", "Pending")]
    assert gpu["fabric_state"] == na_none(text[("Fabric", "State")])
    assert gpu["fabric_status"] == na_none(text[("Fabric", "Status")])
    for scope in ("Volatile", "Aggregate"):
        counts = gpu["ecc_uncorrectable_" + scope.lower()]
        assert counts["dram_uncorrectable"] == int(text[("ECC Errors", scope, "DRAM Uncorrectable")])
        assert counts["sram_uncorrectable_parity"] == int(text[("ECC Errors", scope, "SRAM Uncorrectable Parity")])
        assert counts["sram_uncorrectable_secded"] == int(text[("ECC Errors", scope, "SRAM Uncorrectable SEC-DED")])
    assert gpu["remapped_rows_uncorrectable"] == int(text[("Remapped Rows", "Uncorrectable Error")])
    assert gpu["remapped_rows_pending"] is {"Yes": True, "No": False}[text[("Remapped Rows", "Pending")]]
    assert gpu["remapped_rows_failure"] is {"Yes": True, "No": False}[text[("Remapped Rows", "Remapping Failure Occurred")]]


@pytest.mark.parametrize("machine", MACHINES)
def test_xml_readiness_matches_plain_table(machine):
    """Persistence-M, MIG M. and Volatile Uncorr. ECC of the plain ``nvidia-smi`` table agree with the XML."""
    (gpu,) = parse_xml(read(machine, "nvidia-smi_-q_-x.xml"))["gpus"]
    table = read(machine, "nvidia-smi.txt").splitlines()
    row = next(i for i, line in enumerate(table) if re.match(r"^\|\s+0\s", line))
    persistence, ecc = re.search(r"(On|Off)\s+\|.*\|\s+(\S+)\s+\|$", table[row]).groups()
    mig = re.search(r"(\S+)\s+\|$", table[row + 2]).group(1)
    assert gpu["persistence_mode"] == {"On": "Enabled", "Off": "Disabled"}[persistence]
    assert gpu["mig_mode_current"] == mig
    assert sum(gpu["ecc_uncorrectable_volatile"].values()) == int(ecc)


def test_h100_readiness_exact():
    (gpu,) = parse_xml(read("h100", "nvidia-smi_-q_-x.xml"))["gpus"]
    zero = {"dram_uncorrectable": 0, "sram_uncorrectable_parity": 0, "sram_uncorrectable_secded": 0}
    assert dict((key, gpu[key]) for key in READINESS_KEYS) == {
        "persistence_mode": "Enabled",
        "mig_mode_current": "Disabled",
        "mig_mode_pending": "Disabled",
        # Single GPU, no NVSwitch: nvidia-smi prints N/A for both.
        "fabric_state": None,
        "fabric_status": None,
        # sram_threshold_exceeded (aggregate) and the correctable counters are not uncorrectable counts.
        "ecc_uncorrectable_volatile": zero,
        "ecc_uncorrectable_aggregate": zero,
        "remapped_rows_uncorrectable": 0,
        "remapped_rows_pending": False,
        "remapped_rows_failure": False,
    }


def derived_xml(replacements):
    """DERIVED input: the real H100 XML with exact substrings replaced (each must occur once)."""
    xml = read("h100", "nvidia-smi_-q_-x.xml")
    for old, new in replacements:
        assert xml.count(old) == 1, old
        xml = xml.replace(old, new)
    return xml


def test_derived_counts_and_flags():
    """DERIVED input (no capture with errors exists): non-zero counters and Yes flags are read as such."""
    xml = derived_xml([
        ("<volatile>\n\t\t\t\t<sram_correctable>0</sram_correctable>\n\t\t\t\t<sram_uncorrectable_parity>0<",
         "<volatile>\n\t\t\t\t<sram_correctable>0</sram_correctable>\n\t\t\t\t<sram_uncorrectable_parity>3<"),
        ("<remapped_row_unc>0<", "<remapped_row_unc>2<"),
        ("<remapped_row_pending>No<", "<remapped_row_pending>Yes<"),
        ("<remapped_row_failure>No<", "<remapped_row_failure>Yes<"),
        ("<current_mig>Disabled<", "<current_mig>Enabled<"),
        ("<persistence_mode>Enabled<", "<persistence_mode>Disabled<"),
    ])
    (gpu,) = parse_xml(xml)["gpus"]
    assert gpu["ecc_uncorrectable_volatile"]["sram_uncorrectable_parity"] == 3
    assert gpu["ecc_uncorrectable_aggregate"]["sram_uncorrectable_parity"] == 0
    assert (gpu["remapped_rows_uncorrectable"], gpu["remapped_rows_pending"], gpu["remapped_rows_failure"]) == (2, True, True)
    assert (gpu["mig_mode_current"], gpu["persistence_mode"]) == ("Enabled", "Disabled")


def test_older_xml_without_readiness_elements():
    """DERIVED input: a <gpu> without the readiness elements (older drivers lack <fabric>, <remapped_rows>)."""
    xml = "<nvidia_smi_log><driver_version>470.1</driver_version><gpu id='0'><uuid>GPU-x</uuid></gpu></nvidia_smi_log>"
    (gpu,) = parse_xml(xml)["gpus"]
    assert dict((key, gpu[key]) for key in READINESS_KEYS) == dict(
        (key, {} if key.startswith("ecc_") else None) for key in READINESS_KEYS
    )


def test_older_ecc_names_come_through():
    """DERIVED input: drivers before the SRAM parity/SEC-DED split name the counter sram_uncorrectable."""
    xml = ("<nvidia_smi_log><gpu id='0'><ecc_errors><volatile><sram_correctable>0</sram_correctable>"
           "<sram_uncorrectable>1</sram_uncorrectable><dram_uncorrectable>N/A</dram_uncorrectable></volatile>"
           "</ecc_errors></gpu></nvidia_smi_log>")
    (gpu,) = parse_xml(xml)["gpus"]
    assert gpu["ecc_uncorrectable_volatile"] == {"sram_uncorrectable": 1, "dram_uncorrectable": None}


@pytest.mark.parametrize("machine", MACHINES)
def test_with_readiness_merges_by_uuid(machine):
    gpus = parse_query_csv(read(machine, "query-gpu_csv_noheader_nounits.csv"))
    xml_gpus = parse_xml(read(machine, "nvidia-smi_-q_-x.xml"))["gpus"]
    merged = with_readiness(gpus, xml_gpus)
    assert [dict((k, g[k]) for k in QUERY_FIELDS_KEYS) for g in merged] == [dict((k, g[k]) for k in QUERY_FIELDS_KEYS) for g in gpus]
    assert merged[0]["persistence_mode"] == xml_gpus[0]["persistence_mode"]
    assert "persistence_mode" not in gpus[0]  # inputs unchanged


def test_with_readiness_by_bus_id_and_missing():
    xml_gpus = [{"uuid": None, "pci_bus_id": "B", "persistence_mode": "Enabled"}]
    merged = with_readiness([{"uuid": "GPU-1", "pci_bus_id": "B"}, {"uuid": "GPU-2", "pci_bus_id": "C"}], xml_gpus)
    assert merged[0]["persistence_mode"] == "Enabled"
    assert merged[1]["persistence_mode"] is None
    assert set(READINESS_KEYS) <= set(merged[1])


QUERY_FIELDS_KEYS = ("index", "name", "uuid", "memory_total_mib", "compute_capability", "driver_version", "pci_bus_id")
