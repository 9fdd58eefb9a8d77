"""The Markdown export shows what participants and outsiders wrote as text: no markup reaches a reader."""

from __future__ import annotations

import httpx
from markdown_it import MarkdownIt
from mcp import Client

from tests.conftest import ServiceProcess
from tests.debate.conftest import call, create, post

MARKUP = (
    'Opening <script>alert("x")</script> remark.\n\n'
    '<div onclick="steal()">\nA raw HTML block\n</div>\n\n'
    "An escaped \\<b>bold\\</b> and a double \\\\<img src=x onerror=alert(1)>.\n\n"
    "Still **Markdown**, and `<code>` stays code."
)


async def test_markdown_export_renders_message_markup_as_text(debate_server: ServiceProcess) -> None:
    debate_id = create(debate_server, max_rounds=1)["id"]
    added = post(
        debate_server, "add_message", {"debate_id": debate_id, "content": MARKUP, "speaker": "Audience"}
    )
    assert added.status_code == 200, added.text
    async with httpx.AsyncClient(base_url=debate_server.url) as http:
        mirrored = (await http.get(f"/debates/{debate_id}/export", params={"format": "markdown"})).text
    async with Client(debate_server.mcp_url) as client:
        exported = await call(client, "export_debate", {"debate_id": debate_id, "format": "markdown"})
    assert exported["content"] == mirrored

    rendered = MarkdownIt("commonmark").render(mirrored)
    for tag in ("<script", "<div", "<img", "<b>"):
        assert tag not in rendered, tag
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in rendered  # shown, as text
    assert "&lt;div onclick=" in rendered and "A raw HTML block" in rendered
    assert "<strong>Markdown</strong>" in rendered  # the transcript stays Markdown
