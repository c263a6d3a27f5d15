"""RedCore on UCI Multiple Features with imbalanced, truly absent modalities.

Protocol (per seed): stratified 80/20 split; training views set missing once
with ``ModalityDropout(rates, random_state=1000 + seed)`` (a sample whose views
are all drawn missing keeps one at random) and never redrawn per epoch; then
:func:`skmm.evaluation.robustness_report`: each view standardized on its
present training rows, testing on every non-empty subset of the views used
(the full test set with the other views set to NaN). Metric: weighted F1, per
subset size and averaged over the subsets. (The committed results were made
before the script used the report, with masks whose all-missing rows were
redrawn instead: the same rates up to ``r**3 / 3`` at the highest ones.)

Settings:
  (a) views kar/fou/mor at missing rates (0.8, 0.5, 0.2) and its permutations;
  (b) all six views at a shared missing rate (0.5, 0.7).

Methods: RedCoreClassifier, Core (RedCoreClassifier(regulate=False)),
ConcatFusionClassifier(augment="all"), RAMLClassifier.

Also: the eta curves of the RedCore runs, and the fit time per epoch of
RedCoreClassifier against a bare PyTorch loop that trains the same module on
the same tensors.

Every method gets the same Adam lr (default 1e-3: the paper's 2e-4 needs far
more than the ~400 optimizer steps a short CPU run affords) and the same
encoder widths; RedCore and RAML share latent_dim. The committed results are
the default run, the full protocol (18 minutes on a quiet 2-core machine)::

    python benchmarks/bench_redcore_uci.py

``--methods RAML "RAML(lambda1=0)"`` compares RAML with and without its
unimodal loss ``L^U`` (the latter is not in the default set).

Results go to benchmarks/results/redcore_uci.{txt,json} (``--out``; ``--quick``: a smoke
run in the temp folder). Uses one torch thread.
"""

import argparse
import itertools
import json
import os
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    DEFAULT_UCI_HOME,
    STANDARDIZE,
    BareLoop,
    environment,
    load_uci_mfeat,
    split,
    write_results,
)
from sklearn.base import clone  # noqa: E402

from skmm import ModalityDropout, MultimodalData  # noqa: E402
from skmm.evaluation import robustness_report, summarize_by_size  # noqa: E402

VIEWS = ("fou", "fac", "kar", "pix", "zer", "mor")


def make_methods(args, seed):
    from skmm import ConcatFusionClassifier, RAMLClassifier, RedCoreClassifier

    common = dict(
        max_epochs=args.epochs, lr=args.lr, hidden_sizes=tuple(args.hidden), random_state=seed
    )
    redcore = dict(
        common,
        latent_dim=args.latent,
        cross_hidden_sizes=tuple(args.cross_hidden),
        decoder_hidden_sizes=tuple(args.decoder_hidden),
    )
    return {
        "RedCore": lambda: RedCoreClassifier(**redcore),
        "Core": lambda: RedCoreClassifier(regulate=False, **redcore),
        "ConcatFusion+aug": lambda: ConcatFusionClassifier(augment="all", **common),
        "RAML": lambda: RAMLClassifier(latent_dim=args.latent, **common),
        "RAML(lambda1=0)": lambda: RAMLClassifier(latent_dim=args.latent, lambda1=0.0, **common),
    }


def training_data(X, y, views, rates, seed):
    """The split, with the training views set missing at ``rates``."""
    X_tr, y_tr, X_te, y_te = split(MultimodalData({v: X[v] for v in views}), y, 0.2, seed)
    dropout = ModalityDropout(dict(zip(views, rates)), random_state=1000 + seed)
    return dropout.corrupt(X_tr), y_tr, X_te, y_te


def eta_by_missing_rate(eta_curves):
    """For the imbalanced settings: eta averaged over training, by each view's missing rate."""
    by_rate = {}
    for c in eta_curves:
        if len(set(c["rates"])) > 1:
            for rate, e in zip(c["rates"], np.mean(c["eta"], axis=0)):
                by_rate.setdefault(rate, []).append(e)
    if not by_rate:
        return []
    parts = [
        f"rate {r}: {np.mean(v):.3f} (min {np.min(v):.3f}, max {np.max(v):.3f})"
        for r, v in sorted(by_rate.items())
    ]
    return ["  imbalanced runs, eta averaged over training, by missing rate: " + "; ".join(parts)]


def fmt_table(title, rows, columns):
    width = max(len(r) for r in rows) + 2
    lines = [title, "".ljust(width) + "".join(c.rjust(10) for c in columns)]
    for name, values in rows.items():
        lines.append(name.ljust(width) + "".join(f"{v:10.1f}" for v in values))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", default=os.path.normpath(DEFAULT_UCI_HOME))
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--permutations",
        choices=["all", "cyclic", "none"],
        default="all",
        help="(a): all 6 permutations of (0.8, 0.5, 0.2), or its 3 cyclic shifts (each view "
        "takes each rate once)",
    )
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam lr of every method")
    parser.add_argument("--hidden", type=int, nargs="*", default=[128], help="encoder widths")
    parser.add_argument("--latent", type=int, default=64, help="RedCore/RAML latent_dim")
    parser.add_argument("--cross-hidden", type=int, nargs="*", default=[128])
    parser.add_argument("--decoder-hidden", type=int, nargs="*", default=[64])
    parser.add_argument("--shared-rates", type=float, nargs="*", default=[0.5, 0.7])
    parser.add_argument(
        "--methods", nargs="*", default=["RedCore", "Core", "ConcatFusion+aug", "RAML"],
        help="method names",
    )
    parser.add_argument(
        "--six-view-methods", nargs="*", default=None, help="subset of methods for setting (b)"
    )
    parser.add_argument("--timing-epochs", type=int, default=7)
    parser.add_argument("--out", default="redcore_uci",
                        help="name in benchmarks/results, or a path (without extension)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 seed, 2 epochs, one shared rate, temp folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.seeds, args.permutations, args.shared_rates = 2, 1, "none", [0.5]
        args.timing_epochs = 2
        args.out = os.path.join(tempfile.mkdtemp(prefix="skmm_bench_"), "redcore_uci")
    torch.set_num_threads(1)
    start = time.time()

    X_all, y = load_uci_mfeat(args.data_home, VIEWS)
    if args.permutations == "all":
        perms = list(itertools.permutations((0.8, 0.5, 0.2)))
    elif args.permutations == "cyclic":
        perms = [(0.8, 0.5, 0.2), (0.5, 0.2, 0.8), (0.2, 0.8, 0.5)]
    else:
        perms = []
    settings = [(("kar", "fou", "mor"), rates) for rates in perms]
    settings += [(VIEWS, (rate,) * len(VIEWS)) for rate in args.shared_rates]

    results, eta_curves, report = [], [], []
    for views, rates in settings:
        label = f"{'/'.join(views)} @ {rates if len(set(rates)) > 1 else rates[0]}"
        per_method = {}
        for seed in range(args.seeds):
            X_tr, y_tr, X_te, y_te = training_data(X_all, y, views, rates, seed)
            methods = {
                name: make() for name, make in make_methods(args, seed).items()
                if name in args.methods and not (
                    len(views) == 6 and args.six_view_methods
                    and name not in args.six_view_methods)
            }
            scores = robustness_report(
                methods, X_tr, y_tr, X_te, y_te, preprocess=STANDARDIZE, noise_levels=None,
                scoring="f1_weighted", return_estimators=True,
            )
            X_te_scaled = clone(STANDARDIZE).fit(X_tr).transform(X_te)
            observed = [float(np.isnan(X_tr[v]).all(1).mean().round(3)) for v in views]
            for name, clf in scores["estimators"].items():
                table = scores["missing_patterns"]
                table = table[table["estimator"] == name]
                f1 = dict(zip(table["pattern"].map("+".join), 100 * table["score"]))
                fit_s = float(scores["fit_time"].set_index("estimator").loc[name, "fit_time_s"])
                summary = summarize_by_size(table)  # by number of views, then "all"
                per_method.setdefault(name, []).append(100 * summary["score"].to_numpy(float))
                results.append(dict(views=views, rates=rates, seed=seed, method=name,
                                    fit_s=fit_s, observed_missing=observed, f1=f1))
                if hasattr(clf, "fusion_weights"):  # RAML: Eq. 4 weights, all views present
                    weights = clf.fusion_weights(X_te_scaled)
                    results[-1]["fusion_weights"] = {v: float(weights[v].mean()) for v in views}
                if name == "RedCore":
                    eta_curves.append(dict(views=views, rates=rates, seed=seed,
                                           eta=clf.eta_history_.round(5).tolist(),
                                           ra=clf.relative_advantage_history_.round(5).tolist()))
                print(f"{label} seed={seed} {name:17s} avg F1 {np.mean(list(f1.values())):5.1f}"
                      f"  fit {fit_s:5.1f}s  [{time.time() - start:6.0f}s]", flush=True)
        sizes = summary["n_present"][:-1]
        table = fmt_table(
            f"\n{label} (weighted F1 x100, mean over {args.seeds} seeds)",
            {name: np.mean(runs, axis=0) for name, runs in per_method.items()},
            [f"{s} view" + ("s" if s > 1 else "") for s in sizes] + ["avg"],
        )
        print(table, flush=True)
        report.append(table)

    # Averages over the settings of (a) and per shared rate.
    runs = pd.DataFrame(results)
    runs["avg"] = runs["f1"].map(lambda f: np.mean(list(f.values())))
    runs["setting"] = [
        "(a) imbalanced kar/fou/mor" if len(v) == 3 else f"(b) six views @ {r[0]}"
        for v, r in zip(runs["views"], runs["rates"])
    ]
    summary = {name: group.groupby("setting", sort=False)["avg"].mean().to_dict()
               for name, group in runs.groupby("method")}
    lines = ["\nSummary: average weighted F1 over subsets, seeds and settings"]
    for name, vals in sorted(summary.items()):
        lines.append(
            f"  {name:17s} " + "  ".join(f"{k}: {v:.1f}" for k, v in vals.items() if v is not None)
        )
    # RAML's mean fusion weight per view (all views present at test time).
    for name in sorted({r["method"] for r in results if "fusion_weights" in r}):
        lines.append(f"\n{name}: mean fusion weight per view, all views present (mean over seeds)")
        for views, rates in settings:
            runs = [r for r in results
                    if r["method"] == name and r["views"] == views and r["rates"] == rates]
            if runs:
                lines.append(f"  {'/'.join(views)} missing {rates}: " + " ".join(
                    f"{v}={np.mean([r['fusion_weights'][v] for r in runs]):.2f}" for v in views
                ))
    # eta behaviour: final eta per view, averaged over runs of each setting.
    lines.append("\nRedCore final eta (mean over seeds) and mean RA over training")
    for views, rates in settings:
        runs = [c for c in eta_curves if c["views"] == views and c["rates"] == rates]
        if not runs:
            continue
        final = np.mean([c["eta"][-1] for c in runs], axis=0)
        ra = np.mean([np.mean(c["ra"], axis=0) for c in runs], axis=0)
        lines.append(
            f"  {'/'.join(views)} missing {rates}: eta_end "
            + " ".join(f"{v}={e:.3f}" for v, e in zip(views, final))
            + " | mean RA "
            + " ".join(f"{v}={r:+.2f}" for v, r in zip(views, ra))
        )
    lines += eta_by_missing_rate(eta_curves)

    # Speed: skmm fit vs the bare PyTorch loop (benchmarks/_common.py) on the same data.
    views, rates = (("kar", "fou", "mor"), (0.8, 0.5, 0.2))
    X_tr, y_tr, _, _ = training_data(X_all, y, views, rates, 0)
    X_tr = clone(STANDARDIZE).fit_transform(X_tr)
    timing_args = argparse.Namespace(**dict(vars(args), epochs=args.timing_epochs))
    skmm_times, bare_times = [], []
    for _ in range(3):  # interleaved, against drifting load on shared cores
        clf = make_methods(timing_args, 0)["RedCore"]().fit(X_tr, y_tr)
        skmm_times += [h["dur"] for h in clf.history_][1:]
        bare = BareLoop(clf, X_tr, y_tr)
        bare_times += [bare.epoch() for _ in range(args.timing_epochs)][1:]
    skmm_epoch = float(np.median(skmm_times))
    bare_epoch = float(np.median(bare_times))
    lines.append(
        f"\nFit time per epoch ({'/'.join(views)}, {len(y_tr)} samples, batch 128, median of "
        f"3 x {args.timing_epochs - 1} interleaved epochs): "
        f"RedCoreClassifier {1000 * skmm_epoch:.1f} ms, "
        f"bare PyTorch loop {1000 * bare_epoch:.1f} ms, ratio {skmm_epoch / bare_epoch:.2f}"
    )
    lines.append(f"Total benchmark time: {time.time() - start:.0f} s (epochs={args.epochs})")
    text = "\n".join(lines)
    print(text)

    paths = write_results(
        args.out,
        dict(
            args=vars(args),
            environment=environment(),
            summary=summary,
            results=results,
            eta_curves=eta_curves,
            timing=dict(skmm_epoch_s=skmm_epoch, bare_epoch_s=bare_epoch),
        ),
        json.dumps(vars(args)) + "\n" + "\n".join(report) + "\n" + text,
        ext=".txt",
    )
    print("wrote", *paths)

if __name__ == "__main__":
    main()
