"""Benchmark bot.names.NameIndex on a PyPI-sized set of synthetic project names.

    python bench/name_index.py            # 700,000 names (PyPI today)
    python bench/name_index.py --quick    # 20,000 names, a CI smoke run

Prints build time, the RSS the index adds (and the peak during the build, where the
kernel lets us reset the high-water mark), save/load times, and look-up latency.
Targets: build < 5 s, < 150 MB added RSS, look-up < 1 ms.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.pypi import _parse_simple_index
from bot.core.names import NameIndex, normalize


def _words(text: str) -> list[str]:
    return text.split()


WORDS = _words(
    """
    data api client sdk core utils tools async http json yaml config cli web server
    auth cache queue task stream parser model graph image audio video text nlp ml ai
    torch tensor numpy pandas plot chart log logger test mock fixture db sql orm redis
    mongo kafka aws azure gcp cloud s3 docker kube deploy build lint format type schema
    crypto hash token oauth jwt email sms slack discord telegram bot scraper crawler
    spider geo map time date money finance stock trade bio chem physics math stats
    vision speech search index vector embed llm agent prompt chain flow pipe job cron
    file path zip csv xml html pdf excel doc markdown template render ui gui game
    sensor robot serial usb bluetooth network socket proxy vpn dns ssh ftp git
    """
)
PREFIXES = _words(
    """
    py python django flask fastapi pytest sphinx types odoo13-addon azure-mgmt
    jupyter mkdocs airflow-provider dagster apache tencentcloud-sdk google-cloud
    """
)
SUFFIXES = _words("lib kit hub x plus pro lite ng 2 3 io ify er ly")
SEPARATORS = ["-", "-", "-", "_", ".", ""]


def synthetic_names(count: int, seed: int = 541) -> list[str]:
    """*count* distinct (by PEP 503 name) names shaped like PyPI's."""
    rng = random.Random(seed)
    seen: set[str] = set()
    names: list[str] = []
    letters = "abcdefghijklmnopqrstuvwxyz"
    while len(names) < count:
        shape = rng.random()
        sep = rng.choice(SEPARATORS)
        if shape < 0.35:
            parts = [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
        elif shape < 0.6:
            parts = [rng.choice(PREFIXES), *(rng.choice(WORDS) for _ in range(rng.randint(1, 2)))]
        elif shape < 0.75:
            parts = [rng.choice(WORDS) + rng.choice(SUFFIXES), rng.choice(WORDS)]
        else:
            parts = ["".join(rng.choices(letters, k=rng.randint(3, 10)))]
            if rng.random() < 0.5:
                parts.append(rng.choice(WORDS))
        if rng.random() < 0.15:
            parts.append(str(rng.randint(0, 99)))
        name = sep.join(parts)
        if rng.random() < 0.1:
            name = "".join(p.capitalize() for p in parts)
        norm = normalize(name)
        if norm in seen:
            continue
        seen.add(norm)
        names.append(name)
    return names


def rss_kib(field: str = "VmRSS") -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, a fallback


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 names (CI smoke run)")
    parser.add_argument("--count", type=int, help="number of names (default 700,000)")
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()
    count = args.count or (20_000 if args.quick else 700_000)

    t0 = time.perf_counter()
    names = synthetic_names(count)
    print(f"generated {len(names):,} names in {time.perf_counter() - t0:.2f} s")

    gc.collect()
    before = rss_kib()
    peak_ok = reset_peak()
    t0 = time.perf_counter()
    index = NameIndex.build(names)
    build_s = time.perf_counter() - t0
    gc.collect()
    added_mb = (rss_kib() - before) / 1024
    peak_mb = (rss_kib("VmHWM") - before) / 1024 if peak_ok else float("nan")

    print(f"indexed {len(index):,} names")
    print(f"build: {build_s:.2f} s (target < 5 s)")
    print(f"added RSS: {added_mb:.1f} MB (target < 150 MB); peak during build: +{peak_mb:.1f} MB")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "names.idx"
        t0 = time.perf_counter()
        index.save(path)
        save_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        loaded = NameIndex.load(path)
        load_s = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
    assert len(loaded) == len(index)
    print(f"save: {save_s:.2f} s, load: {load_s:.2f} s, file {size_mb:.1f} MB")

    rng = random.Random(7)
    queries = []
    for _ in range(args.lookups):
        name = rng.choice(names)
        roll = rng.random()
        if roll < 0.25:  # a miss
            name = name + "-" + "".join(rng.choices("qxzj", k=4))
        elif roll < 0.5:  # a look-alike spelling
            name = name.upper().replace("-", "_").replace("O", "0")
        queries.append(name)

    for label, fn in (
        ("exists", index.exists),
        ("canonical", index.canonical),
        ("similar", index.similar),
    ):
        timings = []
        for q in queries:
            t0 = time.perf_counter_ns()
            fn(q)
            timings.append((time.perf_counter_ns() - t0) / 1000)
        print(
            f"{label:>9}: mean {statistics.fmean(timings):.1f} us, "
            f"p99 {percentile(timings, 99):.1f} us, max {max(timings):.1f} us (target < 1000 us)"
        )

    body = json.dumps(
        {
            "meta": {"api-version": "1.1", "_last-serial": 1},
            "projects": [{"name": n, "_last-serial": i} for i, n in enumerate(names)],
        }
    ).encode()
    t0 = time.perf_counter()
    parsed = _parse_simple_index(body)
    print(f"Simple API body {len(body) / 1e6:.1f} MB parsed in {time.perf_counter() - t0:.2f} s")
    assert parsed == names
    return 0


if __name__ == "__main__":
    sys.exit(main())
