"""An mcp-llm process running two experiments on the mock provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServiceProcess, llm_process

EXPERIMENTS_YAML = """
metrics:
  - {name: correct, type: boolean}
  - {name: rating, type: number, min: 1, max: 5}
  - {name: note, type: comment}
experiments:
  - name: split
    description: weights 3:1 between two mock models
    metric: correct
    variants:
      - {name: a, provider: mock, model: mock-1, weight: 3}
      - {name: b, provider: mock, model: mock-2, weight: 1, temperature: 0.1}
  - name: math
    metric: correct
    min_samples: 30
    variants:
      - {name: strong, provider: mock, model: mock-math-90}
      - {name: weak, provider: mock, model: mock-math-40}
  - name: equal
    metric: correct
    min_samples: 30
    variants:
      - {name: left, provider: mock, model: mock-math-70}
      - {name: right, provider: mock, model: mock-math-70}
"""


@pytest.fixture(scope="session")
def experiments_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("experiments") / "experiments.yaml"
    path.write_text(EXPERIMENTS_YAML)
    return path


@pytest.fixture(scope="session")
def llm_experiments(experiments_file: Path) -> Iterator[ServiceProcess]:
    proc = llm_process(EXPERIMENTS_FILE=str(experiments_file)).start()
    yield proc
    proc.stop()
