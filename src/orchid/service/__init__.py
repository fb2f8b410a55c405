"""The orchestrator: jobs, the state machine in action, expiry, follow, and provider reconciliation."""
