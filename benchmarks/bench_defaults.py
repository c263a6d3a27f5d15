"""Every estimator with its defaults against the best of a small search.

For each estimator and data set: the test accuracy, fit time and epochs run of
the estimator with its defaults (only ``random_state`` set), and the test
accuracy of the setting a small search chose. The search trains each setting
of the grid (learning rate x batch size x weight decay) on 80% of the training
rows, records the accuracy on the other 20% after every epoch, and picks the
setting and number of epochs (``max_epochs`` in ``--epochs``) with the best
validation accuracy; that setting is then refit on all training rows and
scored on the test rows. Convergence stopping, early stopping's split and the
adaptive learning rate are off in the search and the refit (the weights after
``e`` epochs are then those of ``max_epochs=e``: Adam with a constant
learning rate, on all the rows given).

Data sets (``--datasets``), from 80 to 50,000 training rows and 2 to 100 classes:

* ``gen-500-2``: ``make_multimodal_classification``, 500 rows, 2 classes;
* ``digits``: ``load_digits_multimodal`` (1,797 rows, 10 classes);
* ``mfeat``: UCI Multiple Features (2,000 rows, 10 classes, six views);
* ``gen-680-68``: the generated case of issue #12 (680 rows, 68 classes,
  ``class_sep=8, noise=0.5``, 64 features, each modality min-max scaled);
* ``gen-5000-100``: 5,000 rows, 100 classes;
* ``gen-50000-10``: 50,000 rows, 10 classes (a reduced search: ``--large-lrs``,
  ``--large-batch-sizes``, ``--large-epochs``);
* few rows per class, each modality min-max scaled, the rows not trained on
  tested: ``mfeat-8`` and ``digits-8``, 8 training rows of each of the 10
  classes (80 rows; 1,920 and 1,717 tested), and ``gen-680-68-hard``, the
  68-class case made not separable (``class_sep=3, noise=1.0``: a logistic
  regression on the concatenation scores 69%), 8 training rows per class.

Also available by name (not in the table): ``mfeat-fzm``, three of UCI
Multiple Features' views (fou, zer and mor), and ``digits-300``, 300
training rows of digits: the real sets of ``bench_widths.py``.

Every other set is split 80/20 (stratified, seed 0); a generated set's test part is
made at least 2,000 rows from the same generator, so that a point of accuracy
is at least 20 test rows. Views are standardized on the training rows (the
issue's case: min-max scaled instead). One seed; one torch thread.

    python benchmarks/bench_defaults.py                  # the full table
    python benchmarks/bench_defaults.py --quick          # smoke run (temp folder)
    python benchmarks/bench_defaults.py --datasets digits --estimators raml

Writes ``benchmarks/results/defaults.{json,md}`` after every (estimator, data
set), so a long run can be watched and resumed (``--resume`` skips the pairs
already in the JSON file). Runs split across processes (``--out`` per part,
``--no-search`` or ``--no-default``) are put together with ``--defaults-from``
and ``--search-from``, which take a pair's results from earlier JSON files.
"""

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler
from skorch.callbacks import Callback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    DEFAULT_UCI_HOME,
    RESULTS_DIR,
    STANDARDIZE,
    environment,
    load_uci_mfeat,
    markdown_table,
    write_results,
)

import skmm  # noqa: E402
from skmm import PerModality  # noqa: E402
from skmm.datasets import load_digits_multimodal, make_multimodal_classification  # noqa: E402
from skmm.utils import estimator_presets  # noqa: E402

#: Every classifier at its defaults, by its short name: the registry's
#: (:func:`skmm.utils.estimator_presets` without the presets).
ESTIMATORS = {
    key: cls.__name__
    for key, (cls, preset, _) in estimator_presets("classifier").items()
    if not preset
}

#: name -> generator arguments (n_samples is the data set's size).
GENERATED = {
    "gen-500-2": dict(n_samples=500, n_classes=2, noise=2.5),
    "gen-680-68": dict(
        n_samples=680, n_classes=68, modalities=3, n_features=64, class_sep=8, noise=0.5
    ),
    "gen-5000-100": dict(n_samples=5000, n_classes=100, n_features=32, class_sep=5),
    "gen-50000-10": dict(n_samples=50000, n_classes=10, noise=1.5),
    "gen-680-68-hard": dict(
        n_samples=680, n_classes=68, modalities=3, n_features=64, class_sep=3, noise=1.0
    ),
}
DATASETS = [
    "gen-500-2", "digits", "mfeat", "gen-680-68", "gen-5000-100", "gen-50000-10",
    "mfeat-8", "digits-8", "gen-680-68-hard",
]
#: Few rows per class: this many training rows of each class, the rest is the test set.
ROWS_PER_CLASS = 8
MIN_GENERATED_TEST = 2000


def _split(X, y, test_size):
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=test_size, stratify=y, random_state=0)
    return {k: v[train] for k, v in X.items()}, y[train], {k: v[test] for k, v in X.items()}, y[
        test
    ]


def _few_rows(X, y, per_class):
    """``per_class`` training rows of each class (seed 0), the other rows for testing."""
    rng = np.random.default_rng(0)
    train = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in np.unique(y)
    ]))
    test = np.setdiff1d(np.arange(len(y)), train)
    return {k: v[train] for k, v in X.items()}, y[train], {k: v[test] for k, v in X.items()}, y[
        test
    ]


def _scale(scaler, X_train, X_test):
    """Fit a per-modality scaler on the training rows; dicts of arrays back."""
    scaler = clone(scaler).fit(X_train)
    return tuple(
        {k: np.asarray(v) for k, v in scaler.transform(X).items()} for X in (X_train, X_test)
    )


def load_dataset(name, uci_home):
    """``(X_train, y_train, X_test, y_test, description)`` of a named set."""
    if name == "digits":
        X, y = load_digits_multimodal(return_X_y=True)
        X = {k: np.asarray(v) for k, v in X.items()}
        X_train, y_train, X_test, y_test = _split(X, y, 0.2)
        how = "load_digits_multimodal, standardized"
    elif name == "digits-300":
        X, y = load_digits_multimodal(return_X_y=True)
        X = {k: np.asarray(v) for k, v in X.items()}
        X_train, y_train, X_test, y_test = _split(X, y, len(y) - 300)
        how = "load_digits_multimodal, 300 training rows, standardized"
    elif name == "mfeat":
        X, y = load_uci_mfeat(uci_home)
        X_train, y_train, X_test, y_test = _split(X, y, 0.2)
        how = "UCI Multiple Features, six views, standardized"
    elif name in ("mfeat-8", "digits-8"):
        if name == "mfeat-8":
            X, y = load_uci_mfeat(uci_home)
            how = "UCI Multiple Features, six views"
        else:
            X, y = load_digits_multimodal(return_X_y=True)
            X = {k: np.asarray(v) for k, v in X.items()}
            how = "load_digits_multimodal"
        X_train, y_train, X_test, y_test = _few_rows(X, np.asarray(y), ROWS_PER_CLASS)
        how += f", {ROWS_PER_CLASS} training rows per class (the rest tested)"
    elif name == "mfeat-fzm":
        X, y = load_uci_mfeat(uci_home, views=["fou", "zer", "mor"])
        X_train, y_train, X_test, y_test = _split(X, y, 0.2)
        how = "UCI Multiple Features, views fou, zer and mor, standardized"
    else:
        kw = dict(GENERATED[name])
        n = kw.pop("n_samples")
        n_test = max(MIN_GENERATED_TEST, n // 5)
        X, y = make_multimodal_classification(n_samples=n - n // 5 + n_test, random_state=0, **kw)
        X = {k: np.asarray(v) for k, v in X.items()}
        X_train, y_train, X_test, y_test = _split(X, y, n_test)
        how = "make_multimodal_classification(" + ", ".join(
            f"{k}={v}" for k, v in GENERATED[name].items()
        ) + ")"
    if name in ("gen-680-68", "gen-680-68-hard", "mfeat-8", "digits-8"):
        X_train, X_test = _scale(PerModality(MinMaxScaler()), X_train, X_test)
        how += ", min-max scaled"
    else:
        if name.startswith("gen"):
            how += ", standardized"
        X_train, X_test = _scale(STANDARDIZE, X_train, X_test)
    info = dict(
        how=how,
        n_train=len(y_train),
        n_test=len(y_test),
        n_classes=len(np.unique(y_train)),
        modalities={k: v.shape[1] for k, v in X_train.items()},
    )
    return X_train, y_train, X_test, y_test, info


class ValidationCurve(Callback):
    """Record the accuracy on held-out rows after every epoch."""

    def __init__(self, estimator, X, y):
        self.estimator, self.X, self.y = estimator, X, y
        self.scores = []

    def on_epoch_end(self, net, **kwargs):
        est = self.estimator
        est.net_ = net  # predict reads net_; set for this call only
        try:
            self.scores.append(float(np.mean(est.predict(self.X) == self.y)))
        finally:
            del est.net_


def make_estimator(key, **params):
    cls = getattr(skmm, ESTIMATORS[key])
    est = cls(random_state=0)
    if "n_threads" in est.get_params():
        params.setdefault("n_threads", 1)
    return est.set_params(**params)


def epochs_run(est):
    return int(getattr(est, "n_iter_", len(est.history_)))


def fit_default(key, data, params=None):
    X_train, y_train, X_test, y_test, _ = data
    est = make_estimator(key, **(params or {}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        est.fit(X_train, y_train)
        seconds = time.perf_counter() - start
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return dict(
        accuracy=float(est.score(X_test, y_test)),
        fit_seconds=seconds,
        epochs=epochs_run(est),
        max_epochs=int(est.max_epochs),
        batch_size=est.batch_size,
        lr=est.lr,
        weight_decay=est.weight_decay,
        converged=not warned,
        train_loss=[float(v) for v in est.history_[:, "train_loss"]],
    )


def _no_convergence_stop(est, max_epochs):
    """Parameters that train exactly ``max_epochs`` epochs on all the rows given at a
    constant learning rate, and keep the last epoch's weights (no stopping rule, no
    early-stopping split, no restored best epoch)."""
    params = dict(max_epochs=max_epochs)
    if "tol" in est.get_params():
        params.update(tol=None, early_stopping=False, lr_schedule="constant")
    return params


def epoch_choices(epochs, batch_size, n_fit, max_steps):
    """``max_epochs`` values to try at ``batch_size``: ``epochs`` are given for batch 128
    and scaled to the same number of optimizer steps; at most ``max_steps`` steps (but
    always the two smallest)."""
    steps_per_epoch = -(-n_fit // batch_size)
    out = sorted({max(1, round(e * batch_size / 128)) for e in epochs})
    return [e for i, e in enumerate(out) if i < 2 or e * steps_per_epoch <= max_steps]


def search(key, data, grid, epochs, max_steps):
    """Fit each setting on 80% of the training rows; pick by validation accuracy; refit."""
    X_train, y_train, X_test, y_test, _ = data
    idx = np.arange(len(y_train))
    fit_idx, val_idx = train_test_split(idx, test_size=0.2, stratify=y_train, random_state=0)
    X_fit = {k: v[fit_idx] for k, v in X_train.items()}
    X_val = {k: v[val_idx] for k, v in X_train.items()}
    settings = []
    start = time.perf_counter()
    for lr, batch_size, weight_decay in grid:
        choices = epoch_choices(epochs, batch_size, len(fit_idx), max_steps)
        est = make_estimator(key, lr=lr, batch_size=batch_size, weight_decay=weight_decay)
        curve = ValidationCurve(est, X_val, y_train[val_idx])
        est.set_params(callbacks=[curve], **_no_convergence_stop(est, max(choices)))
        t0 = time.perf_counter()
        est.fit(X_fit, y_train[fit_idx])
        settings.append(
            dict(
                lr=lr,
                batch_size=batch_size,
                weight_decay=weight_decay,
                epoch_choices=choices,
                fit_seconds=time.perf_counter() - t0,
                val_curve=curve.scores,
            )
        )
    # best validation accuracy; ties go to fewer optimizer steps, then to the grid order
    chosen, epochs = max(
        ((s, e) for s in settings for e in s["epoch_choices"]),
        key=lambda se: (se[0]["val_curve"][se[1] - 1], -se[1] / se[0]["batch_size"]),
    )
    est = make_estimator(
        key, lr=chosen["lr"], batch_size=chosen["batch_size"], weight_decay=chosen["weight_decay"]
    )
    est.set_params(**_no_convergence_stop(est, epochs))
    t0 = time.perf_counter()
    est.fit(X_train, y_train)
    refit_seconds = time.perf_counter() - t0
    return dict(
        accuracy=float(est.score(X_test, y_test)),
        chosen=dict(
            lr=chosen["lr"],
            batch_size=chosen["batch_size"],
            weight_decay=chosen["weight_decay"],
            max_epochs=epochs,
            val_accuracy=chosen["val_curve"][epochs - 1],
        ),
        refit_seconds=refit_seconds,
        search_seconds=time.perf_counter() - start,
        settings=settings,
    )


def _fmt_setting(c):
    return (
        f"lr {c['lr']:g}, batch {c['batch_size']}, wd {c['weight_decay']:g}, "
        f"{c['max_epochs']} ep"
    )


def _criterion(default, found):
    """Issue #12's test: within 1 point of the search, or a ConvergenceWarning."""
    if not default:
        return ""
    if found is None:
        if default["accuracy"] >= 0.99:  # no setting can be more than a point better
            return "met (>= 99%)"
        return "not searched" if default["converged"] else "warned"
    if found["accuracy"] - default["accuracy"] <= 0.01:
        return "met"
    return "warned" if not default["converged"] else "**missed**"


def _grid_of(search):
    """What a search tried, read from its settings (runs merged from several files may
    have searched one data set on different grids)."""
    settings = search["settings"]

    def values(key):
        return sorted({s[key] for s in settings})

    epochs = "; ".join(
        f"at batch {b}: "
        f"{sorted({e for s in settings if s['batch_size'] == b for e in s['epoch_choices']})}"
        for b in values("batch_size")
    )
    return f"lr {values('lr')}, weight decay {values('weight_decay')}, epochs {epochs}"


def _grids(results):
    """``{(data set, grid): [estimators]}`` over the searched pairs."""
    out = {}
    for r in results:
        if r.get("search"):
            out.setdefault((r["dataset"], _grid_of(r["search"])), []).append(
                r["estimator"].replace("Classifier", "")
            )
    return out


def to_markdown(payload):
    header = [
        "estimator", "data set", "default acc.", "epochs (converged)", "fit s",
        "best of search", "chosen setting", "refit s", "gap (points)", "criterion",
    ]
    rows = []
    for r in payload["results"]:
        d, s = r["default"] or {}, r.get("search")
        conv = "yes" if d.get("converged") else "no: warned"
        gap = "" if s is None or not d else f"{100 * (s['accuracy'] - d['accuracy']):+.1f}"
        rows.append([
            r["estimator"], r["dataset"], f"{100 * d['accuracy']:.1f}" if d else "",
            f"{d['epochs']} ({conv})" if d else "", f"{d['fit_seconds']:.1f}" if d else "",
            "" if s is None else f"{100 * s['accuracy']:.1f}",
            "" if s is None else _fmt_setting(s["chosen"]),
            "" if s is None else f"{s['refit_seconds']:.1f}",
            gap,
            _criterion(d, s),
        ])
    sets = markdown_table(
        ["data set", "rows train/test", "classes", "modalities (features)", "how"],
        [
            [
                name, f"{i['n_train']}/{i['n_test']}", i["n_classes"],
                ", ".join(f"{k} {v}" for k, v in i["modalities"].items()), i["how"],
            ]
            for name, i in payload["datasets"].items()
        ],
    )
    grids = "\n".join(
        f"- {name}, {', '.join(labels)}: {grid}"
        for (name, grid), labels in _grids(payload["results"]).items()
    )
    return (
        "# Defaults against the best of a small search\n\n"
        "Test accuracy (%) with the defaults (only `random_state=0`) and of the setting a\n"
        "search on a validation split chose, refit on all training rows. Gap: search minus\n"
        "default. Criterion: the default within 1 point of the search (met), or a\n"
        "ConvergenceWarning (warned). One seed, one torch thread, a 2-core machine shared\n"
        "with other jobs.\n\n"
        + markdown_table(header, rows)
        + "\n\nData sets:\n\n" + sets
        + "\n\nSearch grids (the numbers of epochs chosen from at each batch size):\n\n"
        + grids + "\n"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    parser.add_argument("--estimators", nargs="+", default=None,
                        help=f"among {list(ESTIMATORS)} (default: those skmm has)")
    parser.add_argument("--uci-home", default=DEFAULT_UCI_HOME)
    parser.add_argument("--lrs", type=float, nargs="+", default=[3e-4, 1e-3, 3e-3])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--weight-decays", type=float, nargs="+", default=[5e-4])
    parser.add_argument("--epochs", type=int, nargs="+", default=[5, 10, 25, 50, 100, 200, 400],
                        help="max_epochs values the search chooses from, at batch 128")
    parser.add_argument("--max-steps", type=int, default=3000,
                        help="longest search fit, in optimizer steps")
    parser.add_argument("--large", type=int, default=20000,
                        help="sets with more training rows get the reduced search below")
    parser.add_argument("--large-lrs", type=float, nargs="+", default=[3e-4, 1e-3, 3e-3])
    parser.add_argument("--large-batch-sizes", type=int, nargs="+", default=[128])
    parser.add_argument("--large-epochs", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--no-search", action="store_true", help="defaults only")
    parser.add_argument("--no-default", action="store_true", help="search only")
    parser.add_argument("--search-from", nargs="+", default=[],
                        help="JSON files of earlier runs: take the search of a pair from there")
    parser.add_argument("--params", default=None,
                        help="JSON of parameters for the 'default' fits (to try candidates)")
    parser.add_argument("--defaults-from", nargs="+", default=[],
                        help="JSON files of earlier runs: take the default fit of a pair from "
                        "there (the last file that has it) instead of fitting")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: two small sets, 1-3 epochs, temp folder")
    parser.add_argument("--out", default="defaults")
    parser.add_argument("--resume", action="store_true",
                        help="keep the results in the JSON file; skip the pairs it has")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    keys = args.estimators or [k for k, v in ESTIMATORS.items() if hasattr(skmm, v)]
    params = json.loads(args.params) if args.params else {}
    if args.quick:
        args.datasets = ["gen-500-2", "digits"]
        args.lrs, args.batch_sizes, args.weight_decays = [1e-3], [64], [5e-4]
        args.epochs = [2, 4]
        params.setdefault("max_epochs", 3)
        results_dir = tempfile.mkdtemp(prefix="skmm_bench_")
    else:
        results_dir = RESULTS_DIR
    json_path = os.path.join(results_dir, f"{args.out}.json")
    payload = dict(environment=environment(), params=params, datasets={}, results=[])
    if args.resume and os.path.exists(json_path):
        with open(json_path) as f:
            payload = json.load(f)
    done = {(r["estimator"], r["dataset"]) for r in payload["results"]}
    earlier = {}
    earlier_defaults = {}
    for path in args.defaults_from:
        with open(path) as f:
            earlier_defaults.update({(r["estimator"], r["dataset"]): r["default"]
                                     for r in json.load(f)["results"] if r["default"]})
    for path in args.search_from:
        with open(path) as f:
            old = json.load(f)
        earlier.update({(r["estimator"], r["dataset"]): r["search"] for r in old["results"]
                        if r["search"] is not None})
    for name in args.datasets:
        data = load_dataset(name, args.uci_home)
        payload["datasets"][name] = data[4]
        large = data[4]["n_train"] > args.large
        grid = dict(
            lrs=args.large_lrs if large else args.lrs,
            batch_sizes=args.large_batch_sizes if large else args.batch_sizes,
            weight_decays=args.weight_decays,
            epochs=args.large_epochs if large else args.epochs,
            max_steps=args.max_steps,
        )
        for key in keys:
            label = ESTIMATORS[key]
            if (label, name) in done:
                continue
            row = dict(estimator=label, dataset=name, default=None, search=None)
            if (label, name) in earlier_defaults:
                row["default"] = earlier_defaults[label, name]
            elif not args.no_default:
                row["default"] = default = fit_default(key, data, params)
                print(f"{label:24s} {name:14s} default {default['accuracy']:.4f} "
                      f"({default['epochs']} ep, {default['fit_seconds']:.1f} s, "
                      f"converged={default['converged']})", flush=True)
            if (label, name) in earlier:
                row["search"] = earlier[label, name]
            elif not args.no_search:
                found = search(
                    key, data,
                    list(itertools.product(grid["lrs"], grid["batch_sizes"],
                                           grid["weight_decays"])),
                    grid["epochs"], grid["max_steps"] if not large else 10**9,
                )
                row["search"] = found
                print(f"{'':24s} {name:14s} search  {found['accuracy']:.4f} "
                      f"({_fmt_setting(found['chosen'])}; {found['search_seconds']:.0f} s)",
                      flush=True)
            if row["default"] is None and row["search"] is None:
                continue
            payload["results"].append(row)
            write_results(os.path.join(results_dir, args.out), payload, to_markdown(payload))
    if args.quick:
        print(to_markdown(payload))
    print(f"wrote {json_path}")


if __name__ == "__main__":
    main()
