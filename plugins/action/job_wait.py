# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for llmops.ray_vllm.job_wait (documentation: plugins/modules/job_wait.py): wait for a background job
with progress lines (plugin_utils/_async_job.py); the job's result is the task's."""

from __future__ import annotations

import time

from ansible_collections.llmops.ray_vllm.plugins.module_utils._pins import venv_count_command, venv_line
from ansible_collections.llmops.ray_vllm.plugins.plugin_utils._action import SpecAction
from ansible_collections.llmops.ray_vllm.plugins.plugin_utils._async_job import AsyncJobMixin

ARGUMENT_SPEC = {
    "jid": {"type": "str", "required": True},
    "label": {"type": "str", "required": True},
    "progress_interval": {"type": "int", "default": 30},
    "venv": {"type": "path"},
}


class ActionModule(AsyncJobMixin, SpecAction):
    OPTION_SPEC = ARGUMENT_SPEC
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def act(self, args, task_vars, result):
        venv = args["venv"]

        def line(seconds):
            return venv_line(args["label"], seconds, self.remote_output(venv_count_command(venv)) if venv else None)
        start = time.monotonic()
        result.update(self.wait_job(args["jid"], task_vars, args["progress_interval"], line))
        result["waited"] = round(time.monotonic() - start, 1)
        return result
