"""Wall time of one GridSearchCV over RAMLClassifier: serial, loky, dask.distributed.

The search: RAMLClassifier on UCI Multiple Features (all six views, each
standardized once on the whole data set; the timing is the point, not the
score), a grid over ``lambda1`` x ``lambda2`` (4 points), ``cv=3``,
``refit=False``: 12 fits.

Three ways to run it:

* ``serial``: ``n_jobs=None`` in this process (1 torch thread, set explicitly
  here as a user would, so that each fit uses the same threads in every mode);
* ``loky``: ``n_jobs=2`` with joblib's default backend;
* ``dask``: ``joblib.parallel_backend("dask")`` on a ``LocalCluster`` of 2
  worker processes with 1 thread each;
* ``dask-notrim``: the same without the ``MALLOC_TRIM_THRESHOLD_=65536`` that
  dask's nanny sets in its workers by default (it slows torch fits down).

Each mode first warms its processes up (importing torch, sklearn and skmm and
one tiny fit, which imports ``torch._dynamo`` through the first optimizer); the
warm-up and the search are timed separately, and so is the cluster start.

Run from the repository root::

    python benchmarks/bench_parallel.py            # ~10 min on 2 busy cores
    python benchmarks/bench_parallel.py --quick    # smoke run: serial and loky, temp folder

Results go to benchmarks/results/parallel.{json,md} (through ``_common.write_results``,
with their provenance).
"""

import argparse
import logging
import os
import sys
import tempfile
import time

import joblib
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (  # noqa: E402
    DEFAULT_UCI_HOME,
    STANDARDIZE,
    environment,
    load_uci_mfeat,
    write_results,
)

from skmm import RAMLClassifier  # noqa: E402

GRID = {"lambda1": [0.5, 1.0], "lambda2": [0.1, 0.4]}


def load(data_home):
    X, y = load_uci_mfeat(data_home)
    return STANDARDIZE.fit_transform(X), y


def warm_up(_=None):
    """Import everything a fit needs and run one tiny fit.

    Returns the pid, torch's thread count and ``MALLOC_TRIM_THRESHOLD_``.
    """
    from skmm import MultimodalData

    rng = np.random.RandomState(0)
    y = np.repeat([0, 1], 10)
    X = MultimodalData(a=rng.randn(20, 3), b=rng.randn(20, 2))
    RAMLClassifier(hidden_sizes=(4,), latent_dim=2, max_epochs=1, random_state=0).fit(X, y)
    return os.getpid(), torch.get_num_threads(), os.environ.get("MALLOC_TRIM_THRESHOLD_")


def make_search(args, n_jobs):
    est = RAMLClassifier(
        hidden_sizes=(args.hidden,),
        latent_dim=args.latent,
        max_epochs=args.epochs,
        random_state=0,
    )
    return GridSearchCV(est, GRID, cv=args.cv, n_jobs=n_jobs, refit=False)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run_serial(args, X, y):
    workers, t_warm = timed(lambda: [warm_up()])
    search, t_search = timed(lambda: make_search(args, None).fit(X, y))
    return {"warm_up_s": t_warm, "search_s": t_search, "workers": workers}, search


def run_loky(args, X, y):
    # the executor GridSearchCV gets is the one warmed up here (same n_jobs, same env)
    workers, t_warm = timed(
        lambda: joblib.Parallel(n_jobs=args.n_jobs)(
            joblib.delayed(warm_up)(i) for i in range(2 * args.n_jobs)
        )
    )
    search, t_search = timed(lambda: make_search(args, args.n_jobs).fit(X, y))
    return {"warm_up_s": t_warm, "search_s": t_search, "workers": sorted(set(workers))}, search


def run_dask(args, X, y, config=None):
    import dask
    from distributed import Client, LocalCluster

    environ = dict(os.environ)  # a Nanny writes OMP_NUM_THREADS=1 etc. into this process
    start = time.perf_counter()
    with dask.config.set(config or {}):
        cluster = LocalCluster(
            n_workers=args.n_jobs,
            processes=True,
            threads_per_worker=1,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
    client = Client(cluster)
    t_start = time.perf_counter() - start
    try:
        workers, t_warm = timed(lambda: client.run(warm_up))
        with joblib.parallel_backend("dask"):
            search, t_search = timed(lambda: make_search(args, args.n_jobs).fit(X, y))
    finally:
        client.close()
        cluster.close()
        os.environ.clear()
        os.environ.update(environ)
    return {
        "cluster_start_s": t_start,
        "warm_up_s": t_warm,
        "search_s": t_search,
        "workers": sorted(workers.values()),
    }, search


def run_dask_notrim(args, X, y):
    # dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers, which also turns
    # off glibc's dynamic mmap threshold; None removes the variable.
    return run_dask(
        args, X, y, {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=DEFAULT_UCI_HOME)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--latent", type=int, default=32)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--modes", default="serial,loky,dask,dask-notrim")
    parser.add_argument("--out", default="parallel")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: serial and loky, 1 epoch, cv=2, temp folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.cv, args.modes = 1, 2, "serial,loky"
        args.out = os.path.join(tempfile.mkdtemp(prefix="skmm_bench_"), "parallel")

    torch.set_num_threads(1)  # explicit, as a user would: one thread per fit in every mode
    X, y = load(args.data_home)
    runners = {
        "serial": run_serial, "loky": run_loky, "dask": run_dask, "dask-notrim": run_dask_notrim
    }
    results, reference = {}, None
    for mode in args.modes.split(","):
        print(f"{mode} ...", flush=True)
        timing, search = runners[mode](args, X, y)
        cv = search.cv_results_
        timing["best_params"] = search.best_params_
        timing["best_score"] = float(search.best_score_)
        timing["mean_test_score"] = cv["mean_test_score"].tolist()
        timing["mean_fit_time_s"] = float(np.mean(cv["mean_fit_time"]))
        if reference is None:
            reference = cv
        timing["max_abs_score_diff_vs_first"] = float(
            np.max(np.abs(cv["mean_test_score"] - reference["mean_test_score"]))
        )
        results[mode] = timing
        print(
            f"  warm-up {timing['warm_up_s']:.1f} s, search {timing['search_s']:.1f} s, "
            f"best {timing['best_params']} {timing['best_score']:.4f}",
            flush=True,
        )

    n_fits = len(reference["params"]) * args.cv
    env = dict(environment(), joblib=joblib.__version__, cpu_count=os.cpu_count(),
               load_average_at_end=os.getloadavg())
    try:
        import distributed

        env["distributed"] = distributed.__version__
    except ImportError:
        pass
    payload = {"settings": vars(args), "grid": GRID, "n_fits": n_fits, "environment": env,
               "results": results}
    base = results.get("serial", {}).get("search_s")
    lines = [
        f"GridSearchCV(RAMLClassifier) on UCI Multiple Features: {len(reference['params'])} "
        f"grid points x cv={args.cv} = {n_fits} fits, refit=False, max_epochs={args.epochs}, "
        f"hidden_sizes=({args.hidden},), latent_dim={args.latent}; 1 torch thread per fit.",
        f"Machine: {os.cpu_count()} cores shared with other jobs (load average at the end: "
        + ", ".join(f"{v:.1f}" for v in env["load_average_at_end"]) + ").",
        "",
        "| mode | cluster start (s) | worker warm-up (s) | search (s) | speed-up | "
        "best params | best score | max score diff |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode, r in results.items():
        speed = f"{base / r['search_s']:.2f}x" if base else "-"
        start = f"{r['cluster_start_s']:.1f}" if "cluster_start_s" in r else "-"
        lines.append(
            f"| {mode} | {start} | {r['warm_up_s']:.1f} | {r['search_s']:.1f} | {speed} | "
            f"{r['best_params']} | {r['best_score']:.4f} | "
            f"{r['max_abs_score_diff_vs_first']:.1e} |"
        )
    paths = write_results(args.out, payload, "\n".join(lines))
    print("\n".join(lines))
    print("wrote", *paths)


if __name__ == "__main__":
    main()
