"""Scaling out through joblib: pickling, CUDA hygiene, worker threads, and
GridSearchCV on loky and on a dask.distributed cluster giving the serial result.

Worker start-up (spawning processes that import torch) dominates the run time,
so the searches share one serial reference, one loky pool and one cluster.
"""

import logging
import os
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from skmm import MultimodalData, RAMLClassifier

PARAM_GRID = {"lambda1": [0.1, 2.0]}
CV_KEYS = ("split0_test_score", "split1_test_score", "mean_test_score", "rank_test_score")


def _data():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1], 30)
    a = y[:, None] + rng.randn(60, 5)
    b = y[:, None] * 0.5 + rng.randn(60, 3)
    b[::7] = np.nan  # modality "b" missing for some samples
    return MultimodalData(a=a, b=b), y


def _estimator(**params):
    return RAMLClassifier(
        hidden_sizes=(8,), latent_dim=4, max_epochs=3, batch_size=32, random_state=0, **params
    )


def _search():
    # neg_log_loss is continuous: equal scores mean (numerically) equal trained models.
    return GridSearchCV(_estimator(), PARAM_GRID, cv=2, scoring="neg_log_loss")


def _worker_threads(_=None):
    """What a worker sees: torch's intra-op threads and the variables it reads."""
    return (
        torch.get_num_threads(),
        os.environ.get("OMP_NUM_THREADS"),
        os.environ.get("MKL_NUM_THREADS"),
    )


def _assert_same_search(search, reference):
    assert search.best_params_ == reference.best_params_
    for key in CV_KEYS:
        np.testing.assert_array_equal(search.cv_results_[key], reference.cv_results_[key])


@pytest.fixture(scope="module")
def serial_search():
    X, y = _data()
    search = _search().fit(X, y)
    # the grid must discriminate, or "same best parameters" would prove little
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] != scores[1]
    return search


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    # A Nanny writes its pre-spawn variables (OMP_NUM_THREADS=1, ...) into this
    # process's environment too; restore it for the rest of the test session.
    environ = dict(os.environ)
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
        os.environ.clear()
        os.environ.update(environ)


# ---------------------------------------------------------------------------
# Pickling: what joblib sends to every worker
# ---------------------------------------------------------------------------


def test_unfitted_estimator_pickles_as_its_parameters():
    payload = pickle.dumps(_estimator(lambda1=0.5))
    assert len(payload) < 1024
    assert b"torch" not in payload and b"skorch" not in payload
    clone = pickle.loads(payload)
    assert clone.get_params() == _estimator(lambda1=0.5).get_params()


def test_multimodal_data_pickles_as_its_arrays():
    X, _ = _data()
    nbytes = sum(v.nbytes for v in X.values())
    payload = pickle.dumps(X)
    assert nbytes < len(payload) < nbytes + 512
    back = pickle.loads(payload)
    assert type(back) is MultimodalData and back.shape == (60,)
    assert list(back) == ["a", "b"]
    np.testing.assert_array_equal(back["b"], X["b"])  # NaN rows survive
    # a cv fold (a view of the first rows) ships only its own rows
    part = X[:10]
    assert len(pickle.dumps(part)) < sum(v.nbytes for v in part.values()) + 512


def test_fitted_model_pickle_holds_no_training_data(serial_search):
    X, _ = _data()
    model = serial_search.best_estimator_
    payload = pickle.dumps(model)
    # module + Adam state + history: tens of kB whatever the training set size
    assert len(payload) < 100_000
    np.testing.assert_array_equal(pickle.loads(payload).predict_proba(X), model.predict_proba(X))


def test_import_unpickle_predict_creates_no_cuda_context(tmp_path, serial_search):
    X, _ = _data()
    model = serial_search.best_estimator_
    assert model.device == "cpu"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps((model, X, model.predict(X))))
    code = textwrap.dedent(
        f"""
        import pickle, sys
        import numpy as np
        import skmm
        assert "torch" not in sys.modules, "import skmm imported torch"
        with open({str(path)!r}, "rb") as f:
            model, X, expected = pickle.load(f)
        np.testing.assert_array_equal(model.predict(X), expected)
        import torch
        assert not torch.cuda.is_initialized(), "a CUDA context was created"
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_plain_dict_cannot_go_through_grid_search():
    # documented in docs/scaling.rst: sklearn counts the dict's keys
    X, y = _data()
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        _search().fit(dict(X), y)


# ---------------------------------------------------------------------------
# The same search on loky and on dask.distributed
# ---------------------------------------------------------------------------


def test_grid_search_loky_matches_serial(serial_search):
    X, y = _data()
    # One thread per worker whatever the machine, so that every fit runs the
    # same kernels as the (single-threaded, see conftest) serial reference.
    with joblib.parallel_backend("loky", inner_max_num_threads=1):
        search = _search().set_params(n_jobs=2).fit(X, y)
        seen = joblib.Parallel(n_jobs=2)(joblib.delayed(_worker_threads)(i) for i in range(4))
    _assert_same_search(search, serial_search)
    # torch in a loky worker follows the variables loky sets when it spawns it
    assert set(seen) == {(1, "1", "1")}


def test_grid_search_dask_matches_serial(serial_search, dask_client):
    X, y = _data()
    with joblib.parallel_backend("dask"):
        search = _search().set_params(n_jobs=2).fit(X, y)
    _assert_same_search(search, serial_search)
    # dask's nanny gave each worker one torch thread
    assert len(dask_client.scheduler_info()["workers"]) == 2
    seen = dask_client.run(_worker_threads)
    assert set(seen.values()) == {(1, "1", "1")}
