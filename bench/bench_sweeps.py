"""Benchmark (not a test): a batched lr sweep against training the same lrs one by one.

For K = 1, 4, 16, 64 lrs (spaced on a log scale from 1e-3 to 1, so no run diverges and stops
early), the course's MLP trains 10 epochs on the digits with plain SGD three ways:
``training.sweep`` (one ``torch.optim.SGD`` run after another, what lessons did before),
``sweeps.lr_sweep`` with batched matmuls, and ``sweeps.lr_sweep`` through ``torch.vmap``.
The three are interleaved in every repeat; medians are reported. Run from the repository root:
``python bench/bench_sweeps.py [--device cuda] [--repeats 3]`` (one CPU thread by default).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lrcourse import data, sweeps, training  # noqa: E402

KS = (1, 4, 16, 64)
EPOCHS = 10


def _model() -> nn.Module:
    return training.mlp(64, 10, hidden=(64,))


def _timed(fn: Callable[[], object], device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def compare(
    ks: Sequence[int] = KS,
    *,
    repeats: int = 3,
    device: str = "cpu",
    threads: int = 1,
    epochs: int = EPOCHS,
) -> list[dict[str, float]]:
    """Median seconds of sequential, batched-matmul and vmap sweeps for each K."""
    torch.set_num_threads(threads)
    dev = torch.device(device)
    digits = data.digits(dev)
    # Pay one-time costs (the first optimizer imports torch._dynamo) outside the timings.
    sweeps.lr_sweep(_model, [0.1], digits, epochs=1, device=dev, progress=False)
    training.sweep(
        _model, training.lr_strategies([0.1]), digits, epochs=1, device=dev, progress=False
    )
    rows = []
    for k in ks:
        lrs = np.geomspace(1e-3, 1.0, k).tolist() if k > 1 else [0.1]
        times: dict[str, list[float]] = {"sequential": [], "matmul": [], "vmap": []}

        def sequential(lrs: list[float] = lrs) -> object:
            strategies = training.lr_strategies(lrs)
            return training.sweep(
                _model, strategies, digits, epochs=epochs, device=dev, progress=False
            )

        def batched(method: sweeps.Method, lrs: list[float] = lrs) -> object:
            return sweeps.lr_sweep(
                _model, lrs, digits, epochs=epochs, device=dev, method=method, progress=False
            )

        for _ in range(repeats):
            times["sequential"].append(_timed(sequential, dev))
            times["matmul"].append(_timed(lambda: batched("matmul"), dev))
            times["vmap"].append(_timed(lambda: batched("vmap"), dev))
        med = {name: statistics.median(values) for name, values in times.items()}
        rows.append({"k": float(k), **med})
        print(f"K={k}: " + ", ".join(f"{n} {v:.3f} s" for n, v in med.items()), file=sys.stderr)
    return rows


def render(rows: list[dict[str, float]], *, device: str, threads: int, repeats: int) -> str:
    """A Markdown table of the comparison."""
    one = next((r for r in rows if r["k"] == 1), None)
    lines = [
        f"Course MLP (64-64-10) on the digits, {EPOCHS} epochs of SGD, batch 64; device "
        f"{device}, {threads} torch thread(s); median of {repeats} interleaved repeats.",
        "",
        "| K lrs | sequential s | batched matmul s | vmap s | matmul speed-up | "
        "vmap speed-up | matmul time / K=1 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rel = f"{r['matmul'] / one['matmul']:.2f}×" if one else "-"
        lines.append(
            f"| {r['k']:.0f} | {r['sequential']:.3f} | {r['matmul']:.3f} | {r['vmap']:.3f} | "
            f"{r['sequential'] / r['matmul']:.1f}× | {r['sequential'] / r['vmap']:.1f}× | {rel} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = compare(repeats=args.repeats, device=args.device, threads=args.threads)
    print(render(rows, device=args.device, threads=args.threads, repeats=args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
