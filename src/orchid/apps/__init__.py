"""Small real programs that the default catalog's applications run (they are jobs, not Orchid)."""
