# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/ci/venv_image.py: the key of the lab venv image follows what decides the venv, and nothing else."""

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "ci"))

import venv_image  # noqa: E402


def test_every_input_exists_and_holds_files():
    for top in venv_image.INPUTS:
        path = os.path.join(ROOT, top)
        assert os.path.isfile(path) or any(names for _root, _dirs, names in os.walk(path)), top


def test_the_key_follows_the_files_of_the_inputs(tmp_path, monkeypatch):
    monkeypatch.setattr(venv_image, "ROOT", str(tmp_path))
    (tmp_path / "role" / "tasks").mkdir(parents=True)
    (tmp_path / "role" / "tasks" / "main.yml").write_text("- a\n")
    (tmp_path / "pins.yml").write_text("x: 1\n")
    inputs = ["role", "pins.yml"]
    first = venv_image.inputs_key(inputs)
    (tmp_path / "role" / "__pycache__").mkdir()
    (tmp_path / "role" / "__pycache__" / "x.pyc").write_text("built")
    assert venv_image.inputs_key(inputs) == first  # build output is not an input
    (tmp_path / "pins.yml").write_text("x: 2\n")
    second = venv_image.inputs_key(inputs)
    assert second != first
    (tmp_path / "role" / "tasks" / "new.yml").write_text("")
    assert venv_image.inputs_key(inputs) not in (first, second)
