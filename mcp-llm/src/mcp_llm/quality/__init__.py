"""Automatic quality signals of every response: how it ended, whether it said anything, how fast."""
