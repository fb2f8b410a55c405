"""What a provider can do with a product, and what one replica of a product needs.

The catalog builds these from product definitions and the providers act on them; both import them
from here (the provider contract in `orchid.providers.base` re-exports them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    time_extension: bool = True
    logs: bool = True
    # Runs applications whose tool is a container image (backend DOCKER), e.g. through podman.
    containers: bool = False
    # Serves the web interface of a running WEB application's replica (sessionType WEB).
    web: bool = False
    # Opens a terminal inside a running replica (sessionType SHELL).
    shell: bool = False
    # Makes folders of the user's drives visible inside the job (resources, file parameters).
    mounts: bool = False


@dataclass(frozen=True)
class ProductShape:
    """What one replica of a product needs."""

    id: str
    cpu: int
    memory_gib: int
    gpu: int = 0
