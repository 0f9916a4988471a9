# Copyright: (c) 2026, llmops.ray_vllm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the lab tool's package (tests/lab/labtool) importable as ``labtool``, as tests/lab/lab imports it."""

import os
import sys

LAB_SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "lab"))
if LAB_SRC not in sys.path:
    sys.path.insert(0, LAB_SRC)
