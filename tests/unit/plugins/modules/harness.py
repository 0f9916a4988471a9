# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive a collection module in-process through a real AnsibleModule.

Every module here exposes ``build_module()`` (argument spec, check mode) and
``run_module(module, **kw)`` (the logic). ``run_module`` below builds the module from ``args``
exactly as Ansible would, then turns its ``exit_json``/``fail_json`` into an ``Exit`` that the
test inspects: ``.failed`` and ``.result``.
"""

from __future__ import annotations

from unittest import mock

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19


class Exit(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed = failed
        self.result = result


def _exit_json(self, **result):
    raise Exit(False, result)


def _fail_json(self, msg, **result):
    raise Exit(True, dict(result, msg=msg))


def run_module(mod, args, check_mode=False, warnings=None, **kw):
    """Run ``mod`` with ``args``; ``warnings`` (a list) collects module.warn() texts.

    Argument-spec failures raised while the module is built come back as an ``Exit`` too.
    """
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args), \
            mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json), \
            mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json), \
            pytest.raises(Exit) as info:
        module = mod.build_module()
        if warnings is not None:
            module.warn = warnings.append
        mod.run_module(module, **kw)
    return info.value
