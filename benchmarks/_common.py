"""Helpers shared by the benchmark scripts (not part of the skmm package).

The evaluation protocol itself is the library's
:func:`skmm.evaluation.robustness_report`; this file only holds what the
scripts need around it:

* :func:`load_uci_mfeat` -- the UCI Multiple Features views, read (never
  downloaded) from a ``data_home`` holding the six ``mfeat-*`` files;
* :func:`split` -- a stratified train/test split of multimodal data;
* :data:`STANDARDIZE` -- per-view standardization on the present training rows,
  the ``preprocess`` every script gives the report;
* :class:`BareLoop` -- the one bare PyTorch training loop the speed comparisons
  measure skmm against;
* :func:`environment`, :func:`provenance`, :func:`write_results` (the one
  function that writes ``benchmarks/results``: every JSON it writes carries a
  ``provenance`` block, every table a one-line provenance header),
  :func:`markdown_table`.

Why the bare loop lives here and not in :mod:`skmm.evaluation`: it drives the
estimators' private pieces (``_build_module``, ``TensorData``, the module's
``encode``/``losses``) and exists only to measure skmm's own overhead; in the
library it would be public API nobody else needs and would bring torch into
``skmm.evaluation``, which imports numpy and scikit-learn only.
"""

import json
import os
import platform
import shlex
import subprocess
import sys
import time

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skmm import MultimodalData, PerModality

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_UCI_HOME = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "uci_mfeat"
)

#: View name -> number of features, in the order the benchmarks use.
UCI_VIEWS = {"fou": 76, "fac": 216, "kar": 64, "pix": 240, "zer": 47, "mor": 6}

#: Each view standardized with the mean/std of its present training rows (missing rows
#: stay NaN): the ``preprocess`` of every ``robustness_report`` call here.
STANDARDIZE = PerModality(StandardScaler())


def load_uci_mfeat(data_home=None, views=None):
    """UCI Multiple Features as a MultimodalData of float64 views, and labels.

    Reads the files through :func:`skmm.datasets.fetch_multiple_features`
    (never downloads); 2000 rows, 200 per digit in order.
    """
    from skmm.datasets import fetch_multiple_features

    X, y = fetch_multiple_features(
        data_home=os.path.abspath(data_home or DEFAULT_UCI_HOME),
        download_if_missing=False,
        return_X_y=True,
    )
    return MultimodalData({v: np.asarray(X[v]) for v in views or UCI_VIEWS}), y


def split(X, y, test_size, seed):
    """``X_train, y_train, X_test, y_test``: a stratified split, ``random_state=seed``."""
    train, test = train_test_split(
        np.arange(len(y)), test_size=test_size, stratify=y, random_state=seed
    )
    X = MultimodalData(X)
    return X[train], y[train], X[test], y[test]


def sync(device):
    import torch

    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


class BareLoop:
    """A fresh copy of an estimator's module, trained by a plain PyTorch loop.

    The same module (``clf._build_module``), Adam settings, batch size,
    on-device tensors and per-batch work as skmm's ``fit``: ``module.encode``,
    ``skmm.nn.expand_patterns`` (the estimator's ``augment``),
    ``module.losses``, backward, step, and RedCore's regulation of ``eta``
    after each step (a callback in skmm); random batch order. What it leaves
    out is what skmm adds: skorch's loop, history and the input pipeline.
    """

    def __init__(self, clf, X, y, device="cpu", seed=0):
        import torch

        from skmm._batching import TensorData
        from skmm._data import check_multimodal

        data = check_multimodal(X)
        classes, y_enc = np.unique(y, return_inverse=True)
        self.dataset = TensorData.from_arrays(data, y_enc.astype(np.int64), device)
        self.device, self.batch_size = device, clf.batch_size
        self.augment = getattr(clf, "augment", None)  # LateFusion has none
        torch.manual_seed(seed)
        task = clf._task()
        self.module = clf._build_module(data.feature_shapes, len(classes), task).to(device)
        self.optimizer = torch.optim.Adam(
            self.module.parameters(), lr=clf.lr, weight_decay=clf.weight_decay
        )

    def epoch(self):
        """Train one epoch; returns its wall time in seconds (device synchronized)."""
        import torch

        from skmm.nn import expand_patterns

        module, opt, bs = self.module, self.optimizer, self.batch_size
        module.train()
        sync(self.device)
        start = time.perf_counter()
        n = len(self.dataset)
        order = torch.randperm(n, device=self.device)
        total = torch.zeros((), device=self.device)
        for first in range(0, n, bs):
            batch, yb = self.dataset.batch(order[first : first + bs])
            opt.zero_grad(set_to_none=True)
            encoded = module.encode(batch)
            rows, mask = expand_patterns(batch.mask, self.augment)
            terms = module.losses(encoded, yb, rows, mask)
            loss = terms["loss"]
            loss.backward()
            opt.step()
            if "mse_per_modality" in terms:  # RedCore's regulation (skmm: a callback)
                module._regulate(terms["mse_per_modality"], terms["observed_modalities"])
            total += loss.detach()
        float(total)  # one host sync per epoch
        sync(self.device)
        return time.perf_counter() - start

    def predict_proba(self):
        """Class probabilities of the training data, in a ``no_grad`` loop."""
        import torch

        self.module.eval()
        out = []
        with torch.no_grad():
            for first in range(0, len(self.dataset), self.batch_size):
                batch, _ = self.dataset.batch(slice(first, first + self.batch_size))
                out.append(self.module(batch).softmax(-1).cpu())
        return torch.cat(out).numpy()


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


def _git(*args):
    try:
        return subprocess.run(
            ["git", "--no-optional-locks", *args], cwd=REPO_ROOT, capture_output=True,
            text=True, timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def command_line(argv=None):
    """The command that is running, as typed from the repository root."""
    argv = list(sys.argv if argv is None else argv)
    if argv and argv[0].endswith(".py"):
        argv[0] = os.path.relpath(os.path.abspath(argv[0]), REPO_ROOT)
    return shlex.join(["python", *argv])


def provenance(command=None):
    """Where a result comes from: commit, command, UTC date and machine.

    ``commit`` is ``git rev-parse HEAD`` and ``dirty`` says whether tracked files
    other than the results differed from it (``dirty_paths`` lists them);
    ``command`` is ``sys.argv`` as typed from the repository root (``argv``
    verbatim); ``machine`` the cores, platform and library versions, and the
    torch threads of this process.
    """
    import sklearn
    import skorch
    import torch

    changed = [line[3:] for line in _git("status", "--porcelain", "--untracked-files=no")
               .splitlines() if line.strip()]
    changed = [path for path in changed if not path.startswith("benchmarks/results/")]
    return {
        "commit": _git("rev-parse", "HEAD").strip(),
        "dirty": bool(changed),
        "dirty_paths": changed[:50],
        "command": command or command_line(),
        "argv": list(sys.argv),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "sklearn": sklearn.__version__,
            "skorch": skorch.__version__,
            "torch_threads": torch.get_num_threads(),
        },
        "recorded": "at run time",
    }


def provenance_line(prov):
    """The one-line header of a result table, from a ``provenance`` block."""
    machine = prov["machine"]
    commit = prov["commit"][:7] or "unknown"
    if prov.get("dirty"):
        commit += " with uncommitted changes"
    text = (
        f"Provenance: commit {commit}; `{prov['command']}`; {prov['date']}; "
        f"{machine['cpus']} cores, torch {machine['torch']}"
    )
    if "torch_threads" in machine:
        text += f", {machine['torch_threads']} torch thread(s)"
    text += "."
    if prov.get("recorded", "at run time") != "at run time":
        # the first clause: "afterwards from git history", "at run time"
        text += f" Recorded {prov['recorded'].split(':')[0].split(' (')[0]}."
    if prov.get("note"):
        text += f" {prov['note']}"
    return text


def write_results(name, payload, markdown, ext=".md", command=None):
    """Write ``results/<name>.json`` and ``results/<name><ext>``; returns their paths.

    The one function that writes result files. The JSON gets a ``provenance``
    block (:func:`provenance`; ``command`` overrides the recorded command line)
    and the table (``ext`` ``.md`` or ``.txt``) a one-line provenance header.
    ``name`` may also be a path (a ``--quick`` run writes to the temp folder).
    """
    base = _result_path(name)
    json_path = base + ".json"
    prov = provenance(command)
    payload["provenance"] = prov
    with open(json_path, "w") as f:
        json.dump(payload, f, indent=1, default=_json_default, allow_nan=True)
        f.write("\n")
    return json_path, write_table(name, markdown, prov, ext)


def write_table(name, markdown, prov, ext=".md"):
    """Write ``results/<name><ext>``, a table with the one-line provenance header of
    ``prov`` (a result's ``provenance`` block): a second table of a payload that
    :func:`write_results` wrote under another name. Returns its path."""
    path = _result_path(name) + ext
    with open(path, "w") as f:
        f.write(provenance_line(prov) + "\n\n" + markdown.strip("\n") + "\n")
    return path


def _result_path(name):
    """``results/<name>`` (or ``name`` itself when it is a path), its folder made."""
    os.makedirs(RESULTS_DIR, exist_ok=True)
    base = name if os.path.isabs(name) else os.path.join(RESULTS_DIR, name)
    os.makedirs(os.path.dirname(base), exist_ok=True)
    return base


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray | tuple):
        return list(obj)
    if hasattr(obj, "to_dict"):  # a DataFrame
        return obj.to_dict(orient="records")
    return str(obj)  # e.g. a parameter value in a search's best_params


def markdown_table(header, rows):
    """A GitHub Markdown table from a header and rows of strings."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
