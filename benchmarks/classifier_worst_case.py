"""The placeholder classifier on hostile values, against ordinary values of the same size.

A value of 50,000 `<` or 20,000 `${` is what a backtracking pattern chokes on. Each hostile
value is classified and timed next to an ordinary value of the same length (random letters
and digits, built in this run), both the median of N runs; the ratio hostile / ordinary is
what to watch: near 1 means linear, a regression to backtracking shows as 100x and more.
This used to be a unit test with a wall-clock bound; time belongs here, not in the suite.

    python benchmarks/classifier_worst_case.py [-n 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time

from secretsync.placeholders import classify

HOSTILE: list[tuple[str, str]] = [
    ("{{" * 20_000, "API_KEY"),
    ("<" * 50_000, "API_KEY"),
    ("x" * 100_000 + "y", "API_KEY"),
    ("${" * 20_000, "API_KEY"),
    ("a-" * 30_000, "API_KEY"),
    ("abcd" * 25_000, "DB_PASSWORD"),
    ("a1b2" * 25_000, "DB_PASSWORD"),
    ("Zm9v" * 25_000, "DB_PASSWORD"),
    ("ab " * 30_000, "DB_PASSWORD"),
]


def _median_seconds(value: str, key: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        classify(value, key)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="runs per value (median reported)")
    args = parser.parse_args()
    rng = random.Random(17)
    alphabet = string.ascii_letters + string.digits
    print(f"{'hostile value':<26} {'key':<12} {'hostile':>10} {'ordinary':>10} {'ratio':>7}")
    worst = 0.0
    for value, key in HOSTILE:
        ordinary = "".join(rng.choice(alphabet) for _ in range(len(value)))
        hostile_s = _median_seconds(value, key, args.n)
        ordinary_s = _median_seconds(ordinary, key, args.n)
        ratio = hostile_s / ordinary_s if ordinary_s else float("inf")
        worst = max(worst, ratio)
        label = f"{value[:6]!r} x{len(value)}"
        print(f"{label:<26} {key:<12} {hostile_s:>9.4f}s {ordinary_s:>9.4f}s {ratio:>6.1f}x")
    print(f"worst ratio: {worst:.1f}x (linear is about 1x; backtracking shows as 100x and more)")


if __name__ == "__main__":
    main()
