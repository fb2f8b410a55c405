"""Orchid's benchmark (not a test suite): see bench/README.md and bench/run.py."""
