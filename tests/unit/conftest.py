"""Make the repository importable as ``ansible_collections.llmops.ray_vllm``.

The collection root is the repository root; tests import it the way Ansible does.
A symlink under ``.cache/collections`` provides the ``ansible_collections/llmops/ray_vllm``
layout without copying anything.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "llmops", "ray_vllm")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    try:
        os.symlink(ROOT, LINK)
    except FileExistsError:  # another pytest worker won the race
        pass
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
