"""``GET /``: a small read-only status page for people, next to the API.

It shows the providers (configured or not, health, each model's circuit and latency), today's usage
and links to the metrics, readiness and tool list. It reads everything through the service's own tools
(``provider_health``, ``usage_report``), so it shows exactly what a caller of those tools would get.

With keys on (``AUTH_ENABLED``) the page asks for a key: a small script sends it in the Authorization
header of two tool calls and renders what they answer (the caller's own organization's usage, unless
the key is an admin's). The key stays in the page's memory: never in an address, a cookie or a log.
Provider health is shown without a key while ``/metrics`` is open (it publishes the same), not with
``METRICS_AUTH`` on.
"""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from mcp_llm.settings import LLMSettings
from mcp_shared.auth import ORGANIZATION_SCOPE_KEY
from mcp_shared.errors import ServiceError
from mcp_shared.server.tools import CallContext, ToolRegistry

STYLE = """
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#17202a;background:#fff}
header{padding:.75rem 1.25rem;background:#f4f6f8;border-bottom:1px solid #c9d1d9;display:flex;flex-wrap:wrap;
gap:1rem;justify-content:space-between}header nav a{margin-left:1rem}a{color:#0b5cad}
main{max-width:64rem;margin:0 auto;padding:1rem 1.25rem}h1{font-size:1.5rem}h2{font-size:1.15rem}
.wrap{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid #c9d1d9;vertical-align:top}.ok{color:#1b6b34}.bad{color:#a4161a}.off{color:#4a5561}
label{display:block;font-weight:600}
input{font:inherit;padding:.4rem;border:1px solid #6b7682;border-radius:6px}
button{font:inherit;padding:.4rem 1rem;border-radius:6px;border:1px solid #0b5cad;background:#0b5cad;
color:#fff}
:focus-visible{outline:3px solid #0b5cad;outline-offset:2px}.error{color:#a4161a;font-weight:600}
"""

SCRIPT = """
(function () {
  var form = document.getElementById("key-form");
  if (!form) return;
  function cell(tr, text) {
    var td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
  }
  function call(tool, key) {
    return fetch("/tools/" + tool, {method: "POST", headers: {"Authorization": "Bearer " + key,
      "Content-Type": "application/json"}, body: tool === "usage_report" ? '{"period":"today"}' : "{}"})
      .then(function (r) { return r.json().then(function (b) {
        if (!r.ok) throw new Error(b.error ? b.error.message : "HTTP " + r.status); return b; }); });
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var key = form.elements.key.value.trim();
    var error = document.getElementById("key-error");
    error.hidden = true;
    call("usage_report", key).then(function (report) {
      var body = document.getElementById("usage-rows");
      body.textContent = "";
      report.rows.forEach(function (r) {
        var tr = document.createElement("tr");
        [r.organization, r.provider, r.model, r.requests, r.input_tokens + r.output_tokens,
         "$" + Number(r.cost_usd).toFixed(4)].forEach(function (v) { cell(tr, v); });
        body.appendChild(tr);
      });
      if (!report.rows.length) {
        var none = document.createElement("tr"); cell(none, "No usage today."); body.appendChild(none);
      }
      document.getElementById("usage").hidden = false;
      return document.getElementById("providers") ? null : call("provider_health", key).then(function (h) {
        var list = document.getElementById("health-rows");
        list.textContent = "";
        h.providers.forEach(function (p) {
          var tr = document.createElement("tr");
          cell(tr, p.provider); cell(tr, p.configured ? "yes" : "no"); cell(tr, p.status);
          cell(tr, p.models.map(function (m) { return m.model + ": " + m.circuit; }).join(", ") || "—");
          list.appendChild(tr);
        });
        document.getElementById("health").hidden = false;
      });
    }).catch(function (err) { error.textContent = err.message; error.hidden = false; });
  });
})();
"""


def status_routes(tools: ToolRegistry, settings: LLMSettings) -> list[BaseRoute]:
    """``GET /``: the status page."""

    async def page(request: Request) -> Response:
        call = CallContext(transport="http", organization_id=request.scope.get(ORGANIZATION_SCOPE_KEY))
        health = usage = None
        error = None
        try:
            if not (settings.auth_enabled and settings.metrics_auth):
                health = await _run(tools, "provider_health", {}, call)
            if not settings.auth_enabled:
                usage = await _run(tools, "usage_report", {"period": "today"}, call)
        except ServiceError as exc:
            error = exc.message
        body = _render(health, usage, settings.auth_enabled, error)
        return HTMLResponse(body, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    return [Route("/", page, methods=["GET"])]


async def _run(tools: ToolRegistry, name: str, args: dict[str, Any], call: CallContext) -> dict[str, Any]:
    spec = tools.get(name)
    result = await tools.run(spec, tools.parse_arguments(spec, args), call)
    return result.model_dump(mode="json")


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _render(
    health: dict[str, Any] | None, usage: dict[str, Any] | None, keys: bool, error: str | None
) -> str:
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>mcp-llm status</title><style>{STYLE}</style></head><body>",
        '<header><strong>mcp-llm</strong><nav aria-label="Service"><a href="/metrics">Metrics</a>',
        '<a href="/readyz">Readiness</a><a href="/tools">Tools and their arguments</a>',
        '<a href="/v1/models">OpenAI-compatible models</a></nav></header><main>',
        "<h1>Status</h1>",
    ]
    if error:
        parts.append(f'<p class="error" role="alert">{_e(error)}</p>')
    if health is not None:
        parts.append('<section id="providers" aria-labelledby="p-title"><h2 id="p-title">Providers</h2>')
        parts.append(_health_table(health))
        parts.append("</section>")
    else:
        parts.append(
            '<section id="health" hidden aria-labelledby="h-title"><h2 id="h-title">Providers</h2>'
            '<div class="wrap"><table><thead><tr><th scope="col">Provider</th><th scope="col">Configured</th>'
            '<th scope="col">Status</th><th scope="col">Models and circuits</th></tr></thead>'
            '<tbody id="health-rows"></tbody></table></div></section>'
        )
    if usage is not None:
        parts.append('<section aria-labelledby="u-title"><h2 id="u-title">Usage today</h2>')
        parts.append(_usage_table(usage["rows"]))
        parts.append("</section>")
    if keys:
        parts.append(
            '<section aria-labelledby="k-title"><h2 id="k-title">Your usage</h2>'
            "<p>This service requires API keys. Enter yours to see your organization's usage today; "
            "it is sent in a request header only and kept by nobody.</p>"
            '<p id="key-error" class="error" role="alert" hidden></p>'
            '<form id="key-form"><label for="key">API key</label>'
            '<input id="key" name="key" type="password" autocomplete="off" required> '
            '<button type="submit">Show</button></form></section>'
            '<section id="usage" hidden aria-labelledby="uk-title"><h2 id="uk-title">Usage today</h2>'
            f"{_usage_table([])}</section>"
        )
    parts.append(f"</main><script>{SCRIPT}</script></body></html>")
    return "".join(parts)


def _health_table(health: dict[str, Any]) -> str:
    rows = []
    for p in health["providers"]:
        status_class = "ok" if p["status"] == "ok" else "off" if not p["configured"] else "bad"
        models = ", ".join(
            f"{_e(m['model'])}: {_e(m['circuit'])}"
            + (f" (p95 {_e(round(m['p95_ms']))} ms)" if m.get("p95_ms") is not None else "")
            for m in p["models"]
        )
        rows.append(
            f'<tr><th scope="row">{_e(p["provider"])}</th><td>{"yes" if p["configured"] else "no"}</td>'
            f'<td class="{status_class}">{_e(p["status"])}</td><td>{models or "—"}</td></tr>'
        )
    return (
        '<div class="wrap"><table><thead><tr><th scope="col">Provider</th><th scope="col">Configured</th>'
        '<th scope="col">Status</th><th scope="col">Models and circuits</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div>"
    )


NO_USAGE = "<tr><td colspan=6>No usage today.</td></tr>"


def _usage_table(rows: list[dict[str, Any]]) -> str:
    body = "".join(
        f"<tr><td>{_e(r['organization'])}</td><td>{_e(r['provider'])}</td><td>{_e(r['model'])}</td>"
        f"<td>{_e(r['requests'])}</td><td>{_e(r['input_tokens'] + r['output_tokens'])}</td>"
        f"<td>${r['cost_usd']:.4f}</td></tr>"
        for r in rows
    )
    return (
        '<div class="wrap"><table><thead><tr><th scope="col">Organization</th><th scope="col">Provider</th>'
        '<th scope="col">Model</th><th scope="col">Requests</th><th scope="col">Tokens</th>'
        '<th scope="col">Cost</th></tr></thead>'
        f'<tbody id="usage-rows">{body or NO_USAGE}</tbody></table></div>'
    )
