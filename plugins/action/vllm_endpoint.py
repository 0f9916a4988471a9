# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for llmops.ray_vllm.vllm_endpoint (documentation: plugins/modules/vllm_endpoint.py): with wait_timeout, ask
the module again every wait_delay seconds until the server is ready or the time is up, printing a progress line
every progress_interval seconds (to standard error: standard output stays the stdout callback's, e.g. JSON)."""

from __future__ import annotations

import functools
import time

from ansible_collections.llmops.ray_vllm.plugins.module_utils._vllm_endpoint import (
    ARGUMENT_SPEC, WAIT_OPTIONS, progress_line)
from ansible_collections.llmops.ray_vllm.plugins.plugin_utils._action import ProgressLines, SpecAction


class ActionModule(SpecAction):
    OPTION_SPEC = ARGUMENT_SPEC
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def act(self, args, task_vars, result):
        wait, delay, interval = (args[k] for k in WAIT_OPTIONS)
        module_args = dict((k, v) for k, v in self._task.args.items() if k not in WAIT_OPTIONS)
        progress = ProgressLines(task_vars, self._play_context, interval)
        start = progress.start
        tries = 0
        while True:
            tries += 1
            answer = self._execute_module(module_name="llmops.ray_vllm.vllm_endpoint", module_args=module_args,
                                          task_vars=task_vars)
            now = time.monotonic()
            if answer.get("failed") or answer.get("ready") or now - start >= wait:
                break
            progress.tick(functools.partial(progress_line, answer))
            time.sleep(max(0.0, min(delay, start + wait - now)))
        result.update(answer)
        result.update(tries=tries, waited=round(time.monotonic() - start, 1))
        return result
