"""Plain types and rules with no I/O."""
