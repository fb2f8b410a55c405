"""Orchid: a compute-job orchestrator that speaks UCloud's Jobs API."""

__version__ = "0.1.0"
