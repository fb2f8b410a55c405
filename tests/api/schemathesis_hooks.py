"""A schemathesis check loaded by test_schemathesis.py (SCHEMATHESIS_HOOKS).

Schema-valid requests may still be refused with 400, but only for a rule that no schema can
state (a name that must exist in the catalog, a path that must lead inside a drive, a bound that
is a setting). Each such refusal must carry one of these errorCodes; any other 400 for data the
schema allows means the schema and the server disagree.
"""

from __future__ import annotations

from typing import Any

import schemathesis

# The errorCodes of rules a schema cannot state (also listed in the OpenAPI description of 400).
BUSINESS_RULES = frozenset(
    {
        # the catalog: names and versions that must exist
        "UNKNOWN_APPLICATION",
        "UNKNOWN_PRODUCT",
        "UNKNOWN_PROVIDER",
        "UNKNOWN_PARAMETER",
        "MISSING_PARAMETER",
        "INVALID_PARAMETER",
        "UNSUPPORTED_PROVIDER",
        "UNKNOWN_IMAGE",
        "CONTAINERS_NOT_SUPPORTED",
        "INSUFFICIENT_CAPACITY",
        "NOT_SUPPORTED",
        # rules relating several fields, or a job's state
        "INVALID_REPLICAS",
        "INVALID_TIME_ALLOCATION",
        "NO_TIME_ALLOCATION",
        # bounds that are settings (documented in the README's Limits section)
        "TOO_MANY_ITEMS",
        "INVALID_NAME",
        "PARAMETER_TOO_LARGE",
        "TIME_ALLOCATION_TOO_LONG",
        "QUERY_TOO_LONG",
        # text that is valid JSON but not storable (lone surrogates)
        "INVALID_TEXT",
        # files: a path must lead inside a drive of the user
        "INVALID_PATH",
        "MISSING_PATH",
        "FOLDER_UPLOAD",
        "INVALID_TITLE",
        "UPLOAD_PROTOCOL",
        "INVALID_UPLOAD",
        "INVALID_SORT",
        "INVALID_FILTER",
        # jobs' files (decision 12): what a file value names must be the user's, inside a drive
        "SYMLINK",
        "NOT_A_FILE",
        "INVALID_FILE",
        "MOUNT_CONFLICT",
        "MOUNTS_NOT_SUPPORTED",
        "TOO_MANY_RESOURCES",
    }
)


@schemathesis.check
def refusals_name_a_rule(ctx: Any, response: Any, case: Any) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        code = response.json().get("errorCode")
    except ValueError:
        code = None
    if code not in BUSINESS_RULES:
        raise AssertionError(
            f"schema-valid request refused with 400 {code}: the schema does not say so\n"
            f"{response.text[:300]}"
        )
    return None
