"""Reading experiments: their per-variant statistics and the decision the evidence supports."""
