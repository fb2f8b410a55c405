"""Container image references, as the catalog declares them and podman receives them."""

from __future__ import annotations

import re

# registry/name:tag or name@sha256:digest; never an option (a leading '-') or a path.
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}")


def valid_image_reference(image: str) -> bool:
    return _REFERENCE.fullmatch(image) is not None
