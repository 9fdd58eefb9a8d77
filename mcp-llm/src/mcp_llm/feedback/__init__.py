"""Outcome feedback on responses, and what the gateway remembers about them to accept it."""
