"""``mcp-debate evaluate``: does the panel beat one model? Methods over a dataset, through the real services.

Dependencies point down: ``command`` (the CLI) -> ``runner`` (items x methods, resume, progress) ->
``methods`` (one item by one method, over MCP) -> ``config``, ``datasets``, ``checker``; the
``report`` and ``chart`` read finished results only.
"""
