"""Robustness to a noisy modality, with and without corruption-aware training.

The protocol of the RAML paper's Table II (Gaussian noise on one modality at
test time, every modality present), extended by issue 9: every method is
trained twice, paper-exact (``train_noise=None``) and corruption-aware
(``train_noise=(0.5, 3.0)``: with probability 0.5 per sample, Gaussian noise of
a std drawn from [0, 3] on one random present modality, on top of the
method's missing-pattern augmentation).

The protocol is :func:`skmm.evaluation.robustness_report` (its noise table).

* Data: UCI Multiple Features (``--uci-home``; three of the six views by
  default, to keep ``augment="all"`` at 7 patterns instead of 63) and
  :func:`skmm.datasets.make_multimodal_classification` with a strong and a
  weak modality. Stratified train/test split per seed; each view standardized
  with the mean/std of its training part, so the noise std is in standardized
  units.
* Test noise: std in ``--stds`` added to one modality at a time (all modalities
  present); the same noise draws for every method.
* Methods: RAML, RedCore, ConcatFusion
  with missing-pattern augmentation (the paper's "Augmentation" baseline) and
  LateFusion, each with and without ``train_noise``; plus RAMLClassifier's mean
  fusion weight (Eq. 4, averaged over samples and latent elements) on the
  noisy modality per noise level.

Run ``python benchmarks/bench_noise.py`` (one torch thread; measured 24 min
on 2 cores shared with other jobs, load average ~6.5, and 29 min with the
``--raml-lambda1-0`` diagnostic; a few minutes on an idle machine);
``--quick`` for a smoke run (prints, saves nothing). Tables are printed and written to
``benchmarks/results/noise_<dataset>.{json,md}``.
"""

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    DEFAULT_UCI_HOME,
    STANDARDIZE,
    environment,
    load_uci_mfeat,
    markdown_table,
    split,
    write_results,
)
from sklearn.base import clone  # noqa: E402

from skmm import (  # noqa: E402
    ConcatFusionClassifier,
    GaussianNoise,
    LateFusionClassifier,
    RAMLClassifier,
    RedCoreClassifier,
)
from skmm.evaluation import robustness_report  # noqa: E402

TRAIN_NOISE = (0.5, 3.0)


def load_dataset(name, args):
    """``(X, y, noised_views, description)`` for a benchmark data set."""
    if name == "uci":
        views = args.uci_views.split(",")
        X, y = load_uci_mfeat(args.uci_home, views)
        return X, y, views, f"UCI Multiple Features, views {views}"
    if name == "synthetic":
        from skmm.datasets import make_multimodal_classification

        kwargs = dict(
            n_samples=1200,
            n_classes=4,
            modalities={"strong": 32, "weak": 32},
            noise={"strong": 0.75, "weak": 2.0},
            redundancy=0.8,
            random_state=0,
        )
        X, y = make_multimodal_classification(**kwargs)
        desc = "make_multimodal_classification(" + ", ".join(
            f"{k}={v!r}" for k, v in kwargs.items()
        ) + ")"
        return X, y, list(X), desc
    raise ValueError(f"Unknown data set {name!r}.")


def make_methods(args):
    """Method name -> factory(train_noise, seed) -> unfitted estimator."""
    common = dict(max_epochs=args.epochs, lr=args.lr)
    methods = {
        "RAML": lambda tn, s: RAMLClassifier(train_noise=tn, random_state=s, **common),
        "ConcatFusion+aug": lambda tn, s: ConcatFusionClassifier(
            augment="all", train_noise=tn, random_state=s, **common
        ),
        "LateFusion": lambda tn, s: LateFusionClassifier(train_noise=tn, random_state=s, **common),
        "RedCore": lambda tn, s: RedCoreClassifier(train_noise=tn, random_state=s, **common),
    }
    if args.raml_lambda1_0:
        # Diagnostic: RAML without its unimodal loss L^U (Eq. 2).
        methods["RAML(lambda1=0)"] = lambda tn, s: RAMLClassifier(
            lambda1=0.0, train_noise=tn, random_state=s, **common
        )
    return {k: v for k, v in methods.items() if not args.methods or k in args.methods}


def run_dataset(name, args, methods):
    X, y, noised, desc = load_dataset(name, args)
    stds = args.stds
    print(f"\n=== {name}: {desc}; noise on {noised}; stds {stds}; seeds {args.seeds}")
    records, weights, fit_times = [], [], []
    for seed in range(args.seeds):
        X_train, y_train, X_test, y_test = split(X, y, 0.25, seed)
        estimators = {
            (method, tn is not None): factory(tn, seed)
            for method, factory in methods.items() for tn in (None, TRAIN_NOISE)
        }
        keys = list(estimators)
        report = robustness_report(
            {f"{m}|{tn}": est for (m, tn), est in estimators.items()},
            X_train, y_train, X_test, y_test, preprocess=STANDARDIZE, patterns=None,
            noise_levels=stds, noise_targets=noised, random_state=seed,
            return_estimators=True,
        )
        for row in report["noise"].itertuples():
            method, tn = row.estimator.split("|")
            records.append(dict(method=method, train_noise=tn == "True", seed=seed,
                                view=row.modality, std=row.std, accuracy=row.score))
        for row in report["fit_time"].itertuples():
            method, tn = row.estimator.split("|")
            fit_times.append(dict(method=method, train_noise=tn == "True",
                                  seconds=row.fit_time_s))
        # RAML's Eq. 4 weights on the noisy view: the report's noise draws, redone.
        X_scaled = clone(STANDARDIZE).fit(X_train).transform(X_test)
        for method, tn in keys:
            est = report["estimators"][f"{method}|{tn}"]
            if not isinstance(est, RAMLClassifier):
                continue
            for view in noised:
                for s in stds:
                    noise = GaussianNoise(std=s, targets=view, random_state=seed)
                    w = est.fusion_weights(noise.corrupt(X_scaled))[view]
                    weights.append(dict(method=method, train_noise=tn, seed=seed, view=view,
                                        std=s, weight=float(w.mean())))
        print(report["noise"].groupby(["estimator", "std"])["score"].mean().unstack().round(3)
              .to_string(), flush=True)
    return dict(dataset=name, description=desc, noised_views=noised, n_modalities=len(list(X)),
                stds=stds,
                records=records, fusion_weights=weights, fit_times=fit_times)


def _pivot(rows, value, index):
    """Mean of ``value`` per ``index`` columns and noise std: a header and Markdown rows."""
    df = pd.DataFrame(rows)
    df["train_noise"] = df["train_noise"].map({False: "None", True: str(TRAIN_NOISE)})
    table = df.pivot_table(value, index=index, columns="std", sort=False)
    body = [list(np.atleast_1d(k)) + [f"{v:.3f}" for v in values]
            for k, values in zip(table.index, table.to_numpy())]
    return index + [f"std {s:g}" for s in table.columns], body, table


def tables(result, methods):
    """Markdown tables: accuracy per noise std, RAML weights, per-view detail."""
    recs, ws = result["records"], result["fusion_weights"]
    header, body, table = _pivot(recs, "accuracy", ["method", "train_noise"])
    for row, mean in zip(body, table[[s for s in table.columns if s > 0]].mean(1)):
        row.append(f"**{mean:.3f}**")
    md = [
        f"### {result['dataset']}: accuracy with Gaussian noise on one modality",
        "",
        f"{result['description']}. Noise on each of {result['noised_views']} in turn (all "
        "modalities present); mean over noised modalities and seeds.",
        "",
        markdown_table(header + ["mean (std>0)"], body),
        "",
    ]
    if ws:
        md += [
            "RAML's mean fusion weight (Eq. 4) on the noisy modality, averaged over samples "
            "and latent elements (it falls with the noise if RAML down-weights the noisy "
            f"modality; equal weights would be {1 / result['n_modalities']:.3f}). At std 0 "
            "this mean over the noised views is 1/M by construction when every view is "
            "noised in turn; the per-view table below is the informative one:",
            "",
            markdown_table(*_pivot(ws, "weight", ["method", "train_noise"])[:2]),
            "",
            "Per noisy view:",
            "",
            markdown_table(*_pivot(ws, "weight", ["method", "train_noise", "view"])[:2]),
            "",
        ]
    times = pd.DataFrame(result["fit_times"]).groupby("method", sort=False)["seconds"].mean()
    md += [
        "Accuracy per noisy view:",
        "",
        markdown_table(*_pivot(recs, "accuracy", ["method", "train_noise", "view"])[:2]),
        "",
        "Mean fit time (s): " + ", ".join(f"{m} {t:.1f}" for m, t in times.items()),
        "",
    ]
    return "\n".join(md)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="synthetic,uci")
    parser.add_argument("--uci-home", default=DEFAULT_UCI_HOME)
    parser.add_argument("--uci-views", default="fou,fac,mor",
                        help="views to train on (all present) and to noise in turn")
    parser.add_argument("--stds", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0, 4.0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--methods", nargs="*", default=None)
    parser.add_argument("--raml-lambda1-0", action="store_true",
                        help="also run RAML with lambda1=0 (no unimodal loss L^U)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 3 epochs")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:  # a smoke run prints its tables and keeps the saved results
        args.seeds, args.epochs, args.no_save = 1, 3, True
    torch.set_num_threads(args.threads)
    methods = make_methods(args)
    start = time.perf_counter()
    command = "python benchmarks/bench_noise.py " + " ".join(sys.argv[1:] if argv is None else argv)
    for name in args.datasets.split(","):
        t0 = time.perf_counter()
        result = run_dataset(name, args, methods)
        result["wall_seconds"] = time.perf_counter() - t0
        result["command"] = command
        md = tables(result, methods)
        print("\n" + md)
        if not args.no_save:
            payload = dict(
                result,
                settings=dict(epochs=args.epochs, lr=args.lr, seeds=args.seeds,
                              train_noise=TRAIN_NOISE, threads=args.threads,
                              methods=list(methods)),
                environment=environment(),
            )
            settings = (
                f"\nSettings: {args.seeds} seed(s) (train/test splits 75/25), "
                f"max_epochs={args.epochs}, lr={args.lr:g}, other parameters at their defaults; "
                f"train_noise={TRAIN_NOISE}; torch threads={args.threads}.\n"
                f"Command: `{command.strip()}`; this data set took "
                f"{result['wall_seconds']:.0f} s.\n"
            )
            paths = write_results(f"noise_{name}", payload, md + settings)
            print("written:", *paths)
    print(f"total {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
