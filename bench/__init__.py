"""Benchmarks: figures for the README, not tests (see bench/README.md)."""
