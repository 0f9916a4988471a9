# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the collection's action plugins: SpecAction, the base of those whose options are an argument spec
checked on the controller (os_packages, vllm_endpoint, job_wait); ProgressLines, the progress lines of a wait on
the controller (vllm_endpoint's readiness wait, the background jobs of hf_model and job_wait)."""

from __future__ import annotations

import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


class SpecAction(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    OPTION_SPEC = {}

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        args = self.validate_argument_spec(argument_spec=self.OPTION_SPEC)[1]
        return self.act(args, task_vars or {}, result)

    def act(self, args, task_vars, result):
        """The action, with the validated options args; result is ActionBase.run()'s, to update and return."""
        raise NotImplementedError


class ProgressLines(object):
    """'<host>: <line>' on standard error (standard output stays the stdout callback's, e.g. JSON), at most every
    interval seconds from the start of the wait (its creation); interval 0 prints none."""

    def __init__(self, task_vars, play_context, interval):
        self.host = task_vars.get("inventory_hostname", play_context.remote_addr)
        self.interval = interval
        self.start = time.monotonic()
        self.next_line = self.start + interval

    def elapsed(self):
        """Seconds since the start of the wait."""
        return time.monotonic() - self.start

    def tick(self, line):
        """Print line(seconds since the start) when a line is due."""
        now = time.monotonic()
        if self.interval > 0 and now >= self.next_line:
            display.display("%s: %s" % (self.host, line(now - self.start)), stderr=True)
            self.next_line = now + self.interval
