"""Every skmm regressor at its defaults, beside scikit-learn on the concatenation.

For each data set and seed: an 80/20 split (``train_test_split(random_state=seed)``),
each modality standardized on its present training rows
(``PerModality(StandardScaler())``), then every regressor of
``skmm.utils.all_estimators("regressor")`` at its defaults (only
``random_state=seed``; one torch thread) and three scikit-learn regressors on the
concatenation of the modalities where a missing modality is zeros plus one
indicator column per modality (1 where the modality is missing): ``RidgeCV()``,
``MLPRegressor(early_stopping=True, random_state=seed)`` and
``HistGradientBoostingRegressor(random_state=seed)``. Test R² and MAE, fit time.

Data sets (``--datasets``):

* ``gen-500``, ``gen-5000``, ``gen-50000``: ``make_multimodal_regression`` with
  three modalities of 10 features (5 informative), ``nonlinear=True``,
  ``noise=1``, modalities ``m1`` and ``m2`` missing for 25% of the rows each;
* ``diabetes``: ``load_diabetes_multimodal`` (442 rows; demographics, serum);
* ``california``: ``fetch_california_housing_multimodal`` read from
  ``--california-home`` (20,640 rows; location, house, people).

On California the same fits are also scored under each of the 7 patterns of
present modalities (``skmm.evaluation.missing_pattern_scores``, R² and MAE), and so
are fits whose training modalities were dropped for 25% of the rows each
(``ModalityDropout(0.25, random_state=seed)`` on the training split,
``california-drop25``). Regressors with ``predict(X, return_std=True)`` also get
the coverage of their 90% interval per pattern
(``skmm.calibration.calibration_scores``).

The (data set, seed, estimator) fits run in ``--jobs`` processes, the most
important first (California, then the small sets, ...); a fit not started
``--budget-minutes`` after the start is skipped and listed in the output.

    python benchmarks/bench_regression.py              # the tables (about 35 min, 2 cores)
    python benchmarks/bench_regression.py --quick      # smoke run (temp folder)

Writes ``benchmarks/results/regression_defaults.{json,md}`` and the California
table ``benchmarks/results/regression_california_patterns.md``, whose numbers are in
the same JSON (``--out`` prefix).
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # HistGradientBoosting: one thread per process

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from sklearn.linear_model import RidgeCV  # noqa: E402
from sklearn.metrics import mean_absolute_error, r2_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from _common import (  # noqa: E402,I001
    RESULTS_DIR, STANDARDIZE, environment, markdown_table, write_results, write_table,
)

from skmm import ModalityDropout, MultimodalData  # noqa: E402
from skmm.datasets import (  # noqa: E402
    fetch_california_housing_multimodal,
    load_diabetes_multimodal,
    make_multimodal_regression,
)
from skmm.utils import all_estimators  # noqa: E402

DEFAULT_CALIFORNIA_HOME = os.path.join(HERE, "..", "..", "shared", "data", "california_housing")
GENERATED = dict(
    modalities=3, n_features=10, n_informative=5, nonlinear=True, noise=1.0,
    missing_rates=[0.0, 0.25, 0.25],
)
DATASETS = ["gen-500", "gen-5000", "gen-50000", "diabetes", "california"]
BASELINES = ["RidgeCV", "MLPRegressor", "HistGradientBoostingRegressor"]
#: skmm's faster regressors (about 1 s per epoch on California): the 50k set runs them
#: before the others.
FAST = {"ConcatFusionRegressor", "LateFusionRegressor"}
TRAIN_DROP = 0.25
LEVEL = 0.9


def skmm_regressors():
    """``{class name: class}`` of every skmm regressor (the trusted one when it imports)."""
    return dict(all_estimators("regressor"))


def concat_with_indicators(X, names):
    """Modalities side by side; a missing modality (NaN row) is zeros, plus one column
    per modality that is 1 where it is missing."""
    out = []
    for name in names:
        a = np.asarray(X[name], dtype=np.float64).reshape(len(X[name]), -1)
        missing = np.isnan(a).all(axis=1)
        out += [np.where(np.isnan(a), 0.0, a), missing[:, None].astype(np.float64)]
    return np.hstack(out)


def make_estimator(name, seed, names, quick=False, params=None):
    """An estimator by name; the scikit-learn ones take the dict through a Pipeline.
    ``params``: set on the skmm regressors that have them (``--params``)."""
    if name in BASELINES:
        model = {
            "RidgeCV": RidgeCV(),
            "MLPRegressor": MLPRegressor(early_stopping=True, random_state=seed),
            "HistGradientBoostingRegressor": HistGradientBoostingRegressor(random_state=seed),
        }[name]
        if quick and name == "MLPRegressor":
            model.set_params(max_iter=20)
        if quick and name == "HistGradientBoostingRegressor":
            model.set_params(max_iter=20)
        concat = FunctionTransformer(concat_with_indicators, kw_args={"names": list(names)})
        return Pipeline([("concat", concat), ("model", model)])
    est = skmm_regressors()[name](random_state=seed)
    if "n_threads" in est.get_params():
        est.set_params(n_threads=1)
    if quick:
        est.set_params(max_epochs=3)
    accepted = est.get_params(deep=False)
    est.set_params(**{k: v for k, v in (params or {}).items() if k in accepted})
    return est


def label(name):
    return f"{name} (concat)" if name in BASELINES else name


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def _arrays(X):
    """Float64 modalities as a MultimodalData (which a Pipeline's FunctionTransformer
    takes: it has a length and the number of features)."""
    return MultimodalData({k: np.asarray(v, dtype=np.float64) for k, v in X.items()})


_CACHE = {}  # per process (functools.cache does not travel to loky's workers)


def _cached(fn):
    def wrapper(*args):
        key = (fn.__name__, *args)
        if key not in _CACHE:
            _CACHE[key] = fn(*args)
        return _CACHE[key]

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


def load(name, california_home, quick=False):
    """``(X, y, description)`` of a named set (the generated ones with random_state=0)."""
    if name.startswith("gen-"):
        n = int(name.split("-")[1])
        X, y = make_multimodal_regression(n_samples=n, random_state=0, **GENERATED)
        how = "make_multimodal_regression(" + ", ".join(
            f"{k}={v}" for k, v in GENERATED.items()) + ", random_state=0)"
    elif name == "diabetes":
        X, y = load_diabetes_multimodal(return_X_y=True)
        how = "load_diabetes_multimodal()"
    elif name.startswith("california"):
        X, y = fetch_california_housing_multimodal(
            data_home=os.path.abspath(california_home), return_X_y=True)
        how = "fetch_california_housing_multimodal() (target in $100,000)"
        if quick:
            keep = np.random.RandomState(0).permutation(len(y))[:1500]
            X, y = {k: np.asarray(v)[keep] for k, v in X.items()}, np.asarray(y)[keep]
            how += ", 1,500 random rows (--quick)"
    else:
        raise ValueError(f"unknown data set {name!r}")
    return _arrays(X), np.asarray(y, dtype=np.float64), how


load = _cached(load)


def split(name, seed, california_home, quick=False):
    """Standardized ``X_train, y_train, X_test, y_test`` of a data set and seed.

    ``california-drop25``: California with ``ModalityDropout(0.25)`` on the
    training split (before the scaling).
    """
    X, y, _ = load(name, california_home, quick)
    train, test = train_test_split(np.arange(len(y)), test_size=0.2, random_state=seed)
    X_train, X_test = {k: v[train] for k, v in X.items()}, {k: v[test] for k, v in X.items()}
    if name == "california-drop25":
        X_train = _arrays(ModalityDropout(TRAIN_DROP, random_state=seed).corrupt(X_train))
    scaler = clone(STANDARDIZE).fit(X_train)
    return _arrays(scaler.transform(X_train)), y[train], _arrays(scaler.transform(X_test)), y[test]


split = _cached(split)


def describe(name, california_home, quick=False):
    X, y, how = load(name, california_home, quick)
    missing = {k: float(np.isnan(v).all(axis=1).mean()) for k, v in X.items()}
    if name == "california-drop25":
        how += f"; training modalities dropped for {TRAIN_DROP:.0%} of the rows each"
    return dict(
        how=how, n_samples=len(y), n_train=len(y) - int(np.ceil(0.2 * len(y))),
        modalities={k: v.shape[1] for k, v in X.items()}, missing=missing,
        target_std=float(np.std(y)),
    )


# ---------------------------------------------------------------------------
# One fit
# ---------------------------------------------------------------------------


def run_task(dataset, seed, name, california_home, deadline, quick=False, params=None):
    """Fit one estimator on one split and score it; skipped after ``deadline``."""
    row = dict(dataset=dataset, seed=seed, estimator=label(name))
    if time.time() > deadline:
        return dict(row, skipped=True)
    import torch

    torch.set_num_threads(1)
    try:
        return _run_task(row, dataset, seed, name, california_home, quick, params)
    except Exception as exc:  # a failed fit is a result too (recorded, listed)
        return dict(row, error=f"{type(exc).__name__}: {exc}")


def _run_task(row, dataset, seed, name, california_home, quick, params=None):
    X_train, y_train, X_test, y_test = split(dataset, seed, california_home, quick)
    est = make_estimator(name, seed, list(X_train), quick, params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        est.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
    pred = est.predict(X_test)
    row.update(
        r2=float(r2_score(y_test, pred)),
        mae=float(mean_absolute_error(y_test, pred)),
        fit_seconds=fit_seconds,
        epochs=int(est.n_iter_) if hasattr(est, "n_iter_") else None,
        warnings=sorted({f"{w.category.__name__}" for w in caught
                         if issubclass(w.category, (UserWarning, RuntimeWarning))}),
        start_unix=time.time() - fit_seconds,
    )
    if name in BASELINES:
        row["epochs"] = int(est[-1].n_iter_) if hasattr(est[-1], "n_iter_") else None
    if dataset.startswith("california"):
        from skmm.evaluation import missing_pattern_scores

        table = missing_pattern_scores(
            est, X_test, y_test, scoring={"r2": "r2", "mae": "neg_mean_absolute_error"})
        row["patterns"] = [
            dict(pattern="+".join(p), n_samples=int(n), r2=float(r), mae=-float(m))
            for p, n, r, m in zip(table["pattern"], table["n_samples"], table["score_r2"],
                                  table["score_mae"])
        ]
        if _has_std(est):
            from skmm.calibration import calibration_scores

            cal = calibration_scores(est, X_test, y_test, level=LEVEL)
            row["coverage"] = [
                dict(pattern="+".join(p), coverage=float(c), interval_width=float(w),
                     nll=float(nll))
                for p, c, w, nll in zip(cal["pattern"], cal["score_coverage"],
                                        cal["score_interval_width"], cal["score_nll"])
            ]
    return row


def _has_std(est):
    import inspect

    try:
        return "return_std" in inspect.signature(est.predict).parameters
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def _ms(values, digits=3):
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return ""
    if len(values) == 1:
        return f"{values[0]:.{digits}f} (1 seed)"
    return f"{values.mean():.{digits}f} ± {values.std():.{digits}f}"


def _rows(payload, dataset):
    return [r for r in payload["results"]
            if r["dataset"] == dataset and not r.get("skipped") and not r.get("error")]


def _estimators(payload):
    return list(dict.fromkeys(r["estimator"] for r in payload["results"]))


def summary(payload, dataset):
    """``{estimator: dict(r2=[...], mae=[...], fit=[...], epochs=[...], seeds=[...])}``."""
    out = {}
    for r in sorted(_rows(payload, dataset), key=lambda r: r["seed"]):
        s = out.setdefault(r["estimator"], dict(r2=[], mae=[], fit=[], epochs=[], seeds=[]))
        s["r2"].append(r["r2"])
        s["mae"].append(r["mae"])
        s["fit"].append(r["fit_seconds"])
        s["epochs"].append(r["epochs"])
        s["seeds"].append(r["seed"])
    return {e: out[e] for e in _estimators(payload) if e in out}


def headline(payload, dataset="california"):
    s = summary(payload, dataset)
    if not s:
        return "No California results."
    skmm_names = [e for e in s if not e.endswith("(concat)")]
    mlp, hgb = s.get("MLPRegressor (concat)"), s.get("HistGradientBoostingRegressor (concat)")
    lines = []
    if skmm_names:
        best = max(skmm_names, key=lambda e: np.mean(s[e]["r2"]))
        b = np.mean(s[best]["r2"])
        lines.append(
            f"**California housing by modalities (80/20, seeds {s[best]['seeds']}): the best "
            f"skmm regressor at its defaults, {best}, has test R² {_ms(s[best]['r2'])}.**")
        for ref, what in ((mlp, "MLPRegressor(early_stopping=True)"),
                          (hgb, "HistGradientBoostingRegressor")):
            if ref is None:
                continue
            m = np.mean(ref["r2"])
            verdict = "reaches" if b >= m else "does **not** reach"
            lines.append(
                f"- It {verdict} {what} on the concatenation (zeros + indicators): "
                f"{_ms(ref['r2'])} (difference {b - m:+.3f}).")
        reach = [e for e in skmm_names if mlp and np.mean(s[e]["r2"]) >= np.mean(mlp["r2"])]
        lines.append(
            "- skmm regressors at or above the MLP: " + (", ".join(reach) or "none") + ".")
    rows = [
        [e, _ms(v["r2"]), _ms(v["mae"]), f"{np.mean(v['fit']):.1f}",
         "" if v["epochs"][0] is None else f"{np.mean(v['epochs']):.0f}"]
        for e, v in sorted(s.items(), key=lambda kv: -np.mean(kv[1]["r2"]))
    ]
    return "\n".join(lines) + "\n\n" + markdown_table(
        ["estimator", "R²", "MAE ($100k)", "fit s", "epochs / iterations"], rows)


def to_markdown(payload):
    header = ["data set", "estimator", "seeds", "R²", "MAE", "fit s", "epochs / iter."]
    rows = []
    for dataset in payload["datasets"]:
        if dataset == "california-drop25":
            continue
        for e, v in summary(payload, dataset).items():
            rows.append([
                dataset, e, ",".join(map(str, v["seeds"])), _ms(v["r2"]), _ms(v["mae"]),
                f"{np.mean(v['fit']):.1f}",
                "" if v["epochs"][0] is None else f"{np.mean(v['epochs']):.0f}",
            ])
    sets = markdown_table(
        ["data set", "rows", "modalities (features)", "missing share", "target std", "how"],
        [[n, i["n_samples"], ", ".join(f"{k} {v}" for k, v in i["modalities"].items()),
          ", ".join(f"{k} {v:.0%}" for k, v in i["missing"].items()), f"{i['target_std']:.3g}",
          i["how"]] for n, i in payload["datasets"].items()])
    skipped = [r for r in payload["results"] if r.get("skipped")]
    skipped_text = (
        "\n\nNot run (the run's time budget (`--budget-minutes`) was spent before they "
        "started): "
        + "; ".join(f"{r['dataset']} seed {r['seed']} {r['estimator']}" for r in skipped)
        if skipped else "")
    errors = [r for r in payload["results"] if r.get("error")]
    if errors:
        skipped_text += "\n\nFailed (no score): " + "; ".join(
            f"{r['dataset']} seed {r['seed']} {r['estimator']}: {r['error']}" for r in errors)
    return (
        "# Regression: skmm regressors at their defaults, and scikit-learn on the "
        "concatenation\n\n"
        + headline(payload) + "\n\n"
        + _provenance(payload)
        + "## All data sets\n\n"
        "Test R² and MAE (target units), mean ± std over the seeds listed (each seed: the "
        "split and the initialization); fit time in seconds (mean; two fits ran at a time "
        "on a 2-core machine shared with other jobs, one thread each). skmm estimators: "
        "defaults, `random_state=seed`. `(concat)`: the modalities concatenated, a missing "
        "modality as zeros plus one indicator column per modality.\n\n"
        + markdown_table(header, rows)
        + "\n\nData sets (modalities standardized on the training split; generated sets "
        "include missing modalities in training and test):\n\n" + sets
        + skipped_text
        + "".join(f"\n\nNote: {note}" for note in payload.get("notes", [])) + "\n"
    )


def _provenance(payload):
    env = payload["environment"]
    command = "`; then `".join([payload["command"], *payload.get("resumed_with", [])])
    return (
        f"Command: `{command}`; {env['cpu']} ({env['cpus']} cores, load "
        f"{env['load_at_start']} at start); torch {env['torch']}, scikit-learn "
        f"{env['sklearn']}; {payload['settings']['jobs']} processes; "
        f"{payload['wall_seconds'] / 60:.1f} minutes in all.\n\n"
        + _params_text(payload)
    )


def _params_text(payload):
    params = payload["settings"].get("params")
    if not params:
        return ""
    return ("**Not the defaults:** the skmm regressors that have them were given "
            + ", ".join(f"`{k}={v!r}`" for k, v in params.items()) + ".\n\n")


def patterns_markdown(payload):
    out = [
        "# California housing: R² under each pattern of present modalities\n",
        _provenance(payload).rstrip("\n") + "\n",
        "Each estimator is trained on the training split (80%) and scored with "
        "`skmm.evaluation.missing_pattern_scores` on the test split with only the "
        "listed modalities present (the others NaN rows). Test R², mean ± std over the "
        "seeds listed per training condition (one number: one seed). `(concat)`: zeros + "
        "indicators. `mean of 7`: the mean over the patterns.\n",
    ]
    for dataset, title in (("california", "Trained on complete data"),
                           ("california-drop25",
                            f"Trained with each modality missing for {TRAIN_DROP:.0%} of the "
                            "training rows (ModalityDropout)")):
        rows = _rows(payload, dataset)
        if not rows:
            continue
        ests = [e for e in _estimators(payload) if any(r["estimator"] == e for r in rows)]
        patterns = [p["pattern"] for p in rows[0]["patterns"]]
        table, maes = [], []
        for i, p in enumerate(patterns):
            table.append([p] + [
                _ms([r["patterns"][i]["r2"] for r in rows if r["estimator"] == e])
                .replace(" (1 seed)", "") for e in ests])
        table.append(["mean of 7"] + [
            _ms([np.mean([q["r2"] for q in r["patterns"]]) for r in rows
                 if r["estimator"] == e]).replace(" (1 seed)", "") for e in ests])
        for i, p in enumerate(patterns):
            maes.append([p] + [
                f"{np.mean([r['patterns'][i]['mae'] for r in rows if r['estimator'] == e]):.3f}"
                for e in ests])
        seeds = {e: sorted(r["seed"] for r in rows if r["estimator"] == e) for e in ests}
        out += [
            f"## {title}\n",
            "Seeds: " + "; ".join(f"{e} {s}" for e, s in seeds.items()) + ".\n",
            "R²:\n", markdown_table(["present"] + ests, table) + "\n",
            "MAE ($100k), mean over the seeds:\n", markdown_table(["present"] + ests, maes) + "\n",
        ]
        cov_rows = [r for r in rows if "coverage" in r]
        for e in dict.fromkeys(r["estimator"] for r in cov_rows):
            mine = [r for r in cov_rows if r["estimator"] == e]
            ps = [c["pattern"] for c in mine[0]["coverage"]]
            out += [
                f"{e}: coverage of the {LEVEL:.0%} interval mean ± 1.645 std "
                "(`skmm.calibration.calibration_scores`), mean ± std over seeds "
                f"{sorted(r['seed'] for r in mine)}:\n",
                markdown_table(
                    ["present", "coverage", "mean width ($100k)", "Gaussian NLL"],
                    [[p, _ms([r["coverage"][i]["coverage"] for r in mine]),
                      f"{np.mean([r['coverage'][i]['interval_width'] for r in mine]):.3f}",
                      f"{np.mean([r['coverage'][i]['nll'] for r in mine]):.3f}"]
                     for i, p in enumerate(ps)]) + "\n",
            ]
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def tasks(datasets, seeds, names):
    """The fits, most important first."""
    skmm_names = [n for n in names if n not in BASELINES]
    slow_last = sorted(names, key=lambda n: n not in BASELINES and n not in FAST)
    order = []

    def add(dataset, seed_list, which):
        order.extend((dataset, s, n) for s in seed_list for n in which
                     if dataset in datasets or dataset == "california-drop25")

    if "california" in datasets:
        add("california", seeds, names)
    for d in ("gen-500", "diabetes", "gen-5000"):
        if d in datasets:
            add(d, seeds, names)
    if "california" in datasets:
        add("california-drop25", seeds[:1], names)
    if "gen-50000" in datasets:
        add("gen-50000", seeds[:1], slow_last)
    if "california" in datasets:
        add("california-drop25", seeds[1:], names)
    if "gen-50000" in datasets:
        add("gen-50000", seeds[1:], [n for n in slow_last if n not in skmm_names or n in FAST])
    return order


def machine():
    """The environment of :func:`_common.environment`, with the CPU model and load.

    Commit, command and date are in the ``provenance`` block that
    ``write_results`` adds to every result file.
    """
    env = environment()
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    env.update(cpu=cpu, cpus=os.cpu_count(), load_at_start=round(os.getloadavg()[0], 2))
    return env


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--estimators", nargs="+", default=None,
                        help="class names (default: every skmm regressor and "
                        f"{', '.join(BASELINES)})")
    parser.add_argument("--california-home", default=DEFAULT_CALIFORNIA_HOME)
    parser.add_argument("--jobs", type=int, default=2, help="processes (one thread each)")
    parser.add_argument("--budget-minutes", type=float, default=32.0,
                        help="fits not started by then are skipped (and listed)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small sets, 3 epochs, one seed, temp folder")
    parser.add_argument("--resume", action="store_true",
                        help="keep the fits in <out>_defaults.json (not the skipped ones); "
                        "run the others")
    parser.add_argument("--params", type=json.loads, default=None,
                        help="JSON object of parameters set on the skmm regressors that "
                        'have them, e.g. \'{"std_calibration": null}\' (use with --out)')
    parser.add_argument("--out", default="regression",
                        help="prefix of the result files: <out>_defaults, "
                        "<out>_california_patterns")
    args = parser.parse_args(argv)
    names = args.estimators or list(skmm_regressors()) + BASELINES
    if args.quick:
        args.datasets, args.seeds = ["gen-500", "diabetes", "california"], [0]
        if not os.path.isfile(os.path.join(args.california_home, "california_housing.csv")):
            args.datasets.remove("california")  # the smoke run needs no data files
        results_dir = tempfile.mkdtemp(prefix="skmm_bench_")
    else:
        results_dir = RESULTS_DIR
    command = "python benchmarks/bench_regression.py " + " ".join(
        sys.argv[1:] if argv is None else argv)
    start = time.time()
    deadline = start + 60 * args.budget_minutes
    todo = tasks(args.datasets, args.seeds, names)
    datasets = list(dict.fromkeys(d for d, _, _ in todo))
    payload = dict(
        command=command.strip(), environment=machine(),
        settings=dict(seeds=args.seeds, jobs=args.jobs, budget_minutes=args.budget_minutes,
                      quick=args.quick, generated=GENERATED, train_drop=TRAIN_DROP,
                      level=LEVEL, estimators=[label(n) for n in names],
                      params=args.params or {}),
        datasets={d: describe(d, args.california_home, args.quick) for d in datasets},
        results=[], wall_seconds=0.0,
    )
    base = os.path.join(results_dir, args.out)
    earlier_seconds = 0.0
    if args.resume and os.path.exists(base + "_defaults.json"):
        with open(base + "_defaults.json") as f:
            old = json.load(f)
        old["results"] = [r for r in old["results"] if not r.get("skipped")]
        old.setdefault("resumed_with", []).append(command.strip())
        old["datasets"].update(payload["datasets"])
        earlier_seconds = old["wall_seconds"]
        payload = old
        done = {(r["dataset"], r["seed"], r["estimator"]) for r in old["results"]}
        todo_run = [t for t in todo if (t[0], t[1], label(t[2])) not in done]
    else:
        todo_run = todo

    def save():
        payload["wall_seconds"] = earlier_seconds + time.time() - start
        order = {t: i for i, t in enumerate((d, s, label(n)) for d, s, n in todo)}
        payload["results"].sort(
            key=lambda r: order.get((r["dataset"], r["seed"], r["estimator"]), len(order)))
        write_results(base + "_defaults", payload, to_markdown(payload), command=command.strip())
        # the same payload: its second table only
        write_table(base + "_california_patterns", patterns_markdown(payload),
                    payload["provenance"])

    jobs = Parallel(n_jobs=args.jobs, return_as="generator_unordered")(
        delayed(run_task)(d, s, n, args.california_home, deadline, args.quick, args.params)
        for d, s, n in todo_run)
    for row in jobs:
        payload["results"].append(row)
        if row.get("skipped") or row.get("error"):
            print(f"{'failed' if row.get('error') else 'skipped'} {row['dataset']} seed "
                  f"{row['seed']} {row['estimator']} {row.get('error', '')}", flush=True)
        else:
            print(f"{row['dataset']:18s} seed {row['seed']} {row['estimator']:40s} "
                  f"R² {row['r2']:.4f} MAE {row['mae']:.4f} {row['fit_seconds']:7.1f} s "
                  f"({(time.time() - start) / 60:.1f} min)", flush=True)
        save()
    print()
    print(to_markdown(payload))
    print(patterns_markdown(payload))
    print(f"Saved {base}_defaults.{{json,md}} and {base}_california_patterns.{{json,md}}")


if __name__ == "__main__":
    main()
