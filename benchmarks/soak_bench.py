"""The long soak, and the served emulator's guarantees under hostile requests (issue 19).

    python benchmarks/soak_bench.py [--trials 100] [--starve-trials 6] [--secrets 200]

Four parts, all against one served emulator over real HTTP on this machine:

1. soak: ``--trials`` sync and ``--trials`` push runs under 30 % dropped answers and
   30 % 503s beside another writer (the trial and its invariants are the test suite's,
   ``tests/soak_support.py``); prints exit codes and every invariant broken (none expected).
2. starvation: sync of ``--secrets`` secrets beside a writer that edits the same
   environment every 50 ms, ``--starve-trials`` times with today's policy (8 attempts,
   the first re-read at once, then short jittered pauses) and, in the same run, with the
   old policy (5 attempts, no pause) as the baseline. Both run today's client, so the
   baseline shows what the policy adds; what decided the outcome was the client's
   read-to-write window (see the README).
3. isolation: a GET of a one-key environment alone, and while a decrypted read of a
   1,000-secret environment and while an alias-bomb PATCH are in flight; the bomb's own
   answer and time.
4. framing: a half-sent PATCH and a bad ``Content-Length`` (what each is answered, whether
   the environment changed).

Times are wall-clock on this machine and vary with its load; the counts do not.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from soak_support import Soak

from secretsync.clients import EscClient, RetryPolicy
from secretsync.emulator import Emulator, ServedEmulator
from secretsync.map.load import parse_map
from secretsync.sync.apply import SyncOptions, sync_environments
from secretsync.sync.sources import SourceValues

ORG, PROJECT = "bench-org", "default"
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}]\n"
    for i in range(8)
)


def soak(served: ServedEmulator, trials: int) -> None:
    bench = Soak(served, Path(tempfile.mkdtemp()))
    for command in ("sync", "push"):
        started = time.monotonic()
        results = [bench.trial(command, seed) for seed in range(1000, 1000 + trials)]
        codes = Counter(t.code for t in results)
        broken = [(t.seed, v) for t in results for v in t.violations]
        print(
            f"soak {command}: {trials} trials in {time.monotonic() - started:.0f} s; "
            f"exit 0: {codes[0]}, exit 1: {codes[1]}, other: {trials - codes[0] - codes[1]}; "
            f"faults injected {sum(t.faults_seen for t in results)}, other writer's "
            f"confirmed edits {sum(t.writer_edits for t in results)}; "
            f"invariants broken: {len(broken)}"
        )
        for seed, violation in broken:
            print(f"  seed {seed}: {violation}")


_WRITER = """
import sys, time, httpx
url, path = sys.argv[1], sys.argv[2]
with httpx.Client(base_url=url, headers={"Authorization": "token other"}, timeout=60) as client:
    edits = 0
    while True:
        started = time.monotonic()
        try:
            current = client.get(path + "/decrypt")
            text = current.text.replace("values:\\n", f"values:\\n  other_{edits}: 1\\n", 1)
            client.patch(path, content=text.encode(), headers={"ETag": current.headers["etag"]})
        except httpx.HTTPError:
            pass  # a slow machine: keep writing
        edits += 1
        time.sleep(max(0.0, 0.05 - (time.monotonic() - started)))
"""


@contextmanager
def _emulator_process() -> Iterator[str]:
    """``secretsync emulator --port 0`` in its own process: its threads do not share this
    process's interpreter lock with the sync being measured, as a real service would not."""
    process = subprocess.Popen(
        [sys.executable, "-m", "secretsync", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        yield line.split("listening on ", 1)[1].split()[0].rstrip("/")
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _starve_once(url: str, count: int, options: SyncOptions, seed: int) -> bool:
    name = f"starve-{seed}-{options.max_attempts}"
    lines = [
        "version: 1",
        "github: {org: bench}",
        f"esc: {{org: {ORG}, project: {PROJECT}}}",
        "environments:",
        f"  production: {{esc_env: {name}}}",
        "categories: {app: bench.app}",
        "secrets:",
        *(f"  BENCH_SECRET_{i:04d}: {{category: app}}" for i in range(count)),
    ]
    smap = parse_map("\n".join(lines) + "\n")
    rng = random.Random(seed)
    old = {f"BENCH_SECRET_{i:04d}": f"old-{rng.getrandbits(64):016x}" for i in range(count)}
    new = {f"BENCH_SECRET_{i:04d}": f"new-{rng.getrandbits(64):016x}" for i in range(count)}
    esc_url = url + "/api/esc"
    created = httpx.post(
        f"{esc_url}/environments/{ORG}",
        json={"project": PROJECT, "name": name},
        headers={"Authorization": "token bench"},
    )
    assert created.status_code in (200, 204), created.text
    policy = RetryPolicy(backoff_initial=0.05)

    async def run(values: dict[str, str]) -> bool:
        async with EscClient(token="bench", base_url=esc_url, policy=policy) as esc:
            source = SourceValues(values=values, origin="bench", from_actions=True)
            results = await sync_environments(esc, smap, ["production"], source, None, options)
        return results[0].error is None

    assert asyncio.run(run(old))
    path = f"/environments/{ORG}/{PROJECT}/{name}"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, esc_url, path])
    time.sleep(0.5)
    try:
        return asyncio.run(run(new))
    finally:
        writer.terminate()
        writer.wait(10)


def starvation(trials: int, count: int) -> None:
    policies = {
        "now (8 attempts, re-read at once, then short jittered pauses)": SyncOptions(),
        # The attempt policy before issue 19, on today's client: what the policy adds.
        "baseline (5 attempts, no pause)": SyncOptions(max_attempts=5, conflict_pause_first=0),
    }
    wins: Counter[str] = Counter()
    spent: Counter[str] = Counter()
    with _emulator_process() as url:
        for seed in range(trials):  # interleaved, so both policies meet the same machine
            for label, options in policies.items():
                started = time.monotonic()
                wins[label] += _starve_once(url, count, options, seed)
                spent[label] += time.monotonic() - started
    for label in policies:
        print(
            f"starvation, {count} secrets beside a writer every 50 ms (emulator and writer in "
            f"their own processes), {label}: {wins[label]}/{trials} synced "
            f"({spent[label]:.0f} s)"
        )


def _get_ms(client: httpx.Client, path: str) -> float:
    started = time.monotonic()
    assert client.get(path).status_code == 200
    return (time.monotonic() - started) * 1000


def isolation(served: ServedEmulator) -> None:
    emu = served.emulator
    big = "values:\n" + "".join(
        f"  k{i}:\n    fn::secret: value-{i}-{i * 7919:x}\n" for i in range(1000)
    )
    emu.seed_esc_environment(ORG, PROJECT, "big", big)
    emu.seed_esc_environment(ORG, PROJECT, "small", "values:\n  a: 1\n")
    emu.seed_esc_environment(ORG, PROJECT, "bombed", "values:\n  a: 1\n")
    headers = {"Authorization": "token bench"}
    small = f"/environments/{ORG}/{PROJECT}/small"
    with httpx.Client(base_url=served.esc_url, headers=headers, timeout=60) as client:
        alone = statistics.median(_get_ms(client, small) for _ in range(20))
        for label, call in (
            (
                "a 1,000-secret decrypted read",
                lambda c: c.get(f"/environments/{ORG}/{PROJECT}/big/decrypt"),
            ),
            (
                "an alias-bomb PATCH",
                lambda c: c.patch(
                    f"/environments/{ORG}/{PROJECT}/bombed", content=ALIAS_BOMB.encode()
                ),
            ),
        ):
            answer: list[tuple[int, float]] = []

            def slow(call: object = call, answer: list[tuple[int, float]] = answer) -> None:
                with httpx.Client(base_url=served.esc_url, headers=headers, timeout=60) as c:
                    started = time.monotonic()
                    status = call(c).status_code  # type: ignore[operator]
                    answer.append((status, (time.monotonic() - started) * 1000))

            during: list[float] = []
            thread = threading.Thread(target=slow)
            thread.start()
            while thread.is_alive() and len(during) < 50:
                during.append(_get_ms(client, small))
            thread.join()
            status, took = answer[0]
            worst = max(during) if during else float("nan")
            print(
                f"isolation: one-key GET alone {alone:.1f} ms (median); during {label} "
                f"(answered {status} in {took:.0f} ms): {len(during)} GETs, worst {worst:.0f} ms"
            )


def framing(served: ServedEmulator) -> None:
    emu = served.emulator
    emu.seed_esc_environment(ORG, PROJECT, "framed", "values:\n  a: 1\n")
    host, port = served.url.removeprefix("http://").rsplit(":", 1)
    head = (
        f"PATCH /api/esc/environments/{ORG}/{PROJECT}/framed HTTP/1.1\r\nHost: e\r\n"
        "Authorization: token t\r\n"
    )
    body = b"values:\n  a: 10\n  b: 20\n"
    cases = {
        "half-sent PATCH": (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:14],
        "Content-Length: abc": (head + "Content-Length: abc\r\n\r\n").encode() + body,
        "Content-Length: 10^20": (head + f"Content-Length: {10**20}\r\n\r\n").encode() + body,
    }
    for label, data in cases.items():
        before = _revision(emu)
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            reply = sock.recv(200)
        status = reply.split(b"\r\n", 1)[0].decode() or "(no answer: the client left)"
        changed = "changed" if _revision(emu) != before else "unchanged"
        print(f"framing: {label}: {status}; environment {changed}")


def _revision(emu: Emulator) -> int:
    envs = emu.state()["esc"]["environments"]
    return int(next(e["revision"] for e in envs if e["name"] == "framed"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--starve-trials", type=int, default=6)
    parser.add_argument("--secrets", type=int, default=200)
    args = parser.parse_args()
    starvation(args.starve_trials, args.secrets)
    with Emulator().serve() as served:
        framing(served)
        isolation(served)
        soak(served, args.trials)


if __name__ == "__main__":
    main()
