# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers that build ``nvidia-smi`` command lines and parse their output.

Two modes are used, both machine-readable:

* ``nvidia-smi --query-gpu=FIELDS --format=csv,noheader,nounits``: one CSV line per
  physical GPU with exactly the fields of :data:`QUERY_FIELDS`.
* ``nvidia-smi -q -x``: the XML report; only ``<driver_version>``, ``<cuda_version>``
  (the highest CUDA version the driver supports) and the ``<gpu>`` elements are read: per GPU its
  identity and memory, and what says whether it is ready for CUDA work (:data:`READINESS_KEYS`):
  persistence mode, MIG mode, the NVSwitch fabric's state and status, uncorrectable ECC counts and
  row remapping.

Nothing here runs a process: the module runs the commands and hands stdout/stderr in,
so the parsers are unit-tested on real captured output (tests/unit/fixtures/nvidia-smi/).
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET

# Order matters: parse_query_csv() maps CSV columns to these names.
QUERY_FIELDS = (
    "index",
    "name",
    "uuid",
    "memory.total",
    "compute_cap",
    "driver_version",
    "pci.bus_id",
)

# nvidia-smi prints these instead of a value it cannot read.
_MISSING = ("[N/A]", "N/A", "[Not Supported]", "[Unknown Error]", "[Insufficient Permissions]", "")

_MIB_RE = re.compile(r"^\s*(\d+)\s*(MiB)?\s*$")

# Per-GPU readiness fields parse_xml() reads; gpu_facts adds them to the GPUs of the CSV query.
READINESS_KEYS = (
    "persistence_mode",
    "mig_mode_current",
    "mig_mode_pending",
    "fabric_state",
    "fabric_status",
    "ecc_uncorrectable_volatile",
    "ecc_uncorrectable_aggregate",
    "remapped_rows_uncorrectable",
    "remapped_rows_pending",
    "remapped_rows_failure",
)

# Known failure texts -> (kind, hint).  Matched case-insensitively on stdout+stderr.
_FAILURES = (
    (
        "couldn't communicate with the nvidia driver",
        "driver_unreachable",
        "the NVIDIA kernel driver is not loaded or not installed for the running kernel: "
        "check `lsmod | grep nvidia` and `dmesg | grep -i nvrm`, install the NVIDIA driver "
        "(and its kernel module for this kernel) or reboot after installing it",
    ),
    (
        "driver/library version mismatch",
        "version_mismatch",
        "the loaded NVIDIA kernel module and the user-space driver differ (driver upgraded "
        "without a reboot): reboot the host or reload the nvidia kernel modules",
    ),
    (
        "no devices were found",
        "no_devices",
        "the NVIDIA driver is loaded but sees no GPU: check `lspci | grep -i nvidia` and "
        "`dmesg | grep -i nvrm`",
    ),
    (
        "is not a valid field to query",
        "old_driver",
        "this NVIDIA driver is too old for the queried fields (compute_cap needs driver 510 "
        "or newer; CUDA 12.1 needs 530 or newer): upgrade the NVIDIA driver",
    ),
)


class NvidiaSmiParseError(ValueError):
    """Raised when nvidia-smi output does not have the expected shape."""


def query_gpu_command(nvidia_smi, units=False):
    """Return the argv of the per-GPU CSV query.

    ``units=False`` gives ``csv,noheader,nounits`` (what the module runs); ``units=True``
    gives ``csv`` with a header line and units, which :func:`parse_query_csv` also reads.
    """
    fmt = "csv" if units else "csv,noheader,nounits"
    return [nvidia_smi, "--query-gpu=" + ",".join(QUERY_FIELDS), "--format=" + fmt]


def xml_command(nvidia_smi):
    """Return the argv of the full XML report."""
    return [nvidia_smi, "-q", "-x"]


def _value(text):
    """Strip a cell; nvidia-smi's placeholders for unreadable values become None."""
    if text is None:
        return None
    text = text.strip()
    return None if text in _MISSING else text


def parse_mib(text):
    """``'81559'`` or ``'81559 MiB'`` -> 81559; placeholders -> None."""
    text = _value(text)
    if text is None:
        return None
    match = _MIB_RE.match(text)
    if not match:
        raise NvidiaSmiParseError("unexpected memory value %r (expected MiB)" % text)
    return int(match.group(1))


def _header_name(cell):
    """``'memory.total [MiB]'`` -> ``'memory.total'``."""
    return cell.split("[", 1)[0].strip()


def parse_query_csv(stdout):
    """Parse the output of :func:`query_gpu_command` into a list of GPU dicts.

    Accepts both ``csv,noheader,nounits`` and ``csv`` (header line, units).  Returns a list
    ordered by GPU index; each dict has index, name, uuid, memory_total_mib,
    compute_capability, driver_version and pci_bus_id.
    """
    lines = [line for line in stdout.splitlines() if line.strip()]
    rows = list(csv.reader(lines, skipinitialspace=True))
    if rows and _header_name(rows[0][0]) == QUERY_FIELDS[0]:
        header = tuple(_header_name(cell) for cell in rows[0])
        if header != QUERY_FIELDS:
            raise NvidiaSmiParseError("unexpected CSV header %r" % (rows[0],))
        rows = rows[1:]
    gpus = []
    for row in rows:
        if len(row) != len(QUERY_FIELDS):
            raise NvidiaSmiParseError(
                "expected %d comma-separated fields (%s), got %d: %r"
                % (len(QUERY_FIELDS), ",".join(QUERY_FIELDS), len(row), ",".join(row))
            )
        cell = dict(zip(QUERY_FIELDS, row))
        index = _value(cell["index"])
        if index is None or not index.isdigit():
            raise NvidiaSmiParseError("unexpected GPU index %r" % cell["index"])
        gpus.append(
            {
                "index": int(index),
                "name": _value(cell["name"]),
                "uuid": _value(cell["uuid"]),
                "memory_total_mib": parse_mib(cell["memory.total"]),
                "compute_capability": _value(cell["compute_cap"]),
                "driver_version": _value(cell["driver_version"]),
                "pci_bus_id": _value(cell["pci.bus_id"]),
            }
        )
    return sorted(gpus, key=lambda gpu: gpu["index"])


def _text(element, path):
    found = element.find(path)
    return None if found is None else _value(found.text)


def _count(text):
    """A counter cell: ``'0'`` -> 0; placeholders (``N/A`` where the GPU has no such counter) -> None."""
    text = _value(text)
    return int(text) if text is not None and text.isdigit() else None


def _yes_no(text):
    """``'Yes'``/``'No'`` -> True/False; anything else (``N/A``) -> None."""
    return {"yes": True, "no": False}.get((_value(text) or "").lower())


def _uncorrectable(gpu, scope):
    """``<ecc_errors><SCOPE>``'s uncorrectable counters, named as the XML names them.

    Driver 580 on Hopper prints ``sram_uncorrectable_parity``, ``sram_uncorrectable_secded`` and
    ``dram_uncorrectable``; older drivers print ``sram_uncorrectable``/``dram_uncorrectable``. Every
    child whose tag contains ``uncorrectable`` is taken, so each driver's names come through.
    Counters a GPU does not have (no ECC: ``N/A``) are None.
    """
    element = gpu.find("ecc_errors/" + scope)
    if element is None:
        return {}
    return dict((child.tag, _count(child.text)) for child in element if "uncorrectable" in child.tag)


def _readiness(gpu):
    """The :data:`READINESS_KEYS` of one ``<gpu>`` element."""
    return {
        "persistence_mode": _text(gpu, "persistence_mode"),
        "mig_mode_current": _text(gpu, "mig_mode/current_mig"),
        "mig_mode_pending": _text(gpu, "mig_mode/pending_mig"),
        "fabric_state": _text(gpu, "fabric/state"),
        "fabric_status": _text(gpu, "fabric/status"),
        "ecc_uncorrectable_volatile": _uncorrectable(gpu, "volatile"),
        "ecc_uncorrectable_aggregate": _uncorrectable(gpu, "aggregate"),
        "remapped_rows_uncorrectable": _count(_text(gpu, "remapped_rows/remapped_row_unc")),
        "remapped_rows_pending": _yes_no(_text(gpu, "remapped_rows/remapped_row_pending")),
        "remapped_rows_failure": _yes_no(_text(gpu, "remapped_rows/remapped_row_failure")),
    }


def parse_xml(stdout):
    """Parse ``nvidia-smi -q -x`` into driver_version, cuda_version, attached_gpus and gpus.

    ``gpus`` lists, per ``<gpu>`` element in document order: name, uuid, pci_bus_id,
    minor_number and memory_total_mib (from ``<fb_memory_usage><total>``), and the
    :data:`READINESS_KEYS`:

    * ``persistence_mode`` (``<persistence_mode>``), ``mig_mode_current``/``mig_mode_pending``
      (``<mig_mode>``): ``'Enabled'``/``'Disabled'`` as printed, None where ``N/A``;
    * ``fabric_state``/``fabric_status`` (``<fabric><state>``/``<status>``): as printed, e.g.
      ``'In Progress'``/``'N/A'`` -> ``'In Progress'``/None while Fabric Manager registers the GPU,
      ``'Completed'``/``'Success'`` once it did; None/None on GPUs outside an NVSwitch fabric;
    * ``ecc_uncorrectable_volatile``/``ecc_uncorrectable_aggregate``: the uncorrectable counters of
      ``<ecc_errors><volatile>``/``<aggregate>`` by XML name (see :func:`_uncorrectable`);
    * ``remapped_rows_uncorrectable`` (``<remapped_row_unc>``, int), ``remapped_rows_pending`` and
      ``remapped_rows_failure`` (``<remapped_row_pending>``, ``<remapped_row_failure>``: bool); None
      on GPUs without row remapping.
    """
    try:
        root = ET.fromstring(stdout.strip())
    except ET.ParseError as exc:
        raise NvidiaSmiParseError("nvidia-smi -q -x did not print valid XML: %s" % exc)
    if root.tag != "nvidia_smi_log":
        raise NvidiaSmiParseError("unexpected XML root element <%s>, expected <nvidia_smi_log>" % root.tag)
    attached = _text(root, "attached_gpus")
    gpus = []
    for gpu in root.findall("gpu"):
        minor = _text(gpu, "minor_number")
        entry = {
            "name": _text(gpu, "product_name"),
            "uuid": _text(gpu, "uuid"),
            "pci_bus_id": _text(gpu, "pci/pci_bus_id") or gpu.get("id"),
            "minor_number": int(minor) if minor and minor.isdigit() else None,
            "memory_total_mib": parse_mib(_text(gpu, "fb_memory_usage/total")),
        }
        entry.update(_readiness(gpu))
        gpus.append(entry)
    return {
        "driver_version": _text(root, "driver_version"),
        "cuda_version": _text(root, "cuda_version"),
        "attached_gpus": int(attached) if attached and attached.isdigit() else None,
        "gpus": gpus,
    }


def with_readiness(gpus, xml_gpus):
    """The CSV query's ``gpus`` with each GPU's :data:`READINESS_KEYS` from :func:`parse_xml`'s ``gpus``.

    GPUs are matched by UUID, else by PCI bus id; a GPU the XML report does not list gets None for each.
    Returns new dicts; the inputs are not changed.
    """
    by_uuid = dict((gpu["uuid"], gpu) for gpu in xml_gpus if gpu.get("uuid"))
    by_bus = dict((gpu["pci_bus_id"], gpu) for gpu in xml_gpus if gpu.get("pci_bus_id"))
    merged = []
    for gpu in gpus:
        found = by_uuid.get(gpu.get("uuid")) or by_bus.get(gpu.get("pci_bus_id")) or {}
        entry = dict(gpu)
        entry.update((key, found.get(key)) for key in READINESS_KEYS)
        merged.append(entry)
    return merged


def classify_failure(stdout, stderr):
    """Map a failed nvidia-smi run to ``(kind, hint)``; ``('unknown', None)`` if not recognised."""
    text = ("%s\n%s" % (stdout or "", stderr or "")).lower()
    for needle, kind, hint in _FAILURES:
        if needle in text:
            return kind, hint
    return "unknown", None


def first_line(stdout, stderr):
    """The first non-empty line of stderr, else of stdout: the error nvidia-smi printed."""
    for text in (stderr, stdout):
        for line in (text or "").splitlines():
            if line.strip():
                return line.strip()
    return ""


# Where nvidia-smi is looked for besides PATH; the facts module gpu_facts exports (under ansible_facts.nvidia).
SEARCH_DIRS = ["/usr/bin", "/usr/local/bin", "/usr/local/nvidia/bin", "/opt/nvidia/bin"]
SEARCHED = "on PATH or in %s" % ", ".join(SEARCH_DIRS)  # where, for the "not found" message
FACT_KEYS = ("driver_present", "driver_version", "cuda_version", "gpu_count", "gpus")
# nvidia-smi's messages and number formats must not depend on the host's locale.
LOCALE_C = {"LANGUAGE": "C", "LC_ALL": "C"}


def _failure_message(cmd, rc, stdout, stderr):
    kind, hint = classify_failure(stdout, stderr)
    msg = "'%s' failed (rc=%s): %s" % (" ".join(cmd), rc, first_line(stdout, stderr) or "no output")
    if hint:
        msg += " -- " + hint
    return kind, msg


def read_gpu_facts(nvidia_smi, run, searched, required, cpu_only_hint=""):
    """What module gpu_facts returns, read by running nvidia-smi: (result, failure, warnings).

    nvidia_smi: the executable's path, or None when it was not found (searched says where it was looked for);
    run(argv) -> (rc, stdout, stderr) runs a command (with LOCALE_C). failure is the message to fail with (else
    None): output that cannot be parsed, a driver too old for the query, and, when required, a missing driver or
    no GPU; not required, those come back in result["error"] (cpu_only_hint joins the failure message).
    """
    result = dict(changed=False, driver_present=False, driver_version=None, cuda_version=None, gpus=[],
                  gpu_count=0, nvidia_smi_path=nvidia_smi, error=None)
    warnings = []

    def done(failure=None):
        result["gpu_count"] = len(result["gpus"])
        result["ansible_facts"] = {"nvidia": dict((key, result[key]) for key in FACT_KEYS)}
        return result, failure, warnings

    def absent(msg):
        if required:
            return done("%s; %s" % (msg, cpu_only_hint) if cpu_only_hint else msg)
        result["error"] = msg
        return done()

    if not nvidia_smi:
        return absent("nvidia-smi not found (%s): install the NVIDIA driver, which ships nvidia-smi" % searched)
    cmd = query_gpu_command(nvidia_smi)
    rc, stdout, stderr = run(cmd)
    no_devices_msg = None
    if rc != 0:
        kind, msg = _failure_message(cmd, rc, stdout, stderr)
        if kind == "old_driver":
            return done(msg)
        if kind != "no_devices":
            return absent(msg)
        no_devices_msg = msg
    try:
        if no_devices_msg is None:
            result["gpus"] = parse_query_csv(stdout)
        cmd = xml_command(nvidia_smi)
        rc, stdout, stderr = run(cmd)
        if rc == 0:
            report = parse_xml(stdout)
        elif no_devices_msg is not None:
            report = {"driver_version": None, "cuda_version": None, "attached_gpus": 0, "gpus": []}
        else:
            return done(_failure_message(cmd, rc, stdout, stderr)[1])
    except NvidiaSmiParseError as exc:
        return done("Cannot parse the output of '%s': %s" % (" ".join(cmd), exc))

    result["driver_present"] = True
    result["gpus"] = with_readiness(result["gpus"], report["gpus"])
    drivers = sorted(set(gpu["driver_version"] for gpu in result["gpus"] if gpu["driver_version"]))
    result["driver_version"] = drivers[0] if drivers else report["driver_version"]
    result["cuda_version"] = report["cuda_version"]
    if report["attached_gpus"] is not None and report["attached_gpus"] != len(result["gpus"]):
        warnings.append("nvidia-smi -q -x reports %s attached GPUs but the query listed %d"
                        % (report["attached_gpus"], len(result["gpus"])))
    if no_devices_msg is not None:
        return absent(no_devices_msg)
    return done()
