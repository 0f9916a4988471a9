# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action for llmops.ray_vllm.os_packages (documentation: plugins/modules/os_packages.py)."""

from __future__ import annotations

from ansible_collections.llmops.ray_vllm.plugins.module_utils._check_mode import not_there_yet
from ansible_collections.llmops.ray_vllm.plugins.module_utils._packages import (
    APT_LISTS_COUNT, installed_query, missing_packages)
from ansible_collections.llmops.ray_vllm.plugins.plugin_utils._action import SpecAction

ARGUMENT_SPEC = {
    "name": {"type": "list", "elements": "str", "required": True},
    "cache_valid_time": {"type": "int", "default": 3600},
}


class ActionModule(SpecAction):
    OPTION_SPEC = ARGUMENT_SPEC
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def _shell(self, command):
        res = self._low_level_execute_command(command)
        return res.get("stdout", "")

    def act(self, args, task_vars, result):
        names = args["name"]
        family = task_vars.get("ansible_facts", {}).get("os_family")
        query = installed_query(family, names)
        if query is None:
            # ansible.builtin.package is itself an action (it picks the manager's module): run it as one.
            task = self._task.copy()
            task.args = {"name": names, "state": "present"}
            package = self._shared_loader_obj.action_loader.get(
                "ansible.builtin.package", task=task, connection=self._connection, play_context=self._play_context,
                loader=self._loader, templar=self._templar, shared_loader_obj=self._shared_loader_obj)
            result.update(package.run(task_vars=task_vars))
            # Check mode on a host whose package metadata was never downloaded: reported as an install, not a
            # failure (the rule the package tasks applied one by one before this action).
            if not_there_yet(result, self._play_context.check_mode):
                result.update(failed=False, changed=True)
            return result
        missing = missing_packages(names, self._shell(query))
        result.update(changed=False, missing=missing)
        if not missing:
            result["msg"] = "installed already: %s" % ", ".join(names)
            return result
        lists = int(self._shell(APT_LISTS_COUNT).strip() or 0)
        if self._play_context.check_mode:
            # apt in check mode neither downloads package lists nor installs: the answer is the list itself.
            result.update(changed=True, msg="would install: %s%s" % (", ".join(missing), "" if lists else (
                " (no apt package lists on this host yet: a real run downloads them first)")))
            return result
        # Images often ship without package lists but with a fresh update stamp, which cache_valid_time
        # alone would take for a valid cache: no lists, refresh now.
        result.update(self._execute_module("ansible.builtin.apt", {
            "name": missing, "state": "present", "update_cache": True,
            "cache_valid_time": args["cache_valid_time"] if lists else 0}, task_vars=task_vars))
        return result
