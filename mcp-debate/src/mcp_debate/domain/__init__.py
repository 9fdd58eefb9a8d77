"""The debate domain: models and the state machine, free of I/O."""
