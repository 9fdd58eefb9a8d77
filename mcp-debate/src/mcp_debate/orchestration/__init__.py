"""Orchestration: creating debates, running turns and runs, state changes, summaries and read views."""
