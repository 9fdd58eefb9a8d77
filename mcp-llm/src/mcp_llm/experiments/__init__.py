"""A/B experiments: variants configured in a file, assigned stickily per episode or organization."""
