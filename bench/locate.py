"""Point → cell cost with 40,000 cells: one point at a time (µs) and a batch of 1,000,000 (points/s).

Run: make bench   (or: uv run python bench/locate.py [--cells 40000] [--points 1000000])
Targets (issue 2): under 20 µs for a single point, at least 1,000,000 points/s in a batch."""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shapely.geometry import Polygon  # noqa: E402

from geo.generate import generate_grid  # noqa: E402
from geo.index import CellIndex  # noqa: E402
from geo.metric import area_m2  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cells", type=int, default=40_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--shape", default="square", choices=["square", "hex"])
    args = parser.parse_args()

    # a squarish district near Shanghai holding the requested number of 10,000 m² cells
    side_deg_lat = np.sqrt(args.cells * 10_000) / 111_000
    side_deg_lng = side_deg_lat / np.cos(np.radians(31.2))
    x0, y0 = 121.3, 31.1
    boundary = Polygon([(x0, y0), (x0 + side_deg_lng, y0), (x0 + side_deg_lng, y0 + side_deg_lat),
                        (x0, y0 + side_deg_lat)])
    t = time.perf_counter()
    cells = generate_grid(boundary, shape=args.shape, cell_area_m2=10_000)
    generate_s = time.perf_counter() - t
    codes = [f"310101{i // 100_000:03d}{(i // 1000) % 100:03d}{i % 1000:03d}" for i in range(len(cells))]
    print(f"cells: {len(cells):,} {args.shape} cells over {area_m2(boundary) / 1e6:,.0f} km² "
          f"(generated in {generate_s:.2f} s)")

    rss0 = rss_mb()
    t = time.perf_counter()
    index = CellIndex(codes, cells)
    build_s = time.perf_counter() - t
    rng = np.random.default_rng(42)
    minx, miny, maxx, maxy = index.bounds
    pad_x, pad_y = (maxx - minx) * 0.02, (maxy - miny) * 0.02  # a few points fall outside
    xs = rng.uniform(minx - pad_x, maxx + pad_x, args.points)
    ys = rng.uniform(miny - pad_y, maxy + pad_y, args.points)
    print(f"index build: {build_s * 1000:.0f} ms")

    single = xs[:20_000], ys[:20_000]
    for x, y in zip(single[0][:1000], single[1][:1000], strict=True):  # warm up
        index.locate(x, y)
    samples = []
    for batch in range(20):
        sl = slice(batch * 1000, (batch + 1) * 1000)
        t = time.perf_counter()
        for x, y in zip(single[0][sl], single[1][sl], strict=True):
            index.locate(x, y)
        samples.append((time.perf_counter() - t) / 1000 * 1e6)
    print(f"single point: median {statistics.median(samples):.1f} µs, worst batch {max(samples):.1f} µs "
          "(target < 20 µs)")

    t = time.perf_counter()
    index.locate_many(xs[:1000], ys[:1000])  # the first batch builds the bucket lattice
    lattice_s = time.perf_counter() - t
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        found = index.locate_many(xs, ys)
        runs.append(time.perf_counter() - t)
    best = min(runs)
    print(f"batch lattice build (first call): {lattice_s * 1000:.0f} ms")
    print(f"batch of {args.points:,}: {args.points / best:,.0f} points/s (best of 3, {best * 1000:.0f} ms; "
          f"{(found < 0).sum():,} outside) (target ≥ 1,000,000 points/s)")

    check = rng.integers(0, args.points, 2000)
    agree = all((index.locate(xs[i], ys[i]) or None) == (index.codes[found[i]] if found[i] >= 0 else None)
                for i in check)
    print(f"batch agrees with single-point answers on 2,000 samples: {agree}")
    print(f"peak RSS: {rss_mb():,.0f} MB (index + lattice + points: +{rss_mb() - rss0:,.0f} MB)")


if __name__ == "__main__":
    main()
