# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for llmops.ray_vllm.hf_model (documentation: plugins/modules/hf_model.py).

One module call probes the snapshot (a complete one ends there: a re-run costs what it did before). A download
runs as a background job on the host, polled every 1-5 s; every progress_interval seconds a line says how far it
is, read from the progress file the module rewrites while it downloads (plugin_utils/_async_job.py). Check mode,
source_dir, progress_interval 0 and a task with its own ``async`` run the module once, as before."""

from __future__ import annotations

import posixpath

from ansible.plugins.action import ActionBase
from ansible_collections.llmops.ray_vllm.plugins.module_utils._hf_model import (
    PROGRESS_INTERVAL, PROGRESS_RELPATH, download_line)
from ansible_collections.llmops.ray_vllm.plugins.plugin_utils._async_job import AsyncJobMixin

MODULE = "llmops.ray_vllm.hf_model"


class ActionModule(AsyncJobMixin, ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = dict(self._task.args)
        interval = int(args.get("progress_interval", PROGRESS_INTERVAL))
        if self._task.async_val or self._task.check_mode or interval <= 0 or args.get("source_dir") \
                or args.get("probe"):
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars,
                                               wrap_async=bool(self._task.async_val)))
            return result
        probe = self._execute_module(module_name=MODULE, module_args=dict(args, probe=True), task_vars=task_vars)
        if probe.get("failed") or not probe.get("changed"):
            result.update(probe)
            return result
        args["progress_file"] = posixpath.join(probe["path"], PROGRESS_RELPATH)
        job = self.start_job(MODULE, args, task_vars)
        if job.get("failed") or "ansible_job_id" not in job:
            result.update(job)
            return result
        result.update(self.wait_job(job["ansible_job_id"], task_vars, interval,
                                    lambda seconds: download_line(self.remote_json(args["progress_file"]),
                                                                  args["repo_id"])))
        return result
