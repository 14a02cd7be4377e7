"""The whole-pipeline evaluation holds its figures: scan on real files and on a rendered
deploy config, audit on values stored in ESC (benchmarks/pipeline_eval.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pipeline_eval", ROOT / "benchmarks" / "pipeline_eval.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pipeline_eval"] = module
    spec.loader.exec_module(module)
    return module


pipeline = _load()

# Floors a little under the figures measured when each set was added (README), so a
# regression fails here while the rounding of one value does not. wild11 was held out:
# scored once, after the rules were tuned on wild9 and wild10.
REAL_FLOORS = {
    "wild9": (1.00, 0.0, 1.00),
    "wild10": (0.93, 0.0, 0.95),
    "wild11": (0.95, 0.0, 1.00),
}


@pytest.mark.parametrize("name", sorted(REAL_FLOORS))
def test_scan_on_real_files_holds_its_figures(name: str) -> None:
    caught, false_alarms, references = REAL_FLOORS[name]
    score = pipeline.score_real(name)
    assert score.total["placeholder"] >= 13 and score.total["reference"] >= 9
    assert score.caught >= caught, score.line()
    assert score.false_alarms <= false_alarms, score.line()
    assert score.references >= references, score.line()


def test_scan_on_a_rendered_deploy_config_holds_its_figures() -> None:
    rows = pipeline.load_rows("holdout")
    env, compose = pipeline.score_rendered("holdout", rows)
    for score in (env, compose):
        assert score.total["placeholder"] == 104
        assert score.caught >= 0.93, score.line()
        assert score.false_alarms == 0.0, score.line()
        assert score.references >= 0.95, score.line()
        assert score.rate("empty") == 1.0, score.line()


def test_audit_on_values_stored_in_esc_holds_its_figures() -> None:
    rows = pipeline.load_rows("wild8")
    score = pipeline.score_audit("wild8", rows)
    assert score.total["placeholder"] == 142 and score.total["secret"] == 84
    assert score.caught >= 0.97, score.line()
    assert score.false_alarms == 0.0, score.line()
    assert score.rate("empty") == 1.0, score.line()


def test_scores_count_what_they_say() -> None:
    score = pipeline.Score("unit")
    score.add("placeholder", {"placeholder"})
    score.add("placeholder", {"hardcoded-secret"})
    score.add("secret", {"empty-value"})
    score.add("reference", set())
    score.add("reference", {"hardcoded-secret"})
    score.add("unsure", {"placeholder"})
    assert (score.caught, score.false_alarms, score.references) == (0.5, 1.0, 0.5)
    assert sum(score.total.values()) == 5
