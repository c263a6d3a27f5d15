"""Test configuration: one torch thread (on 2 shared cores, 2 threads made epochs
up to 65x slower) and a headless matplotlib backend."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import settings  # noqa: E402

torch.set_num_threads(1)

# Property tests: random examples while developing; a fixed example sequence in CI
# (`CI=1`, set by .ci/run) so that a CI run is reproducible.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

SHARED_DATA = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def uci_home():
    """``data_home`` holding the UCI Multiple Features files, or skip."""
    path = os.path.abspath(os.path.join(SHARED_DATA, "uci_mfeat"))
    if not os.path.isdir(path):
        pytest.skip("../shared/data/uci_mfeat is not available")
    return path


@pytest.fixture
def california_home():
    """``data_home`` holding ``california_housing.csv``, or skip."""
    path = os.path.abspath(os.path.join(SHARED_DATA, "california_housing"))
    if not os.path.isfile(os.path.join(path, "california_housing.csv")):
        pytest.skip("../shared/data/california_housing is not available")
    return path
