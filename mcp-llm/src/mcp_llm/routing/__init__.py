"""Which provider and model a call goes to, and which models the gateway knows (below gateway, governance)."""
