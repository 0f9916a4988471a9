# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for llmops.ray_vllm.ray_node (documentation: plugins/modules/ray_node.py): where the task's unit_read says
the unit on the host is the very one the module would write and it runs (module_utils _ray.unit_read_current), the
task reports no change without running the module; otherwise the module runs with the task's options."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray import unit_read_current
from ansible_collections.llmops.ray_vllm.plugins.module_utils._ray_client import (
    MUTUALLY_EXCLUSIVE,
    NODE_ARGUMENT_SPEC,
    NODE_REQUIRED_IF,
)


def current_result(params):
    """The module's result for a node left as it is (its keys, action none), said to come from the read before."""
    return {"changed": False, "action": "none", "differences": [], "node": None,
            "unit": "/etc/systemd/system/%s.service" % params["service_name"],
            "msg": "%s.service is the unit this task writes, enabled and active (unit_read): nothing to do"
                   % params["service_name"]}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        if self._task.args.get("unit_read"):
            try:
                params = self.validate_argument_spec(argument_spec=NODE_ARGUMENT_SPEC,
                                                     mutually_exclusive=MUTUALLY_EXCLUSIVE,
                                                     required_if=NODE_REQUIRED_IF)[1]
            except AnsibleActionFail:
                params = None  # the module reports its options' errors, as without unit_read
            if params is not None and unit_read_current(params, params["unit_read"]):
                result.update(current_result(params))
                return result
        result.update(self._execute_module(module_name="llmops.ray_vllm.ray_node", module_args=self._task.args,
                                           task_vars=task_vars))
        return result
