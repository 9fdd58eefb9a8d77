"""The committed SmolLM2 evaluation (README), replayed: no model, no network, the same report.

``examples/evaluation/smollm2-recording`` holds every answer llama-server gave during the run; the
provider is configured with an address nothing listens on, so any request the recording lacks fails
rather than reaching a model. The replay must reproduce the committed report exactly (the seconds
items took aside).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.evaluation.helpers import evaluate, report, without_times, write_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

EXAMPLES = Path(__file__).parents[2] / "examples" / "evaluation"


def test_the_recorded_smollm2_run_replays_to_the_committed_report(tmp_path: Path) -> None:
    committed = json.loads((EXAMPLES / "smollm2-report.json").read_text())
    config = yaml.safe_load((EXAMPLES / "smollm2.yaml").read_text())
    config["dataset"]["items"] = committed["items"]  # the run recorded its first items (seeded: a prefix)
    done = evaluate(
        write_config(tmp_path, config),
        "--out",
        str(tmp_path / "out"),
        "--replay",
        str(EXAMPLES / "smollm2-recording"),
        env={"OPENAI_COMPATIBLE_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_COMPATIBLE_MODELS": "smollm2"},
    )
    assert done.returncode == 0, done.stderr
    assert without_times(report(tmp_path / "out")) == without_times(committed)
