# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registers the ``integration`` marker used by the tests in this folder."""


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: starts local processes (fake hub, ansible); see the test docstring")
