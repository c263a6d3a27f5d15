"""Helpers shared by the benchmark scripts (not part of the skmm package).

* :func:`load_uci_mfeat` -- the UCI Multiple Features (handwritten digits) data
  as six views, read from a ``data_home`` holding the six ``mfeat-*`` files.
* :func:`standardize_views` -- per-view standardization fitted on the present
  training rows; missing (all-NaN) rows stay missing.
* :func:`view_subsets` and :func:`keep_views` -- the non-empty subsets of
  views and a copy of the data with the other views marked missing.
* :func:`write_results` -- JSON plus Markdown into ``benchmarks/results``.
"""

import itertools
import json
import os
import platform
import time

import numpy as np

from skmm._data import check_multimodal

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
DEFAULT_UCI_HOME = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "uci_mfeat"
)

#: View name -> number of features, in the order the benchmarks use.
UCI_VIEWS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}


def load_uci_mfeat(data_home=None):
    """The six views of UCI Multiple Features, as a dict of float64 arrays, and labels.

    Reads the files through :func:`skmm.datasets.fetch_multiple_features`
    (never downloads); 2000 rows, 200 per digit in order.
    """
    from skmm.datasets import fetch_multiple_features

    X, y = fetch_multiple_features(
        data_home=os.path.abspath(data_home or DEFAULT_UCI_HOME),
        download_if_missing=False,
        return_X_y=True,
    )
    X = {name: np.asarray(X[name]) for name in UCI_VIEWS}
    return X, y


def standardize_views(X_train, *others):
    """Standardize each view with the mean and std of its present training rows.

    Returns new dicts (``X_train`` first, then each of ``others``); missing rows
    stay NaN, constant features get a unit std.
    """
    data = check_multimodal(X_train, dtype=np.float64, fill=np.nan)
    out = [{} for _ in range(1 + len(others))]
    for m, name in enumerate(data.names):
        present = data.arrays[m][data.mask[:, m]]
        mean = present.mean(0)
        std = present.std(0)
        std[std == 0] = 1.0
        for dst, src in zip(out, (X_train, *others)):
            dst[name] = (np.asarray(src[name], dtype=np.float64) - mean) / std
    return out[0] if not others else tuple(out)


def view_subsets(names):
    """Every non-empty subset of ``names``, by size then in order (63 for six views)."""
    return [
        subset
        for k in range(1, len(names) + 1)
        for subset in itertools.combinations(names, k)
    ]


def keep_views(X, subset):
    """A copy of ``X`` where the views not in ``subset`` are missing (all-NaN rows)."""
    return {
        name: arr if name in subset else np.full_like(arr, np.nan, dtype=np.float64)
        for name, arr in X.items()
    }


def environment():
    """A short description of the machine and library versions, for the results."""
    import sklearn
    import skorch
    import torch

    return {
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "skorch": skorch.__version__,
        "sklearn": sklearn.__version__,
        "machine": platform.machine(),
        "torch_threads": torch.get_num_threads(),
    }


def write_results(name, payload, markdown):
    """Write ``results/<name>.json`` and ``results/<name>.md``; returns their paths."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    json_path = os.path.join(RESULTS_DIR, f"{name}.json")
    md_path = os.path.join(RESULTS_DIR, f"{name}.md")
    with open(json_path, "w") as f:
        json.dump(payload, f, indent=1, default=_json_default, allow_nan=True)
        f.write("\n")
    with open(md_path, "w") as f:
        f.write(markdown.rstrip("\n") + "\n")
    return json_path, md_path


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"Cannot serialize {type(obj).__name__}")


def markdown_table(header, rows):
    """A GitHub Markdown table from a header and rows of strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
