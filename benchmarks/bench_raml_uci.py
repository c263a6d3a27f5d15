"""RAML against the fusion baselines on UCI Multiple Features (six views).

Protocol (:func:`skmm.evaluation.robustness_report`): a stratified 80/20 split;
each view standardized on the training part; training on complete training
data; test accuracy for each of the 63 non-empty subsets of views present at
test time (the other views set to NaN, i.e. missing). Each seed changes both
the split and the weight initialization.

    python benchmarks/bench_raml_uci.py             # full run, ~8 min on an idle core
    python benchmarks/bench_raml_uci.py --quick     # smoke test (~1 min)

Writes ``benchmarks/results/raml_uci.{json,md}`` (``--out`` to change the name).
"""

import argparse
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    STANDARDIZE,
    environment,
    load_uci_mfeat,
    markdown_table,
    split,
    write_results,
)

from skmm import ConcatFusionClassifier, LateFusionClassifier, RAMLClassifier  # noqa: E402
from skmm.evaluation import robustness_report, summarize_by_size  # noqa: E402

MODELS = {
    "RAML": lambda **kw: RAMLClassifier(augment="all", **kw),
    # without the unimodal loss L^U (Eq. 2): what lambda1 buys on this data
    "RAML(lambda1=0)": lambda **kw: RAMLClassifier(augment="all", lambda1=0.0, **kw),
    "ConcatFusion+aug": lambda **kw: ConcatFusionClassifier(augment="all", **kw),
    "ConcatFusion": lambda **kw: ConcatFusionClassifier(augment=None, **kw),
    "LateFusion": lambda **kw: LateFusionClassifier(**kw),
}
SHORT = {
    "raml": "RAML",
    "raml0": "RAML(lambda1=0)",
    "cataug": "ConcatFusion+aug",
    "cat": "ConcatFusion",
    "late": "LateFusion",
}


def _defaults_text():
    """The training defaults the runs used, read from the estimator (not retyped)."""
    p = RAMLClassifier().get_params()
    return (f"hidden_sizes={p['hidden_sizes']}, Adam lr {p['lr']:g}, batch {p['batch_size']}, "
            f"weight decay {p['weight_decay']:g}, early_stopping={p['early_stopping']}")


def run(models, X, y, seed, max_epochs, **params):
    """One seed: every model through robustness_report (63 patterns); one record each."""
    X_train, y_train, X_test, y_test = split(X, y, 0.2, seed)
    estimators = {
        name: MODELS[name](max_epochs=max_epochs, random_state=seed, **params) for name in models
    }
    report = robustness_report(
        estimators, X_train, y_train, X_test, y_test, preprocess=STANDARDIZE,
        noise_levels=None, return_estimators=True,
    )
    patterns, times = report["missing_patterns"], report["fit_time"]
    runs = []
    for name in models:
        table = patterns[patterns["estimator"] == name]
        summary = summarize_by_size(table)
        by_size = dict(zip(summary["n_present"][:-1].astype(int), summary["score"][:-1]))
        loss = report["estimators"][name].history_[:, "train_loss"]
        fit_s = float(times.loc[times["estimator"] == name, "fit_time_s"].iloc[0])
        runs.append({
            "model": name, "seed": seed, "params": params, "fit_seconds": fit_s,
            "mean_63": float(summary["score"].iloc[-1]),
            "by_size": {int(k): float(v) for k, v in by_size.items()},
            "subsets": dict(zip(table["pattern"].map("+".join), table["score"].astype(float))),
            "train_loss": [float(v) for v in loss],
        })
        print(f"{name:18s} seed={seed} fit={fit_s:6.1f}s mean63={100 * runs[-1]['mean_63']:5.2f}"
              f" 1-view={100 * by_size[1]:5.2f} loss[0,-1]={loss[0]:.3f},{loss[-1]:.4f}",
              flush=True)
    return runs


def pm(values):
    values = 100 * np.asarray(values)
    return f"{values.mean():.1f} ± {values.std():.1f}" if len(values) > 1 else f"{values[0]:.1f}"


def report(runs, n_views, args):
    main = [r for r in runs if not r["params"]]
    models = list(dict.fromkeys(r["model"] for r in main))
    header = ["model"] + [f"{k} view{'s' if k > 1 else ''}" for k in range(1, n_views + 1)]
    header += ["mean of 63", "fit s/seed"]
    rows = []
    for m in models:
        rs = [r for r in main if r["model"] == m]
        rows.append(
            [m]
            + [pm([r["by_size"][k] for r in rs]) for k in range(1, n_views + 1)]
            + [pm([r["mean_63"] for r in rs]), f"{np.mean([r['fit_seconds'] for r in rs]):.0f}"]
        )
    seeds = sorted({r["seed"] for r in main})
    md = [
        "# RAML on UCI Multiple Features (six views)",
        "",
        f"Test accuracy (%) by number of views present at test time, mean ± std over seeds "
        f"{seeds} (each seed: a new stratified 80/20 split and a new initialization). "
        f"Trained on complete data, the estimators' defaults but max_epochs={args.max_epochs} "
        f"({_defaults_text()}), one torch thread. Each column averages the C(6, k) subsets of "
        "that size; 'mean of 63' averages all non-empty subsets.",
        "",
        markdown_table(header, rows),
    ]
    extra = [r for r in runs if r["params"]]
    if extra:
        md += [
            "",
            f"## lambda2 check (RAML, seeds {args.lambda2_seeds})",
            "",
            markdown_table(
                ["lambda2", "1 view", "mean of 63", "final train loss"],
                [
                    [
                        r["params"]["lambda2"],
                        pm([r["by_size"][1]]),
                        pm([r["mean_63"]]),
                        f"{r['train_loss'][-1]:.3f}",
                    ]
                    for r in extra
                ],
            ),
        ]
    md += ["", "## Convergence (train loss, mean over seeds)", ""]
    marks = sorted({0, args.max_epochs // 4, args.max_epochs // 2, args.max_epochs - 1})
    conv = []
    for m in models:
        losses = np.mean([r["train_loss"] for r in main if r["model"] == m], axis=0)
        conv.append([m] + [f"{losses[i]:.4f}" for i in marks])
    md.append(markdown_table(["model"] + [f"epoch {i + 1}" for i in marks], conv))
    return "\n".join(md)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-home", default=None, help="folder with the six mfeat-* files")
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--models", nargs="+", default=["raml", "cataug", "cat", "late"], choices=list(SHORT),
        help="models to run"
    )
    parser.add_argument(
        "--lambda2", type=float, nargs="*", default=[0.2, 1.6],
        help="lambda2 values of the RAML check (empty to skip)",
    )
    parser.add_argument("--lambda2-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="raml_uci")
    parser.add_argument(
        "--quick", action="store_true",
        help="smoke test: 2 epochs, seed 0, RAML and ConcatFusion, results in the temp folder",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.max_epochs, args.seeds, args.models, args.lambda2 = 2, [0], ["raml", "cat"], []
        args.out = os.path.join(tempfile.gettempdir(), "raml_uci_quick")
    torch.set_num_threads(args.threads)

    X, y = load_uci_mfeat(args.data_home)
    runs = []
    for seed in args.seeds:
        runs += run([SHORT[m] for m in args.models], X, y, seed, args.max_epochs)
    for lam in args.lambda2:
        reusable = set(args.lambda2_seeds) <= set(args.seeds) and "raml" in args.models
        if lam == RAMLClassifier().lambda2 and reusable:
            # The default value is the main run; reuse it.
            runs += [dict(r, params={"lambda2": lam}) for r in runs if r["model"] == "RAML"
                     and r["seed"] in args.lambda2_seeds and not r["params"]]
            continue
        for seed in args.lambda2_seeds:
            runs += run(["RAML"], X, y, seed, args.max_epochs, lambda2=lam)
    md = report(runs, len(list(X)), args)
    payload = {
        "benchmark": "raml_uci",
        "protocol": {
            "split": "stratified 80/20, train_test_split(random_state=seed)",
            "init": "random_state=seed",
            "standardization": "per view, PerModality(StandardScaler()) on the training rows",
            "evaluation": "skmm.evaluation.robustness_report",
            "test": "63 non-empty subsets of views present; others NaN",
            "max_epochs": args.max_epochs,
            "seeds": args.seeds,
        },
        "environment": environment(),
        "runs": runs,
    }
    paths = write_results(args.out, payload, md)
    print(md)
    print("wrote", *paths)


if __name__ == "__main__":
    main()
