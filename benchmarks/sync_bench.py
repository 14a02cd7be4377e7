"""secretsync sync vs a per-key read-modify-write loop, against the served emulator.

    python benchmarks/sync_bench.py [--secrets 1000] [--latency-ms 50] [--sample N]

The baseline is what running ``esc env set`` once per key does: for every key, GET the
decrypted definition, change one value (and its env var entry), PATCH it back with the
ETag. Its three environments run concurrently (keys within one environment must be
serial: each write needs the previous one's ETag).

A per-key write costs more as the definition grows (the service re-reads the whole
definition on every GET and PATCH), so a sample of the first keys would flatter the
baseline. ``--sample N`` (default 10) therefore measures N consecutive keys at the middle of
each quarter of the run (the environment first seeded with every key before that point,
as the loop would have left it) and integrates: estimated total = sum over quarters of
(measured seconds per key x keys in the quarter). That is exact when the per-key cost
grows linearly with size and is printed as EXTRAPOLATED. ``--sample 0`` measures every key.
secretsync runs ``sync_environments``: one read and one write per environment. Both run in
the same process against the same served emulator, with the same latency, and the ratio
printed is of the two wall times measured here.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from collections import Counter

from secretsync.clients import EscClient
from secretsync.emulator import Emulator, Faults, ServedEmulator
from secretsync.map.load import parse_map
from secretsync.map.model import SecretMap
from secretsync.sync.apply import SyncOptions, sync_environments
from secretsync.sync.definition import EscDefinition
from secretsync.sync.sources import SourceValues

ORG, PROJECT = "bench-org", "default"
ENVIRONMENTS = {"production": "bench-production", "staging": "bench-staging", "dev": "bench-dev"}


def build_map(count: int) -> SecretMap:
    lines = [
        "version: 1",
        "github: {org: bench}",
        f"esc: {{org: {ORG}, project: {PROJECT}}}",
        "environments:",
        *(f"  {env}: {{esc_env: {name}}}" for env, name in ENVIRONMENTS.items()),
        "categories: {app: bench.app}",
        "secrets:",
        *(f"  BENCH_SECRET_{i:04d}: {{category: app}}" for i in range(count)),
    ]
    return parse_map("\n".join(lines) + "\n")


def esc_requests(emu: Emulator) -> Counter[str]:
    """Requests per ESC environment in the emulator's log."""
    counts: Counter[str] = Counter()
    for entry in emu.request_log():
        for name in ENVIRONMENTS.values():
            if f"/environments/{ORG}/{PROJECT}/{name}" in entry["path"]:
                counts[name] += 1
    return counts


def reset(emu: Emulator) -> None:
    emu.reset()
    for name in ENVIRONMENTS.values():
        emu.seed_esc_environment(ORG, PROJECT, name, "values:\n  region: eu-west-1\n")


async def baseline_env(
    esc: EscClient, smap: SecretMap, env: str, keys: list[str], values: dict[str, str]
) -> None:
    name = ENVIRONMENTS[env]
    for key in keys:
        secret = smap.secrets[key]
        current = await esc.get_definition(ORG, PROJECT, name, decrypt=True)
        definition = EscDefinition.parse(current.yaml)
        definition.set_secret(secret.esc_path, values[key])
        definition.set_env_var(secret.env_var, secret.esc_path)
        await esc.update_definition(ORG, PROJECT, name, definition.dump(), etag=current.etag)


async def run_baseline(
    served: ServedEmulator, smap: SecretMap, keys: list[str], values: dict[str, str]
) -> float:
    async with EscClient(token="bench", base_url=served.esc_url) as esc:
        start = time.perf_counter()
        await asyncio.gather(*(baseline_env(esc, smap, env, keys, values) for env in ENVIRONMENTS))
        return time.perf_counter() - start


def seed_with(emu: Emulator, smap: SecretMap, keys: list[str], values: dict[str, str]) -> None:
    """Every environment as the per-key loop leaves it after writing ``keys``."""
    definition = EscDefinition.parse("values:\n  region: eu-west-1\n")
    for key in keys:
        secret = smap.secrets[key]
        definition.set_secret(secret.esc_path, values[key])
        definition.set_env_var(secret.env_var, secret.esc_path)
    for name in ENVIRONMENTS.values():
        emu.seed_esc_environment(ORG, PROJECT, name, definition.dump())


def baseline_estimate(
    emu: Emulator,
    served: ServedEmulator,
    smap: SecretMap,
    values: dict[str, str],
    sample: int,
) -> tuple[float, float, int]:
    """(estimated seconds for every key, seconds measured, keys measured per environment)."""
    keys = list(smap.secrets)
    quarter = len(keys) / 4
    estimate = measured = 0.0
    for q in range(4):
        middle = int(quarter * q + quarter / 2)
        begin = max(0, min(middle - sample // 2, len(keys) - sample))
        emu.reset()
        seed_with(emu, smap, keys[:begin], values)
        seconds = asyncio.run(run_baseline(served, smap, keys[begin : begin + sample], values))
        measured += seconds
        estimate += seconds / sample * quarter
    return estimate, measured, 4 * sample


async def run_secretsync(served: ServedEmulator, smap: SecretMap, values: dict[str, str]) -> float:
    source = SourceValues(values=values, origin="benchmark")
    async with EscClient(token="bench", base_url=served.esc_url) as esc:
        start = time.perf_counter()
        results = await sync_environments(
            esc, smap, list(ENVIRONMENTS), source, None, SyncOptions(allow_placeholders=True)
        )
        elapsed = time.perf_counter() - start
    assert all(r.written and r.error is None for r in results)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--secrets", type=int, default=1000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument(
        "--sample",
        type=int,
        default=10,
        help="baseline keys measured per quarter, then integrated (0: measure every key)",
    )
    args = parser.parse_args()

    smap = build_map(args.secrets)
    values = {name: secrets.token_urlsafe(24) for name in smap.secrets}
    emu = Emulator()
    with emu.serve() as served:
        emu.set_faults(Faults(latency_ms=args.latency_ms))

        reset(emu)
        ours = asyncio.run(run_secretsync(served, smap, values))
        ours_requests = esc_requests(emu)

        if 0 < args.sample * 4 < args.secrets:
            baseline, measured, keys_measured = baseline_estimate(
                emu, served, smap, values, args.sample
            )
            base_requests = {name: 2 * args.secrets for name in ENVIRONMENTS.values()}
            label = (
                f"EXTRAPOLATED from {measured:.2f} s measured on {keys_measured} keys per "
                "environment, at each quarter's middle"
            )
        else:
            reset(emu)
            emu.clear_request_log()
            baseline = asyncio.run(run_baseline(served, smap, list(smap.secrets), values))
            base_requests = dict(esc_requests(emu))
            label = "measured, every key"

    print(
        f"{args.secrets} secrets x {len(ENVIRONMENTS)} environments, "
        f"{args.latency_ms} ms latency per request, served emulator"
    )
    print(f"secretsync sync:   {ours:8.2f} s   requests per environment: {dict(ours_requests)}")
    print(f"per-key baseline:  {baseline:8.2f} s   ({label}; environments concurrent)")
    print(f"                              requests per environment: {base_requests}")
    print(f"speed-up: {baseline / ours:.0f}x (target >= 100x)")


if __name__ == "__main__":
    main()
