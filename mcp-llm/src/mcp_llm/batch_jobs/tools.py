"""The batch job tools, served like every other tool (MCP, ``POST /tools/{tool}``)."""

from __future__ import annotations

from typing import Any

from mcp_llm.batch_jobs.args import CANCEL_DOC, GET_DOC, SUBMIT_DOC, BatchJobView, JobArgs, SubmitBatchArgs
from mcp_llm.batch_jobs.jobs import BatchJobs
from mcp_shared.server.tools import ToolSpec


def build_batch_job_tools(jobs: BatchJobs) -> list[ToolSpec[Any]]:
    return [
        ToolSpec("submit_batch", SUBMIT_DOC, SubmitBatchArgs, jobs.submit, BatchJobView),
        ToolSpec("get_batch", GET_DOC, JobArgs, jobs.get, BatchJobView, read_only=True),
        ToolSpec("cancel_batch", CANCEL_DOC, JobArgs, jobs.cancel, BatchJobView),
    ]
