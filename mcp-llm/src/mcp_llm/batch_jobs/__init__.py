"""Vendor batch jobs: ``submit_batch`` now, results later, at the vendor's batch price.

A job is persisted (``store``), handed to its provider's batch API (``openai_batch``, ``anthropic_batch``,
``gemini_batch``) or, for providers without one, run as a throttled fan-out through the ordinary
completion chain (``fanout``); ``jobs`` polls them in the background, across restarts, and bills each
finished job's usage to the submitting organization exactly once (ledger and quota counters,
``billing``).
"""
