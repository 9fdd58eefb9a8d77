#!/usr/bin/env bash
# Plain HTTP calls to mcp-llm with curl.
#   examples/curl.sh                      # against http://localhost:5001
#   MCP_LLM_HTTP=http://host:5001 examples/curl.sh
set -euo pipefail
LLM=${MCP_LLM_HTTP:-http://localhost:5001}

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
