# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base of the collection's action plugins whose options are an argument spec checked on the controller
(os_packages, vllm_endpoint, job_wait): a subclass sets OPTION_SPEC and _VALID_ARGS (its keys) and writes act()."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


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
