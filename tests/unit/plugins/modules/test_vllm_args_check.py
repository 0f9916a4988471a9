# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vllm_args_check: the result parsing on output captured from vLLM 0.32.0 (see the fixture README),
and the module driven end to end with run_command answering those captures (vLLM itself is 3.6 GB and
is exercised on the lab by molecule/vllm_server)."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.llmops.ray_vllm.plugins.modules import vllm_args_check

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "vllm", "0.32.0", "args_check")


def capture(case):
    with open(os.path.join(FIXTURES, case + ".stdout")) as out, open(os.path.join(FIXTURES, case + ".stderr")) as err:
        return out.read(), err.read()


def test_accepted_arguments_come_back_parsed():
    stdout, stderr = capture("good")
    result, error = vllm_args_check.parse_check_output(0, stdout, stderr)
    assert error is None
    assert result["vllm_version"] == "0.32.0"
    args = result["args"]
    assert args["model"] == "/mnt/models/tiny-llama"
    assert args["served_model_name"] == ["tiny"]
    assert args["max_model_len"] == 256
    assert args["enforce_eager"] is True
    assert args["tensor_parallel_size"] == 1


def test_misspelled_flag_names_the_flag():
    stdout, stderr = capture("bad")
    result, error = vllm_args_check.parse_check_output(2, stdout, stderr)
    assert result is None
    assert "unrecognized arguments: --tensor-paralel-size" in error
    assert "usage" not in error


def test_forbidden_combination_gives_vllms_words():
    stdout, stderr = capture("invalid")
    result, error = vllm_args_check.parse_check_output(4, stdout, stderr)
    assert result is None
    assert "--enable-auto-tool-choice requires --tool-call-parser" in error


def test_missing_vllm_says_how_to_fix():
    result, error = vllm_args_check.parse_check_output(
        3, "", "cannot import vLLM's argument parser: ModuleNotFoundError: No module named 'vllm'\n")
    assert result is None
    assert "No module named 'vllm'" in error and "install vLLM" in error


def test_success_without_marker_is_an_error():
    result, error = vllm_args_check.parse_check_output(0, "INFO something\n", "")
    assert result is None and "no readable result" in error


class FakeModule(object):
    def __init__(self, params, answer):
        self.params = params
        self.answer = answer
        self.calls = []

    def run_command(self, args, **kwargs):
        self.calls.append((args, kwargs))
        return self.answer

    def fail_json(self, **kwargs):
        raise RuntimeError(kwargs)

    def exit_json(self, **kwargs):
        raise SystemExit(kwargs)


def test_run_module_passes_argv_on_stdin_and_returns_parsed_args():
    stdout, stderr = capture("good")
    argv = ["--model", "/mnt/models/tiny-llama", "--enforce-eager"]
    module = FakeModule({"python": "/opt/vllm_env/bin/python", "argv": argv, "environment": {"A": 1}},
                        (0, stdout, stderr))
    with pytest.raises(SystemExit) as done:
        vllm_args_check.run_module(module)
    result = done.value.args[0]
    assert result["changed"] is False and result["vllm_version"] == "0.32.0"
    (args, kwargs), = module.calls
    assert args[:2] == ["/opt/vllm_env/bin/python", "-c"]
    assert json.loads(kwargs["data"]) == argv
    assert kwargs["environ_update"] == {"A": "1"}


def test_run_module_fails_with_the_parsers_message():
    stdout, stderr = capture("bad")
    module = FakeModule({"python": "/opt/vllm_env/bin/python", "argv": ["--tensor-paralel-size", "2"],
                         "environment": {}}, (2, stdout, stderr))
    with pytest.raises(RuntimeError) as failed:
        vllm_args_check.run_module(module)
    assert "unrecognized arguments: --tensor-paralel-size" in failed.value.args[0]["msg"]
