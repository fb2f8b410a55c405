"""Whether the local provider can enforce products' CPU and memory limits (decision 9).

Enforcing them needs a cgroup v2 tree in which Orchid may create a group per job with the `cpu`
and `memory` controllers. Where there is none (cgroup v1 or a hybrid setup, as on the machines
this was written on), the limits are counted by the capacity queue but not enforced, and
`orchid serve` says so once at start. Per-job groups are not implemented yet: on a machine with
a usable v2 tree, this says so too, rather than claiming enforcement.
"""

from __future__ import annotations

import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def not_enforced_because(root: Path = CGROUP_ROOT) -> str:
    """Why products' CPU and memory limits are not enforced on this machine."""
    controllers_file = root / "cgroup.controllers"
    if not controllers_file.exists():
        unified = root / "unified" / "cgroup.controllers"
        if unified.exists():
            have = unified.read_text().split()
            return (
                "cgroups are in hybrid mode here: the v2 tree at "
                f"{root / 'unified'} has the controllers {have or 'none'}, not cpu and memory "
                "(they are bound to cgroup v1)"
            )
        return f"there is no cgroup v2 tree at {root}"
    controllers = set(controllers_file.read_text().split())
    missing = {"cpu", "memory"} - controllers
    if missing:
        return f"the cgroup v2 tree at {root} lacks the controllers {sorted(missing)}"
    if not os.access(root, os.W_OK):
        return f"Orchid may not create cgroups under {root}"
    return "per-job cgroups are not implemented yet by the local provider"
