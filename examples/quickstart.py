"""Quick start: multimodal data with missing modalities, in scikit-learn's tools
===============================================================================

1. Build the input: a dict of per-modality arrays (``MultimodalData``, so that
   scikit-learn can index it by samples); a modality missing for a sample is
   a row of NaN.
2. Cross-validate a Pipeline that standardizes each modality
   (``PerModality(StandardScaler())``, fitted on the present rows only) and
   trains a ``RAMLClassifier``, with ``cross_val_score``.
3. Tune RAML's loss weights ``lambda1`` and ``lambda2`` with ``GridSearchCV``.
4. Score the tuned model on held-out data under every test-time missing
   pattern (``missing_pattern_scores``) and save a bar chart to
   ``OUT/quickstart_patterns.png``.

Usage::

    python examples/quickstart.py                  # digits, about a minute on CPU
    python examples/quickstart.py --data-home DIR  # UCI Multiple Features
    python examples/quickstart.py --quick          # seconds (SKMM_EXAMPLES_QUICK=1 too)

``--quick`` uses 300 samples, smaller networks and 3 epochs: the numbers are
then not meaningful (the script says so), and the output below comes from
these settings.
"""

import argparse
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmm import MultimodalData, PerModality, RAMLClassifier
from skmm.datasets import fetch_multiple_features, load_digits_multimodal
from skmm.evaluation import missing_pattern_scores
from skmm.plotting import plot_pattern_scores

# %%
# Command-line options
# --------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        default=os.environ.get("SKMM_EXAMPLES_QUICK") == "1",
                        help="smoke-test settings (also SKMM_EXAMPLES_QUICK=1)")
    parser.add_argument("--out", default=".", help="folder for the figure (default: cwd)")
    parser.add_argument("--data-home", default=None,
                        help="use UCI Multiple Features cached (or downloaded) in this folder")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads of each estimator (n_threads; default 1)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


# %%
# The four steps
# --------------
# The input with ``last`` missing for about 30% of the samples, cross-validation
# of the Pipeline, the grid search, and the held-out accuracy under every
# missing pattern (:func:`~skmm.evaluation.missing_pattern_scores`, drawn by
# :func:`~skmm.plotting.plot_pattern_scores`).


def main(argv=None):
    args = parse_args(argv)
    rng = np.random.RandomState(args.seed)
    if args.quick:
        print("[--quick] smoke-test settings: the numbers below are not meaningful.")

    # 1. The input: one array per modality, samples along the first axis.
    if args.data_home:
        data, y = fetch_multiple_features(data_home=args.data_home, return_X_y=True)
    else:
        data, y = load_digits_multimodal(return_X_y=True)
    if args.quick:
        keep = np.sort(rng.choice(len(y), 300, replace=False))
        data, y = data[keep], y[keep]
    arrays = {name: np.array(values) for name, values in data.items()}  # a plain dict
    last = list(arrays)[-1]
    arrays[last][rng.rand(len(y)) < 0.3] = np.nan  # `last` missing for ~30% of the samples
    X = MultimodalData(arrays)  # the same dict, indexable by samples
    print(X)

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=args.seed
    )

    # 2. Cross-validation of a Pipeline: one StandardScaler per modality (missing
    #    rows stay NaN), then RAML. Small networks and few epochs keep this fast.
    raml = RAMLClassifier(
        hidden_sizes=(32,) if args.quick else (64,),
        latent_dim=16 if args.quick else 32,
        lr=0.01,
        batch_size=64,
        max_epochs=3 if args.quick else 10,
        tol=None,  # a fixed number of epochs: no stopping rule (and no ConvergenceWarning)
        n_threads=args.threads,
        random_state=args.seed,
    )
    clf = make_pipeline(PerModality(StandardScaler()), raml)
    scores = cross_val_score(clf, X_train, y_train, cv=3)
    print(f"cross-validated accuracy: {scores.mean():.3f} +- {scores.std():.3f}")

    # 3. Grid search over the weights of the unimodal loss (lambda1) and of the
    #    sparsity loss (lambda2) of RAML's objective L^M + lambda1 L^U + lambda2 L^D.
    grid = {"ramlclassifier__lambda1": [0.5, 1.0], "ramlclassifier__lambda2": [0.1, 0.4]}
    search = GridSearchCV(clf, grid, cv=3).fit(X_train, y_train)
    print(f"best parameters: {search.best_params_} (accuracy {search.best_score_:.3f})")

    # 4. Held-out accuracy with only some modalities present.
    table = missing_pattern_scores(search.best_estimator_, X_test, y_test)
    print(table.round(3).to_string(index=False))
    ax = plot_pattern_scores(table)
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    path = os.path.join(args.out, "quickstart_patterns.png")
    ax.figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(ax.figure)
    print(f"Figure saved to {path}")
    return table


# %%
# Run
# ---
# The data, the cross-validated accuracy, the best parameters, the accuracy
# per pattern and its bar chart.

if __name__ == "__main__":
    main()
