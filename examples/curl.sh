#!/usr/bin/env bash
# Plain HTTP calls to mcp-llm (and, when MCP_DEBATE_HTTP is set, mcp-debate) with curl.
#   examples/curl.sh                      # mcp-llm at http://localhost:5001
#   MCP_LLM_HTTP=http://host:5001 examples/curl.sh
#   MCP_DEBATE_HTTP=http://localhost:5002 examples/curl.sh   # also a whole debate on mcp-debate
set -euo pipefail
LLM=${MCP_LLM_HTTP:-http://localhost:5001}
DEBATE=${MCP_DEBATE_HTTP:-}

echo "== health"
curl -s "$LLM/healthz"; echo

echo "== generate (no Content-Type needed)"
curl -s -X POST "$LLM/tools/generate" \
  -d '{"provider": "mock", "model": "mock-1", "messages": [{"role": "user", "content": "Hello"}]}'; echo

echo "== stream_complete (server-sent events)"
curl -sN -X POST "$LLM/tools/stream_complete" \
  -d '{"provider": "mock", "messages": [{"role": "user", "content": "Stream, please"}], "cache": false}'

echo "== estimate_tokens"
curl -s -X POST "$LLM/tools/estimate_tokens" -d '{"model": "gpt-5-mini", "text": "How many tokens is this?"}'; echo

echo "== list_models (mock only)"
curl -s "$LLM/tools/list_models?provider=mock"; echo

echo "== a structured error"
curl -s -X POST "$LLM/tools/complete" -d '{"provider": "mock", "messages": []}'; echo

[ -n "$DEBATE" ] || exit 0

echo "== create_debate"
created=$(curl -s -X POST "$DEBATE/tools/create_debate" -d '{
  "name": "City cars", "topic": "Should cities ban private cars from their centres?",
  "participants": [
    {"name": "Pro", "stance": "for a ban", "llm_config": {"provider": "mock"}},
    {"name": "Con", "stance": "against a ban", "llm_config": {"provider": "mock"}}],
  "max_rounds": 2}')
echo "$created"
ID=$(printf '%s' "$created" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

echo "== get_next_turn (streamed: chunk events, then done)"
curl -sN -X POST "$DEBATE/tools/get_next_turn" -d "{\"debate_id\": \"$ID\", \"stream\": true}"

echo "== run_debate (to the end: one turn event per turn, then done)"
curl -sN -X POST "$DEBATE/tools/run_debate" -d "{\"debate_id\": \"$ID\", \"stream\": true}"

echo "== get_debate"
curl -s "$DEBATE/debates/$ID"; echo

echo "== export (markdown)"
curl -s "$DEBATE/debates/$ID/export?format=markdown"
