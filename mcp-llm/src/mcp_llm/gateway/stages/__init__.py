"""The stages of the completion chain, one class each; their order is declared in ``gateway/chain.py``."""
