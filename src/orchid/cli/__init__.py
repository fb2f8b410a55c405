"""The `orchid` command."""
