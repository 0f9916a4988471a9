# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AsyncJobMixin.wait_job: how the controller follows a background job with async_status.

The host's side is a list of async_status answers, in the form ansible-core 2.19's async_status returns them
(modules/async_status.py: a job whose status file is missing fails "could not find job"; async_wrapper returns
"started" after at most 2.5 s whether or not its daemonized child wrote that file yet). No host is needed to decide
what the controller does with each answer."""

from __future__ import annotations

import pytest

from ansible_collections.llmops.ray_vllm.plugins.plugin_utils import _async_job

MISSING = {"failed": True, "msg": "could not find job", "ansible_job_id": "j1", "started": True, "finished": True}
RUNNING = {"started": True, "finished": False, "ansible_job_id": "j1", "results_file": "/root/.ansible_async/j1"}
DONE = {"changed": True, "path": "/mnt/models/tiny-coder", "started": True, "finished": True, "ansible_job_id": "j1",
        "results_file": "/root/.ansible_async/j1"}


class PlayContext(object):
    remote_addr = "10.213.1.11"


class Action(_async_job.AsyncJobMixin):
    """The action plugin's side of the calls wait_job makes: each async_status call gets the next answer."""

    def __init__(self, answers):
        self.answers, self.calls = list(answers), []
        self._play_context = PlayContext()

    def _remote_expand_user(self, path):
        return path.replace("~", "/root")

    def get_shell_option(self, name, default=None):
        return default

    def _execute_module(self, module_name, module_args, task_vars):
        self.calls.append(module_args.get("mode", "status"))
        return {} if module_args.get("mode") == "cleanup" else self.answers.pop(0)


@pytest.fixture(autouse=True)
def no_wait(monkeypatch):
    monkeypatch.setattr(_async_job.time, "sleep", lambda seconds: None)


def test_a_job_whose_status_file_comes_late_is_followed_to_its_end():
    action = Action([MISSING, MISSING, RUNNING, DONE])
    result = action.wait_job("j1", {"inventory_hostname": "head"}, 0, lambda s: "")
    assert result == {"changed": True, "path": "/mnt/models/tiny-coder"}
    assert action.calls == ["status"] * 4 + ["cleanup"]


def test_a_job_that_never_writes_its_status_file_fails_after_the_grace(monkeypatch):
    monkeypatch.setattr(_async_job, "JOB_APPEARS", 0)
    action = Action([MISSING])
    result = action.wait_job("j1", {"inventory_hostname": "head"}, 0, lambda s: "")
    assert result == {"failed": True, "msg": "could not find job"}
    assert action.calls == ["status", "cleanup"]


def test_a_failed_job_ends_the_wait_at_once():
    failed = {"failed": True, "msg": "HTTP 404: RepositoryNotFoundError", "finished": True, "ansible_job_id": "j1"}
    action = Action([RUNNING, failed, DONE])
    result = action.wait_job("j1", {"inventory_hostname": "head"}, 0, lambda s: "")
    assert result == {"failed": True, "msg": "HTTP 404: RepositoryNotFoundError"}
    assert action.answers == [DONE]
