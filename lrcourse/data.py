"""Datasets for live cells, all available offline.

``digits`` is real data: scikit-learn's bundled 8x8 handwritten digits (1,797 images, 64
pixels each), shipped inside the scikit-learn package, so nothing is downloaded. The file is
read directly (``digits_file``), without importing scikit-learn: its import costs about a
second, which a learner would wait for in every lesson's first cell. The synthetic
``regression`` problem is a linear least-squares task whose curvature is known exactly, so a
lesson can show that gradient descent diverges once the lr passes ``2 / L``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from lrcourse import warmup

# Every lesson that trains imports this module in its first cell: in a Jupyter kernel, import
# torch._dynamo (the first optimizer's 1.3 s) between cells, while the learner reads.
warmup.start_in_kernel()

DIGITS_FILE = Path("datasets", "data", "digits.csv.gz")
"""Where the digits live inside the installed ``sklearn`` package."""


def digits_file() -> Path:
    """The digits data file that scikit-learn ships, found without importing scikit-learn.

    ``importlib.util.find_spec`` locates a top-level package without running its
    ``__init__``, so this costs milliseconds. Raises ``FileNotFoundError`` when scikit-learn
    (the declared source of the data) is not installed or lacks the file.
    """
    spec = importlib.util.find_spec("sklearn")
    roots = list(spec.submodule_search_locations or []) if spec is not None else []
    for root in roots:
        path = Path(root) / DIGITS_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"scikit-learn's {DIGITS_FILE.as_posix()} was not found; install scikit-learn"
    )


@lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    table = np.loadtxt(digits_file(), delimiter=",")
    return table[:, :-1], table[:, -1].astype(int)


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The digits as ``(data, target)``: the same arrays as ``sklearn.datasets.load_digits()``.

    ``data`` is float64 of shape ``(1797, 64)`` (pixel intensities 0-16) and ``target`` the
    integer labels, parsed from the file exactly as scikit-learn parses it. Each call returns
    fresh copies, so callers may modify them.
    """
    data, target = _digits_arrays()
    return data.copy(), target.copy()


@dataclass(frozen=True)
class Split:
    """Train and test tensors of one task.

    Attributes:
        x_train, y_train, x_test, y_test: features (float32) and targets (int64 class ids for
            classification, float32 for regression).
        n_classes: number of classes, or 0 for regression.
        name: a short label shown in plots and messages.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    name: str = ""

    @property
    def n_features(self) -> int:
        """Number of input features."""
        return int(self.x_train.shape[1])

    def to(self, device: torch.device | str) -> Split:
        """The same split with every tensor moved to ``device``."""
        return Split(
            self.x_train.to(device),
            self.y_train.to(device),
            self.x_test.to(device),
            self.y_test.to(device),
            self.n_classes,
            self.name,
        )


def digits(
    device: torch.device | str | None = None,
    *,
    test_fraction: float = 0.25,
    seed: int = 0,
    classes: Sequence[int] | None = None,
) -> Split:
    """scikit-learn's bundled handwritten digits as standardized tensors.

    Args:
        device: where the tensors live (default CPU).
        test_fraction: share of the images held out for testing (stratified by class).
        seed: seed of the shuffle that chooses the split.
        classes: keep only these digits; labels are renumbered 0..len(classes)-1 in the order
            given (``classes=[5, 6, 7, 8, 9]`` maps 5 to 0 and 9 to 4).

    Each pixel is standardized with the *training* images' mean and standard deviation (pixels
    that are constant in training, such as some corners, are only centred).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    data, target = load_digits_arrays()
    x = np.asarray(data, dtype=np.float64)
    y = np.asarray(target, dtype=np.int64)
    if classes is not None:
        keep = list(classes)
        if not keep or len(set(keep)) != len(keep) or not set(keep) <= set(range(10)):
            raise ValueError(f"classes must be distinct digits 0-9, got {keep}")
        mask = np.isin(y, keep)
        x, y = x[mask], y[mask]
        y = np.array([keep.index(int(label)) for label in y], dtype=np.int64)
    rng = np.random.default_rng(seed)
    test_idx: list[int] = []
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        rng.shuffle(idx)
        test_idx.extend(idx[: round(len(idx) * test_fraction)].tolist())
    is_test = np.zeros(len(y), dtype=bool)
    is_test[test_idx] = True
    mean = x[~is_test].mean(axis=0)
    std = x[~is_test].std(axis=0)
    x = (x - mean) / np.where(std > 0, std, 1.0)

    def tensors(rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        xs = torch.tensor(x[rows], dtype=torch.float32, device=device)
        return xs, torch.tensor(y[rows], dtype=torch.int64, device=device)

    x_tr, y_tr = tensors(np.flatnonzero(~is_test))
    x_te, y_te = tensors(np.flatnonzero(is_test))
    name = "digits" if classes is None else "digits " + ",".join(map(str, classes))
    return Split(x_tr, y_tr, x_te, y_te, len(np.unique(y)), name)


@dataclass(frozen=True)
class Regression:
    """A synthetic linear least-squares problem with known curvature.

    Attributes:
        split: the data (targets are float, shape ``(n, 1)``).
        lipschitz: ``L``, the largest eigenvalue of the Hessian of ``nn.MSELoss()`` (mean
            reduction) for a bias-free ``nn.Linear(n_features, 1)`` on the training inputs.
            Full-batch gradient descent converges for ``lr < 2/L`` and diverges for ``lr > 2/L``.
    """

    split: Split
    lipschitz: float

    @property
    def critical_lr(self) -> float:
        """``2 / L``: the largest lr at which full-batch gradient descent still converges."""
        return 2.0 / self.lipschitz


def regression(
    n_samples: int = 256,
    n_features: int = 8,
    *,
    scales: Sequence[float] | None = None,
    noise: float = 0.1,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> Regression:
    """A linear regression task whose feature ``i`` has standard deviation ``scales[i]``.

    Unequal scales make the loss surface a long, narrow valley (ill-conditioned): the steep
    direction (largest scale) limits the usable lr while the flat ones need many steps.
    Multiplying every scale by ``k`` multiplies ``L`` by ``k**2``, so the same lr can go from
    fine to divergent just because the inputs were not standardized.
    """
    if scales is None:
        scales = np.geomspace(1.0, 0.1, n_features).tolist()
    if len(scales) != n_features:
        raise ValueError(f"need {n_features} scales, got {len(scales)}")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2 * n_samples, n_features, generator=gen) * torch.tensor(list(scales))
    w_true = torch.randn(n_features, 1, generator=gen)
    y = x @ w_true + noise * torch.randn(2 * n_samples, 1, generator=gen)
    x_tr, y_tr, x_te, y_te = x[:n_samples], y[:n_samples], x[n_samples:], y[n_samples:]
    hessian = 2.0 * (x_tr.T.double() @ x_tr.double()) / n_samples
    lipschitz = float(torch.linalg.eigvalsh(hessian).max())
    split = Split(x_tr, y_tr, x_te, y_te, 0, "regression").to(device or "cpu")
    return Regression(split, lipschitz)
