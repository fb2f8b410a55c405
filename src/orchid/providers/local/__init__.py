"""The local provider: jobs run as processes on this machine."""

from orchid.providers.local.provider import LocalProvider

__all__ = ["LocalProvider"]
