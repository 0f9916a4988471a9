#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_facts
short_description: Read NVIDIA GPU, driver and CUDA facts with nvidia-smi
version_added: 0.1.0
description:
  - Runs C(nvidia-smi --query-gpu=index,name,uuid,memory.total,compute_cap,driver_version,pci.bus_id
    --format=csv,noheader,nounits) for the per-GPU facts and C(nvidia-smi -q -x) for the highest
    CUDA version the driver supports and, per GPU, what says whether it is ready for CUDA work (persistence
    mode, MIG mode, the NVSwitch fabric's state and status (Fabric Manager's registration on HGX/DGX
    systems), uncorrectable ECC error counts and row remapping). Both run with C(LC_ALL=C).
  - Read-only; it runs the same commands in check mode.
  - Distinguishes a host without C(nvidia-smi), a driver that C(nvidia-smi) cannot talk to (kernel
    module not loaded, driver/library version mismatch) and a driver that sees no GPU.
author:
  - llmops.ray_vllm maintainers (@llmops)
options:
  nvidia_smi_path:
    description:
      - Path of the C(nvidia-smi) executable.
      - When not set, C(nvidia-smi) is searched on E(PATH) and in C(/usr/bin), C(/usr/local/bin),
        C(/usr/local/nvidia/bin) and C(/opt/nvidia/bin).
    type: path
  required:
    description:
      - When V(true), fail if C(nvidia-smi) is missing, cannot reach the driver, or sees no GPU.
      - When V(false), those cases return RV(driver_present=false) (or RV(gpu_count=0)), with the reason in
        RV(error); use this on CPU-only hosts.
      - Output that cannot be parsed fails in both cases.
    type: bool
    default: true
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs nvidia-smi in check mode too.
  diff_mode:
    support: none
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
    details: The facts are under the key C(nvidia).
  platform:
    support: full
    platforms: posix
notes:
  - C(compute_cap) is a query field of NVIDIA drivers 510 and newer; older drivers fail with a
    message saying so.
  - With MIG enabled the facts describe the physical GPUs, not the MIG instances.
  - The fabric fields are V(null) (C(N/A)) on GPUs outside an NVSwitch fabric, e.g. PCIe cards and
    single-GPU machines. On HGX/DGX systems CUDA fails with error 802 (C(system not yet initialized))
    until C(nvidia-fabricmanager) has registered the GPU, that is until RV(gpus[].fabric_state) is
    C(Completed) with RV(gpus[].fabric_status) C(Success).
seealso:
  - name: nvidia-smi documentation
    description: The query fields and the XML report.
    link: https://docs.nvidia.com/deploy/nvidia-smi/index.html
"""

EXAMPLES = r"""
- name: Read GPU facts (fail on hosts without a working NVIDIA driver)
  llmops.ray_vllm.gpu_facts:
  register: gpu

- name: Show the GPUs
  ansible.builtin.debug:
    msg: "{{ gpu.gpu_count }} x {{ gpu.gpus | map(attribute='name') | unique | join(', ') }}, CUDA {{ gpu.cuda_version }}"

- name: Same on a mixed inventory where CPU-only hosts are fine
  llmops.ray_vllm.gpu_facts:
    required: false

- name: Use the facts later in the play
  ansible.builtin.debug:
    var: ansible_facts.nvidia.gpu_count
"""

RETURN = r"""
driver_present:
  description: Whether nvidia-smi ran and reached the NVIDIA driver.
  returned: always
  type: bool
  sample: true
driver_version:
  description: NVIDIA driver version; V(null) when the driver is not present.
  returned: always
  type: str
  sample: "550.54.15"
cuda_version:
  description: Highest CUDA version the driver supports (C(<cuda_version>) of C(nvidia-smi -q -x)); V(null) when unknown.
  returned: always
  type: str
  sample: "12.4"
gpu_count:
  description: Number of GPUs.
  returned: always
  type: int
  sample: 8
gpus:
  description: One entry per GPU, ordered by index.
  returned: always
  type: list
  elements: dict
  contains:
    index:
      description: nvidia-smi's GPU index.
      type: int
      sample: 0
    name:
      description: Product name.
      type: str
      sample: NVIDIA H100 80GB HBM3
    uuid:
      description: GPU UUID.
      type: str
      sample: GPU-2b3c6e1a-0000-0000-0000-000000000000
    memory_total_mib:
      description: Total framebuffer memory in MiB.
      type: int
      sample: 81559
    compute_capability:
      description: CUDA compute capability, C(major.minor).
      type: str
      sample: "9.0"
    pci_bus_id:
      description: PCI bus id.
      type: str
      sample: "00000000:18:00.0"
    persistence_mode:
      description: Persistence mode as nvidia-smi prints it (C(Enabled) or C(Disabled)); V(null) where C(N/A).
      type: str
      sample: Enabled
    mig_mode_current:
      description:
        - Current MIG mode (C(Enabled) or C(Disabled)); V(null) on GPUs without MIG.
        - With C(Enabled), CUDA and so vLLM see MIG instances, not the whole GPU.
      type: str
      sample: Disabled
    mig_mode_pending:
      description: MIG mode after the next GPU reset (C(Enabled) or C(Disabled)); V(null) on GPUs without MIG.
      type: str
      sample: Disabled
    fabric_state:
      description:
        - NVSwitch fabric registration state (C(<fabric><state>)) as nvidia-smi prints NVML's
          C(nvmlGpuFabricState_t) - C(Not Supported), C(Not Started), C(In Progress) or C(Completed).
        - V(null) (C(N/A)) on GPUs outside an NVSwitch fabric.
      type: str
      sample: Completed
    fabric_status:
      description:
        - The registration's result (C(<fabric><status>)) once RV(gpus[].fabric_state) is C(Completed) - C(Success), or
          an NVML error text such as C(Unknown Error); V(null) (C(N/A)) before that and outside a fabric.
      type: str
      sample: Success
    ecc_uncorrectable_volatile:
      description:
        - Uncorrectable ECC error counts since the driver loaded, by the names of C(<ecc_errors><volatile>) (driver 580
          on Hopper - C(sram_uncorrectable_parity), C(sram_uncorrectable_secded), C(dram_uncorrectable)).
        - A counter the GPU does not have is V(null); empty without an C(<ecc_errors>) report.
      type: dict
      sample: {"dram_uncorrectable": 0, "sram_uncorrectable_parity": 0, "sram_uncorrectable_secded": 0}
    ecc_uncorrectable_aggregate:
      description: The same counters over the GPU's lifetime (C(<ecc_errors><aggregate>)).
      type: dict
      sample: {"dram_uncorrectable": 0, "sram_uncorrectable_parity": 0, "sram_uncorrectable_secded": 0}
    remapped_rows_uncorrectable:
      description: Rows remapped for uncorrectable errors (C(<remapped_rows><remapped_row_unc>)); V(null) without row remapping.
      type: int
      sample: 0
    remapped_rows_pending:
      description: Whether a row remap waits for a GPU reset (C(Pending) of C(Remapped Rows)); V(null) without row remapping.
      type: bool
      sample: false
    remapped_rows_failure:
      description: Whether a row remapping failed (C(Remapping Failure Occurred)); V(null) without row remapping.
      type: bool
      sample: false
nvidia_smi_path:
  description: The nvidia-smi that ran; V(null) when none was found.
  returned: always
  type: str
  sample: /usr/bin/nvidia-smi
error:
  description: Why the driver or the GPUs are missing (only with O(required=false)); V(null) otherwise.
  returned: always
  type: str
  sample: "nvidia-smi not found: install the NVIDIA driver (it ships nvidia-smi)"
ansible_facts:
  description: The same facts under one key, for later plays and fact caches.
  returned: always
  type: dict
  contains:
    nvidia:
      description: >-
        Keys driver_present, driver_version, cuda_version, gpu_count and gpus, as above.
      type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.llmops.ray_vllm.plugins.module_utils._nvidia_smi import (
    LOCALE_C,
    SEARCH_DIRS,
    SEARCHED,
    read_gpu_facts,
)

CPU_ONLY_HINT = "for a CPU-only host set required=false (role cuda_check: cuda_check_required: false)"


def build_module():
    module = AnsibleModule(
        argument_spec=dict(
            nvidia_smi_path=dict(type="path"),
            required=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    module.run_command_environ_update = LOCALE_C
    return module


def find_nvidia_smi(module):
    path = module.params["nvidia_smi_path"]
    if path:
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    return module.get_bin_path("nvidia-smi", opt_dirs=SEARCH_DIRS)


def run_module(module):
    searched = module.params["nvidia_smi_path"] or SEARCHED
    result, failure, warnings = read_gpu_facts(find_nvidia_smi(module), module.run_command, searched,
                                               module.params["required"], CPU_ONLY_HINT)
    for warning in warnings:
        module.warn(warning)
    if failure:
        result.pop("ansible_facts")
        module.fail_json(msg=failure, **result)
    module.exit_json(**result)


def main():
    run_module(build_module())


if __name__ == "__main__":
    main()
