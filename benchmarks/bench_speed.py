"""Training and inference speed of skmm estimators against a bare PyTorch loop.

The bare loop (``BareLoop`` in ``benchmarks/_common.py``, the one all speed
comparisons use) trains a fresh copy of the same module
(``clf._build_module``) with the same Adam settings, batch size and on-device
tensors, and does the same work per batch: ``module.encode``,
``skmm.nn.expand_patterns``, ``module.losses``, backward, step. It runs inside
the skmm fit: a callback runs one bare epoch after each skmm epoch, so the two
are interleaved epoch by epoch and machine noise hits both alike. The first
epoch of each is dropped (warm-up) and the median of the rest is reported.

``predict_proba`` over the data is timed against a bare ``no_grad`` loop over
pre-made tensors, alternating the two.

    python benchmarks/bench_speed.py                 # CPU, one thread
    python benchmarks/bench_speed.py --device cuda   # a GPU
    python benchmarks/bench_speed.py --cases uci --epochs 4   # quicker
    python benchmarks/bench_speed.py --quick         # smoke test

Writes ``benchmarks/results/speed.{json,md}`` (``--out`` to change the name).
"""

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time

import numpy as np
import torch
from skorch.callbacks import Callback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    STANDARDIZE,
    BareLoop,
    environment,
    load_uci_mfeat,
    markdown_table,
    split,
    sync,
    write_results,
)

from skmm.utils import estimator_presets  # noqa: E402

#: Every classifier and preset by its short name (``raml``, ``concat-aug``, ...): the
#: registry's, so that a new method is measured without being listed here.
MODELS = {
    key: functools.partial(cls, **preset)
    for key, (cls, preset, _) in estimator_presets("classifier").items()
}


def uci_case(data_home):
    """The six UCI views, the 1600 training rows of a stratified 80/20 split (float32)."""
    X, y = load_uci_mfeat(data_home)
    X_train, y_train, _, _ = split(X, y, 0.2, 0)
    X_train = STANDARDIZE.fit_transform(X_train)
    return {k: v.astype(np.float32) for k, v in X_train.items()}, y_train


def synthetic_case(n_samples, dims=(512, 1024), n_classes=10, seed=0):
    """Gaussian classes in two modalities (float32)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n_samples)
    X = {}
    for m, d in enumerate(dims):
        centers = rng.standard_normal((n_classes, d), dtype=np.float32)
        X[f"m{m}"] = 0.3 * centers[y] + rng.standard_normal((n_samples, d), dtype=np.float32)
    return X, y


class Interleave(Callback):
    """Times each skmm epoch and runs one bare epoch right after it."""

    def __init__(self, bare, device):
        self.bare, self.device = bare, device
        self.skmm_s, self.bare_s = [], []

    def on_epoch_begin(self, net, **kwargs):
        sync(self.device)
        self._t0 = time.perf_counter()

    def on_epoch_end(self, net, **kwargs):
        sync(self.device)
        self.skmm_s.append(time.perf_counter() - self._t0)
        self.bare_s.append(self.bare.epoch())


# ---------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------


def measure(model, X, y, epochs, batch_size, device, predict_reps):
    # tol=None: exactly ``epochs`` epochs (no convergence stop, no ConvergenceWarning)
    params = dict(max_epochs=epochs, tol=None, batch_size=batch_size, device=device,
                  random_state=0)
    clf = MODELS[model](**params)
    bare = BareLoop(MODELS[model](**params), X, y, device)
    timer = Interleave(bare, device)
    clf.set_params(callbacks=[("speed_interleave", timer)])
    t0 = time.perf_counter()
    clf.fit(X, y)
    fit_s = time.perf_counter() - t0
    skmm_epoch = statistics.median(timer.skmm_s[1:])
    bare_epoch = statistics.median(timer.bare_s[1:])
    # Fixed cost of fit outside the epochs (validation, transfer, module and net setup).
    setup_s = fit_s - sum(timer.skmm_s) - sum(timer.bare_s)

    def timed(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    clf.predict_proba(X), bare.predict_proba()  # warm-up
    pred = [(timed(lambda: clf.predict_proba(X)), timed(bare.predict_proba))
            for _ in range(predict_reps)]
    n_batches = -(-len(y) // batch_size)
    r = dict(model=model, n_samples=len(y), n_batches=n_batches, epochs=epochs,
             skmm_epoch_s=skmm_epoch, bare_epoch_s=bare_epoch,
             epoch_ratio=skmm_epoch / bare_epoch,
             # Each skmm epoch against the bare epoch right after it.
             paired_ratio=statistics.median(
                 s / b for s, b in zip(timer.skmm_s[1:], timer.bare_s[1:])),
             overhead_per_batch_ms=1000 * (skmm_epoch - bare_epoch) / n_batches,
             fit_setup_s=setup_s, skmm_epochs_s=timer.skmm_s, bare_epochs_s=timer.bare_s,
             predict_skmm_s=statistics.median(p[0] for p in pred),
             predict_bare_s=statistics.median(p[1] for p in pred))
    r["predict_ratio"] = r["predict_skmm_s"] / r["predict_bare_s"]
    print(f"{model:16s} n={len(y):6d} epoch skmm {skmm_epoch:.3f}s bare {bare_epoch:.3f}s "
          f"ratio {r['epoch_ratio']:.3f} (paired {r['paired_ratio']:.3f}) | predict_proba skmm "
          f"{r['predict_skmm_s']:.3f}s bare {r['predict_bare_s']:.3f}s "
          f"ratio {r['predict_ratio']:.2f}", flush=True)
    return r


#: Report column -> (result key, format).
COLUMNS = {
    "data": ("case", "{}"), "model": ("model", "{}"), "epoch skmm (s)": ("skmm_epoch_s", "{:.3f}"),
    "epoch bare (s)": ("bare_epoch_s", "{:.3f}"), "ratio": ("epoch_ratio", "{:.3f}"),
    "paired ratio": ("paired_ratio", "{:.3f}"),
    "overhead/batch (ms)": ("overhead_per_batch_ms", "{:+.2f}"),
    "fit setup (s)": ("fit_setup_s", "{:.2f}"),
    "predict_proba skmm (s)": ("predict_skmm_s", "{:.3f}"),
    "bare (s)": ("predict_bare_s", "{:.3f}"), "ratio ": ("predict_ratio", "{:.2f}"),
}


def report(results, args):
    rows = [[fmt.format(r[key]) for key, fmt in COLUMNS.values()] for r in results]
    return "\n".join([
        "# Speed: skmm against a bare PyTorch loop",
        "",
        f"device={args.device}, torch threads={args.threads}, batch {args.batch_size}; "
        "epochs interleaved skmm/bare (uci: 21, synthetic: 6 unless --epochs), the first "
        "dropped. 'ratio': median skmm epoch over median bare epoch; 'paired ratio': median "
        "of each skmm epoch over the bare epoch run right after it. 'fit setup' is the time of "
        "`fit` outside the epochs (input validation, transfer, module and net construction). "
        f"predict_proba: median of {args.predict_reps} alternating runs over the training "
        "data. Cases: uci = UCI Multiple Features, 1600 training rows, six views; synthetic = "
        f"two modalities of 512 and 1024 features, {args.synthetic_samples} samples, 10 classes.",
        "",
        markdown_table([c.strip() for c in COLUMNS], rows),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--epochs", type=int, default=None,
        help="epochs per measurement, >= 2 (default: 21 for uci, whose epochs are short; 6 else)",
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--predict-reps", type=int, default=5)
    parser.add_argument("--cases", nargs="+", default=["uci", "synthetic"])
    parser.add_argument("--models", nargs="+", default=["raml", "concat"], choices=MODELS)
    parser.add_argument("--synthetic-samples", type=int, default=20000)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--out", default="speed")
    parser.add_argument(
        "--quick", action="store_true",
        help="smoke test: 2 epochs, 2,000 synthetic samples, results in the temp folder",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.predict_reps, args.synthetic_samples = 2, 1, 2000
        args.cases = ["synthetic"]
        args.out = os.path.join(tempfile.gettempdir(), "speed_quick")
    if args.epochs is not None and args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first is a warm-up)")
    torch.set_num_threads(args.threads)

    cases = {
        "uci": lambda: uci_case(args.data_home),
        "synthetic": lambda: synthetic_case(args.synthetic_samples),
    }
    results = []
    for case in args.cases:
        X, y = cases[case]()
        for model in args.models:
            epochs = args.epochs or (21 if case == "uci" else 6)
            r = measure(model, X, y, epochs, args.batch_size, args.device, args.predict_reps)
            results.append(dict(r, case=case))
    md = report(results, args)
    payload = {
        "benchmark": "speed",
        "args": vars(args),
        "environment": environment(),
        "results": results,
    }
    paths = write_results(args.out, payload, md)
    print(md)
    print("wrote", *paths)


if __name__ == "__main__":
    main()
