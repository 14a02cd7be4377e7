"""Score the placeholder classifier on the labelled sets in ``eval/``.

    python benchmarks/placeholder_eval.py                  # dev set
    python benchmarks/placeholder_eval.py --holdout        # the held-out set
    python benchmarks/placeholder_eval.py --wild           # values copied from public files
    python benchmarks/placeholder_eval.py --wild2          # a second, larger real-world set
    python benchmarks/placeholder_eval.py --wild3          # a third, scored before any tuning
    python benchmarks/placeholder_eval.py --wild4          # a fourth, from sources none used
    python benchmarks/placeholder_eval.py --wild5          # a fifth: CMS, GitOps, secret managers
    python benchmarks/placeholder_eval.py --wild6          # a sixth: pointers to secret stores
    python benchmarks/placeholder_eval.py --wild7          # a seventh: a natural sample
    python benchmarks/placeholder_eval.py --wild8          # an eighth: a second natural sample
    python benchmarks/placeholder_eval.py --speed          # also values per second

Prints per-label precision and recall, the three targets with PASS/FAIL, and every
misclassified row grouped by the kind the classifier gave. Rows labelled ``secret`` are
printed by index only: their values look real by construction. Exit 1 when a target fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secretsync.placeholders import Verdict, classify

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
LABELS = ("empty", "placeholder", "reference", "secret")
# flag -> (file, what it holds); without a flag the dev set is scored
SETS = {
    "holdout": ("holdout.jsonl", "the held-out set"),
    "wild": ("wild.jsonl", "values copied from public files"),
    "wild2": ("wild2.jsonl", "a second, larger real-world set"),
    "wild3": ("wild3.jsonl", "a third, scored before any tuning"),
    "wild4": ("wild4.jsonl", "a fourth, from sources none used"),
    "wild5": ("wild5.jsonl", "a fifth, from sources none used (CMS, GitOps, secret managers)"),
    "wild6": ("wild6.jsonl", "a sixth: how configs point at secret stores, CLIs and files"),
    "wild7": ("wild7.jsonl", "a seventh: every secret-bearing value of ordinary example files"),
    "wild8": ("wild8.jsonl", "an eighth: a second natural sample, from files none used"),
}


@dataclass(frozen=True)
class Result:
    index: int
    row: dict[str, str | None]
    predicted: str
    kind: str


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    passed: bool
    rule: str


def load(path: Path) -> list[dict[str, str | None]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def run(rows: Sequence[dict[str, str | None]]) -> list[Result]:
    results = []
    for index, row in enumerate(rows):
        got = classify(str(row["value"]), row.get("key"))
        results.append(Result(index, row, got.verdict.value, got.kind))
    return results


def _rate(hits: int, total: int) -> float:
    return hits / total if total else 1.0


def targets(results: Sequence[Result]) -> list[Target]:
    def share(label: str, predicted: str) -> float:
        rows = [r for r in results if r.row["label"] == label]
        if not rows:  # nothing to measure: count as met, the report says n=0
            return 0.0 if label == "secret" else 1.0
        return sum(r.predicted == predicted for r in rows) / len(rows)

    caught = share("placeholder", Verdict.PLACEHOLDER.value)
    false_alarms = share("secret", Verdict.PLACEHOLDER.value)
    references = share("reference", Verdict.REFERENCE.value)
    return [
        Target("placeholders caught", caught, caught >= 0.98, ">= 98%"),
        Target(
            "real-looking keys called placeholders", false_alarms, false_alarms <= 0.02, "<= 2%"
        ),
        Target("references recognised", references, references >= 0.95, ">= 95%"),
    ]


def report(results: Sequence[Result], title: str) -> str:
    lines = [f"== {title}: {len(results)} values =="]
    lines.append(f"{'label':<12} {'n':>5} {'precision':>10} {'recall':>8}")
    for label in LABELS:
        actual = [r for r in results if r.row["label"] == label]
        predicted = [r for r in results if r.predicted == label]
        hits = sum(r.predicted == label for r in actual)
        precision, recall = _rate(hits, len(predicted)), _rate(hits, len(actual))
        lines.append(f"{label:<12} {len(actual):>5} {precision:>10.1%} {recall:>8.1%}")
    for target in targets(results):
        verdict = "PASS" if target.passed else "FAIL"
        lines.append(f"{verdict}  {target.name}: {target.value:.1%} (target {target.rule})")
    wrong: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        if result.predicted != result.row["label"]:
            wrong[f"{result.row['label']} -> {result.predicted} ({result.kind})"].append(result)
    for group, items in sorted(wrong.items()):
        lines.append(f"-- {group}: {len(items)}")
        for item in items:
            if item.row["label"] == "secret":
                lines.append(f"   #{item.index} [{item.row['source']}]")
            else:
                lines.append(f"   #{item.index} {item.row['value']!r} key={item.row['key']}")
    return "\n".join(lines)


def speed(rows: Sequence[dict[str, str | None]], seconds: float = 1.0) -> float:
    """Values classified per second, cycling through the set."""
    values = [(str(r["value"]), r.get("key")) for r in rows]
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for value, key in values:
            classify(value, key)
        done += len(values)
    return done / (time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, (name, help_text) in SETS.items():
        parser.add_argument(
            f"--{flag}", action="store_true", help=f"score eval/{name}: {help_text}"
        )
    parser.add_argument("--speed", action="store_true", help="also measure values/second")
    args = parser.parse_args(argv)
    chosen = [flag for flag in SETS if getattr(args, flag)]
    if len(chosen) > 1:
        parser.error("choose at most one set")
    name = SETS[chosen[0]][0] if chosen else "placeholders.jsonl"
    rows = load(EVAL_DIR / name)
    results = run(rows)
    print(report(results, name))
    if args.speed:
        print(f"speed: {speed(rows):,.0f} values/second")
    return 0 if all(t.passed for t in targets(results)) else 1


if __name__ == "__main__":
    sys.exit(main())
