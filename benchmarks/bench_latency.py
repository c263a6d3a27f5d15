"""Prediction latency: skmm's ``predict_proba``/``predict``, the bare module, onnxruntime.

For every classifier and regressor (the registry's, at its defaults), fitted
for a few epochs on two modalities of 64 and 128 features (latency does not
depend on how well it learned), three ways to predict the same rows, timed
side by side in one run:

* **skmm**: ``predict_proba`` (a regressor's ``predict``) on a dict of
  float32 arrays: input validation, NaN rows to a mask, the inference batches
  padded to a fixed shape (batch invariance), the output as numpy;
* **bare module**: the fitted module called directly on a ready-made batch of
  tensors (``module(batch)`` under ``torch.inference_mode``): no validation,
  no padding, no conversion, the floor of what an eager PyTorch call costs;
* **onnxruntime**: the model exported by :func:`skmm.io.to_onnx`, run by an
  ``InferenceSession`` with one intra-op thread on the same float32 arrays
  (NaN rows detected in the graph).

Each size (1, 100 and 10,000 rows) is timed ``--repeats`` times in rotation
(skmm, bare, onnxruntime, so that machine noise hits all three alike; fewer
times above 100 rows, at least 10) after a warm-up; the median of each is
reported. One torch thread.

    python benchmarks/bench_latency.py
    python benchmarks/bench_latency.py --quick   # smoke test

Writes ``benchmarks/results/latency.{json,md}`` (``--out`` to change the name).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import environment, markdown_table, write_results  # noqa: E402

from skmm._batching import make_dataset  # noqa: E402
from skmm._data import check_multimodal  # noqa: E402
from skmm.utils import all_estimators  # noqa: E402

#: The goals of issue #25: one row through skmm in at most 1 ms; onnxruntime within 1.5x
#: the bare module.
ONE_ROW_GOAL_MS = 1.0
ONNX_GOAL_RATIO = 1.5


def make_data(n, seed=0, n_classes=10):
    """Two modalities (64 and 128 features) of ``n`` rows, a tenth of each missing."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    X = {}
    for name, d in (("a", 64), ("b", 128)):
        centers = rng.standard_normal((n_classes, d), dtype=np.float32)
        X[name] = centers[y] + rng.standard_normal((n, d), dtype=np.float32)
    gone = rng.random(n) < 0.1
    X["a"][gone & (rng.random(n) < 0.5)] = np.nan
    X["b"][gone & ~np.isnan(X["a"][:, 0])] = np.nan
    return X, y


def _repeats(repeats, n_rows):
    """``repeats`` up to 100 rows, fewer above (at least 10): about as much time per size."""
    return max(10, min(repeats, repeats * 100 // n_rows))


def _time(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(cls, X_train, y_train, X, sizes, repeats, epochs):
    is_classifier = hasattr(cls, "predict_proba")
    target = y_train if is_classifier else y_train.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few epochs: convergence warnings expected
        est = cls(max_epochs=epochs, random_state=0).fit(X_train, target)
    predict = est.predict_proba if is_classifier else est.predict
    module = est.net_.module_.eval()

    import onnxruntime as ort

    from skmm.io import to_onnx

    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        to_onnx(est).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    output = "probabilities" if is_classifier else "prediction"  # what `predict` gives

    rows = []
    for n in sizes:
        Xn = {k: np.ascontiguousarray(v[:n]) for k, v in X.items()}
        data = check_multimodal(Xn, copy=True)  # NaN rows already zero-filled: bare input
        batch, _ = make_dataset(data, None, "cpu", "device").batch(slice(0, n))

        def bare(batch=batch):
            with torch.inference_mode():
                return module(batch)

        runs = {
            "skmm": lambda Xn=Xn: predict(Xn),
            "bare": bare,
            "onnx": lambda Xn=Xn: session.run([output], Xn),
        }
        # the same rows from all three (a check that the timed calls do the same work)
        reference = predict(Xn)
        onnx_out = session.run([output], Xn)[0]
        max_diff = float(np.max(np.abs(onnx_out.reshape(reference.shape) - reference)))
        for fn in runs.values():
            fn()  # warm-up
        times = {name: [] for name in runs}
        for _ in range(_repeats(repeats, n)):
            for name, fn in runs.items():
                times[name].append(_time(fn))
        med = {name: 1e3 * statistics.median(t) for name, t in times.items()}
        row = dict(
            model=cls.__name__, rows=n, skmm_ms=med["skmm"], bare_ms=med["bare"],
            onnx_ms=med["onnx"], skmm_ratio=med["skmm"] / med["bare"],
            onnx_ratio=med["onnx"] / med["bare"], onnx_max_abs_diff=max_diff,
        )
        print(f"{cls.__name__:26s} {n:6d} rows: skmm {med['skmm']:8.3f} ms  bare "
              f"{med['bare']:8.3f} ms  onnxruntime {med['onnx']:8.3f} ms  "
              f"(max |diff| {max_diff:.1e})", flush=True)
        rows.append(row)
    return rows


#: Report column -> (result key, format).
COLUMNS = {
    "model": ("model", "{}"), "rows": ("rows", "{:,}"),
    "skmm (ms)": ("skmm_ms", "{:.3f}"), "bare module (ms)": ("bare_ms", "{:.3f}"),
    "onnxruntime (ms)": ("onnx_ms", "{:.3f}"), "skmm / bare": ("skmm_ratio", "{:.2f}"),
    "onnxruntime / bare": ("onnx_ratio", "{:.2f}"),
}


def report(results, args):
    rows = [[fmt.format(r[key]) for key, fmt in COLUMNS.values()] for r in results]
    one = [r for r in results if r["rows"] == 1]
    meets_one = sum(r["skmm_ms"] <= ONE_ROW_GOAL_MS for r in one)
    meets_onnx = sum(r["onnx_ratio"] <= ONNX_GOAL_RATIO for r in results)
    return "\n".join([
        "# Prediction latency: skmm, the bare module, onnxruntime",
        "",
        f"CPU, one torch thread and one onnxruntime thread; each estimator at its defaults, "
        f"fitted {args.epochs} epochs on two modalities of 64 and 128 features (10 classes; "
        "a tenth of the rows miss one modality). Median of "
        f"{args.repeats} rotations (skmm, bare, onnxruntime) per size up to 100 rows "
        f"({_repeats(args.repeats, max(args.sizes))} at {max(args.sizes):,}) after a warm-up. "
        "skmm: "
        "`predict_proba` (regressors: `predict`) on a dict of float32 arrays; bare module: "
        "`module(batch)` on ready-made tensors, no validation or padding; onnxruntime: the "
        "model of `skmm.io.to_onnx`.",
        "",
        f"Goals: one row through skmm in at most {ONE_ROW_GOAL_MS:g} ms (met by {meets_one} "
        f"of {len(one)} estimators); onnxruntime within {ONNX_GOAL_RATIO:g}x the bare module "
        f"(met in {meets_onnx} of {len(results)} rows).",
        "",
        markdown_table(list(COLUMNS), rows),
    ])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=int, default=[1, 100, 10000])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=None,
                        help="class names (default: every classifier and regressor)")
    parser.add_argument("--out", default="latency")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: two estimators fitted on 300 rows, 1 and 100 rows, "
                        "results in temp")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeats, args.epochs = [1, 100], 5, 1
        args.models = args.models or ["LateFusionClassifier", "RAMLRegressor"]
        args.out = os.path.join(tempfile.gettempdir(), "latency_quick")
    torch.set_num_threads(1)
    estimators = all_estimators(["classifier", "regressor"])
    if args.models:
        estimators = [(name, cls) for name, cls in estimators if name in args.models]
    X_train, y_train = make_data(300 if args.quick else 2000, seed=0)
    X, _ = make_data(max(args.sizes), seed=1)
    results = []
    for _, cls in estimators:
        results += measure(cls, X_train, y_train, X, args.sizes, args.repeats, args.epochs)
    md = report(results, args)
    payload = {"benchmark": "latency", "args": vars(args), "environment": environment(),
               "results": results}
    paths = write_results(args.out, payload, md)
    print(md)
    print("wrote", *paths)


if __name__ == "__main__":
    main()
