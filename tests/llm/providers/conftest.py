"""Vendor fakes for the adapter tests (shared with the end-to-end tests through tests.fakes.fixtures)."""

from tests.fakes.fixtures import *  # noqa: F403  (vendor fakes; pytest finds fixtures by name)
