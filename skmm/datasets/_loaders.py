"""Loaders of real data sets, split into modalities."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
import tempfile
import urllib.request
import warnings
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from skmm._data import MultimodalData

# ---------------------------------------------------------------------------
# scikit-learn's digits, split into views
# ---------------------------------------------------------------------------

_DIGITS_DESCR = """\
.. _digits_multimodal_dataset:

Multimodal digits (from scikit-learn's bundled digits)
------------------------------------------------------

The 1,797 8x8 handwritten digits of :func:`sklearn.datasets.load_digits`
(pixel values 0..16, ten classes), split into three views:

- ``top``: the upper four rows of the image (32 pixels);
- ``bottom``: the lower four rows (32 pixels);
- ``profile``: the projection profiles of the whole image, the 8 row sums
  followed by the 8 column sums (16 features).

``top`` and ``bottom`` are complementary (each sees half of the digit),
``profile`` is a coarse summary redundant with both. No download is needed.

Original data: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten
Digits", UCI Machine Learning Repository (1998).
"""


def load_digits_multimodal(*, return_X_y=False):
    """Load scikit-learn's digits as a three-modality data set.

    ``top`` and ``bottom`` are the two halves of the 8x8 image, ``profile``
    its row and column sums. Small (1,797 samples), bundled with
    scikit-learn, and quick to train on: the default data set of the
    examples and of ``skmm benchmark``.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        - ``data``: :class:`~skmm.MultimodalData` with float64 arrays
          ``top`` (1797, 32), ``bottom`` (1797, 32), ``profile`` (1797, 16);
        - ``target``: ndarray (1797,) of digits 0..9;
        - ``target_names``: ``np.arange(10)``;
        - ``modalities``: the modality names, in order;
        - ``feature_names``: dict modality -> list of feature names;
        - ``images``: (1797, 8, 8) original images;
        - ``DESCR``: description.
    (X, y) : tuple
        With ``return_X_y=True``.

    Examples
    --------
    >>> from skmm.datasets import load_digits_multimodal
    >>> X, y = load_digits_multimodal(return_X_y=True)
    >>> X
    MultimodalData({top: (1797, 32), bottom: (1797, 32), profile: (1797, 16)}, n_samples=1797)
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float64)
    n = images.shape[0]
    X = MultimodalData(
        top=images[:, :4, :].reshape(n, -1),
        bottom=images[:, 4:, :].reshape(n, -1),
        profile=np.hstack([images.sum(2), images.sum(1)]),
    )
    y = digits.target.copy()
    if return_X_y:
        return X, y
    feature_names = {
        "top": [f"pixel_{r}_{c}" for r in range(4) for c in range(8)],
        "bottom": [f"pixel_{r}_{c}" for r in range(4, 8) for c in range(8)],
        "profile": [f"row_{r}" for r in range(8)] + [f"col_{c}" for c in range(8)],
    }
    return Bunch(
        data=X,
        target=y,
        target_names=np.arange(10),
        modalities=list(X),
        feature_names=feature_names,
        images=images,
        DESCR=_DIGITS_DESCR,
    )


# ---------------------------------------------------------------------------
# UCI Multiple Features
# ---------------------------------------------------------------------------

_MFEAT_URL = "https://archive.ics.uci.edu/static/public/72/multiple+features.zip"
_MFEAT_FOLDER = "uci_mfeat"
# view -> (number of features, description, SHA-256 of the extracted file)
_MFEAT_VIEWS = {
    "fou": (
        76,
        "Fourier coefficients of the character shapes",
        "ab09233b93df29fef4dd85bd5c2e7a82eea2df0964fa0124627df796b2f82d34",
    ),
    "fac": (
        216,
        "profile correlations",
        "45853e2ddbb690d9f82a043ab916ad95e160d4e7d0a2d5404ecf099d633e839f",
    ),
    "kar": (
        64,
        "Karhunen-Loeve coefficients",
        "386d42f474db6491187a7c7efb21ee2d9fea8b067d1aa54ee0a5df8cdb5c2f15",
    ),
    "pix": (
        240,
        "pixel averages in 2 x 3 windows",
        "a5ea6ccf4202175f3dd8e8c07fbec6a3975a6447e01b2c8612822b75411d1524",
    ),
    "zer": (
        47,
        "Zernike moments",
        "6f00608edea2d1434eeb800cc466769e2f5373132173ce77d8e30449995e6d16",
    ),
    "mor": (
        6,
        "morphological features",
        "96fbcd7e0b411223671013a2267ce0b4670f739001df6b9e7b812165ca436880",
    ),
}

_MFEAT_DESCR = """\
.. _multiple_features_dataset:

UCI Multiple Features (handwritten digits)
------------------------------------------

2,000 handwritten digits '0'..'9' (200 per class, in class order) extracted
from Dutch utility maps, described by six views:

- ``fou``: 76 Fourier coefficients of the character shapes;
- ``fac``: 216 profile correlations;
- ``kar``: 64 Karhunen-Loeve coefficients;
- ``pix``: 240 pixel averages in 2 x 3 windows;
- ``zer``: 47 Zernike moments;
- ``mor``: 6 morphological features.

No values are missing. The views are the multimodal benchmark of the RAML
paper ("Redundancy-Adaptive Multimodal Learning for Imperfect Data").

Source: R. Duin, "Multiple Features", UCI Machine Learning Repository (1998),
https://doi.org/10.24432/C5HC70 (CC BY 4.0).
"""


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url, path):
    """Download ``url`` to ``path`` (the one network access of this module)."""
    with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as f:
        shutil.copyfileobj(response, f)


def _zip_members(archive):
    """Map ``mfeat-<view>`` file names to their bytes, looking into one nested zip too."""
    found = {}
    for info in archive.infolist():
        base = os.path.basename(info.filename)
        if base.startswith("mfeat-") and base[6:] in _MFEAT_VIEWS:
            found[base] = archive.read(info)
        elif base.endswith(".zip") and len(found) < len(_MFEAT_VIEWS):
            with zipfile.ZipFile(io.BytesIO(archive.read(info))) as inner:
                found.update({k: v for k, v in _zip_members(inner).items() if k not in found})
    return found


def _fetch_mfeat(folder):
    """Download the zip, extract the six views into ``folder`` and verify their checksums."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        zip_path = Path(tmp) / "multiple+features.zip"
        _download(_MFEAT_URL, zip_path)
        try:
            with zipfile.ZipFile(zip_path) as archive:
                members = _zip_members(archive)
        except zipfile.BadZipFile as exc:
            raise OSError(
                f"The download from {_MFEAT_URL} is not a valid zip file: {exc}"
            ) from None
        absent = [f"mfeat-{v}" for v in _MFEAT_VIEWS if f"mfeat-{v}" not in members]
        if absent:
            raise OSError(f"The archive downloaded from {_MFEAT_URL} lacks the files {absent}.")
        for view, (_, _, checksum) in _MFEAT_VIEWS.items():
            path = Path(tmp) / f"mfeat-{view}"
            path.write_bytes(members[path.name])
            actual = _sha256(path)
            if actual != checksum:
                raise OSError(
                    f"{path.name} downloaded from {_MFEAT_URL} has an SHA256 checksum ({actual}) "
                    f"differing from expected ({checksum}), file may be corrupted."
                )
        for view in _MFEAT_VIEWS:  # only verified files reach the cache
            os.replace(Path(tmp) / f"mfeat-{view}", folder / f"mfeat-{view}")


def fetch_multiple_features(*, data_home=None, download_if_missing=True, return_X_y=False):
    """Load the UCI Multiple Features data set (six views of handwritten digits).

    2,000 digits (200 per class, in class order) described by six views:
    Fourier coefficients (``fou``, 76), profile correlations (``fac``, 216),
    Karhunen-Loeve coefficients (``kar``, 64), pixel averages (``pix``, 240),
    Zernike moments (``zer``, 47) and morphological features (``mor``, 6).
    The data set of the RAML paper's multimodal experiments.

    The first call downloads the archive from the UCI repository (about
    1 MB compressed), checks the SHA-256 checksum of each extracted file and
    caches the files under ``data_home``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder; ``None`` is scikit-learn's data home (``~/scikit_learn_data``
        or ``$SCIKIT_LEARN_DATA``). The six files ``mfeat-fou`` ... ``mfeat-mor``
        (whitespace-separated numbers) are looked up in ``data_home`` itself,
        then in its subfolder ``uci_mfeat``, where a download puts them.
    download_if_missing : bool, default=True
        Download the data when it is not in the cache; otherwise raise an
        ``OSError``.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        - ``data``: :class:`~skmm.MultimodalData` of float64 arrays in the
          order ``fou, fac, kar, pix, zer, mor``;
        - ``target``: ndarray (2000,) of digits 0..9;
        - ``target_names``: ``np.arange(10)``;
        - ``modalities``: the view names, in order;
        - ``feature_names``: dict view -> list of feature names;
        - ``view_descriptions``: dict view -> what its features are;
        - ``DESCR``: description.
    (X, y) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    OSError
        The files are not cached and ``download_if_missing=False``, the
        download fails, or a downloaded file fails its checksum.

    Examples
    --------
    >>> from skmm.datasets import fetch_multiple_features
    >>> X, y = fetch_multiple_features(return_X_y=True)  # doctest: +SKIP
    >>> {name: view.shape[1] for name, view in X.items()}  # doctest: +SKIP
    {'fou': 76, 'fac': 216, 'kar': 64, 'pix': 240, 'zer': 47, 'mor': 6}
    """
    from sklearn.datasets import get_data_home

    home = Path(get_data_home(data_home))
    files = [f"mfeat-{view}" for view in _MFEAT_VIEWS]
    candidates = [home, home / _MFEAT_FOLDER]
    folder = next((c for c in candidates if all((c / f).is_file() for f in files)), None)
    if folder is None:
        if not download_if_missing:
            raise OSError(
                f"UCI Multiple Features not found in {home} (nor in {home / _MFEAT_FOLDER}) and "
                "download_if_missing is False."
            )
        folder = home / _MFEAT_FOLDER
        _fetch_mfeat(folder)
    X = {}
    for view, (n_features, _, _) in _MFEAT_VIEWS.items():
        path = folder / f"mfeat-{view}"
        try:
            values = np.loadtxt(path, dtype=np.float64, ndmin=2)
        except ValueError as exc:
            raise OSError(f"Could not parse {path}: {exc}") from None
        if values.shape != (2000, n_features):
            raise OSError(
                f"{path} holds an array of shape {values.shape}; expected (2000, {n_features}). "
                "Delete it to download it again."
            )
        X[view] = values
    X = MultimodalData(X)
    y = np.repeat(np.arange(10), 200)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        target_names=np.arange(10),
        modalities=list(X),
        feature_names={v: [f"{v}_{i}" for i in range(d)] for v, (d, _, _) in _MFEAT_VIEWS.items()},
        view_descriptions={v: desc for v, (_, desc, _) in _MFEAT_VIEWS.items()},
        DESCR=_MFEAT_DESCR,
    )


# ---------------------------------------------------------------------------
# Regression data sets of scikit-learn, split into modalities
# ---------------------------------------------------------------------------


def _check_columns(columns, required, source):
    """Raise a ValueError, naming ``source``, listing the ``required`` names not in ``columns``."""
    absent = [c for c in required if c not in columns]
    if absent:
        raise ValueError(f"{source} lacks the columns {absent}; its columns: {list(columns)}.")


def _split_columns(data, columns, groups, source):
    """:class:`MultimodalData` of the named columns of ``data``, modality -> its columns.

    ``columns`` names the columns of the 2D array ``data``; ``groups`` maps
    each modality to the names of its columns, in order.
    """
    columns = list(columns)
    _check_columns(columns, [c for cols in groups.values() for c in cols], source)
    index = {c: i for i, c in enumerate(columns)}
    return MultimodalData(
        {
            name: np.array(data[:, [index[c] for c in cols]], dtype=np.float64)
            for name, cols in groups.items()
        }
    )


_DIABETES_MODALITIES = {
    "demographics": ["age", "sex", "bmi", "bp"],
    "serum": ["s1", "s2", "s3", "s4", "s5", "s6"],
}

_DIABETES_DESCR = """\
.. _diabetes_multimodal_dataset:

Multimodal diabetes (from scikit-learn's bundled diabetes data)
---------------------------------------------------------------

The 442 diabetes patients of :func:`sklearn.datasets.load_diabetes`, whose
ten baseline variables are split into two modalities:

- ``demographics``: age (years), sex, body mass index (``bmi``) and
  average blood pressure (``bp``);
- ``serum``: six blood serum measurements, ``s1`` total cholesterol,
  ``s2`` LDL, ``s3`` HDL, ``s4`` total cholesterol / HDL, ``s5`` log of the
  serum triglycerides level, ``s6`` blood sugar level.

Target: a quantitative measure of disease progression one year after
baseline (25 to 346). By default every feature is centred and scaled to unit
sum of squares, as scikit-learn does; ``scaled=False`` gives the original
units. No values are missing and no download is needed.

Source: B. Efron, T. Hastie, I. Johnstone and R. Tibshirani, "Least Angle
Regression", Annals of Statistics 32(2), 407-499 (2004).
"""


def load_diabetes_multimodal(*, scaled=True, return_X_y=False):
    """Load scikit-learn's diabetes data as a two-modality regression data set.

    ``demographics`` (age, sex, bmi, bp) and ``serum`` (the six blood serum
    measurements ``s1`` .. ``s6``) of 442 patients; the target is the disease
    progression one year later. Small and bundled with scikit-learn (no
    download).

    Parameters
    ----------
    scaled : bool, default=True
        Features centred and scaled to unit sum of squares, as
        :func:`sklearn.datasets.load_diabetes` gives them by default;
        ``False``: original units.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        - ``data``: :class:`~skmm.MultimodalData` with float64 arrays
          ``demographics`` (442, 4) and ``serum`` (442, 6);
        - ``target``: float64 ndarray (442,) of disease progression;
        - ``modalities``: the modality names, in order;
        - ``feature_names``: dict modality -> list of feature names;
        - ``DESCR``: description.
    (X, y) : tuple
        With ``return_X_y=True``.

    See Also
    --------
    make_multimodal_regression : Synthetic multimodal regression data.

    Examples
    --------
    >>> from skmm.datasets import load_diabetes_multimodal
    >>> X, y = load_diabetes_multimodal(return_X_y=True)
    >>> X
    MultimodalData({demographics: (442, 4), serum: (442, 6)}, n_samples=442)
    >>> float(y.min()), float(y.max())
    (25.0, 346.0)
    """
    from sklearn.datasets import load_diabetes

    diabetes = load_diabetes(scaled=scaled)
    X = _split_columns(
        diabetes.data, diabetes.feature_names, _DIABETES_MODALITIES, "load_diabetes()"
    )
    y = np.asarray(diabetes.target, dtype=np.float64)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        modalities=list(X),
        feature_names={name: list(cols) for name, cols in _DIABETES_MODALITIES.items()},
        DESCR=_DIABETES_DESCR,
    )


_CALIFORNIA_FILE = "california_housing.csv"
_CALIFORNIA_MODALITIES = {
    "location": ["Latitude", "Longitude"],
    "house": ["HouseAge", "AveRooms", "AveBedrms"],
    "people": ["MedInc", "Population", "AveOccup"],
}
_CALIFORNIA_TARGET = "MedHouseVal"

_CALIFORNIA_DESCR = """\
.. _california_housing_multimodal_dataset:

Multimodal California housing
-----------------------------

The 20,640 block groups of the 1990 U.S. census in California of
:func:`sklearn.datasets.fetch_california_housing`, whose eight features are
split into three modalities:

- ``location``: ``Latitude`` and ``Longitude`` of the block group;
- ``house``: median age of the houses (``HouseAge``), average number of
  rooms (``AveRooms``) and of bedrooms (``AveBedrms``) per household;
- ``people``: median income (``MedInc``, in tens of thousands of dollars),
  population (``Population``) and average number of household members
  (``AveOccup``).

Target: the median house value of the block group (``MedHouseVal``), in
units of 100,000 dollars (capped at 5.00001). No values are missing.

Source: R. K. Pace and R. Barry, "Sparse Spatial Autoregressions",
Statistics and Probability Letters 33(3), 291-297 (1997).
"""


def _read_california_csv(path):
    """``(data, columns)`` of a CSV file with a header row, all values numeric."""
    with open(path, newline="") as f:
        header = next(csv.reader(f), None)
        if not header:
            raise ValueError(f"{path} is empty: expected a header row of column names.")
        columns = [c.strip() for c in header]
        features = [c for cols in _CALIFORNIA_MODALITIES.values() for c in cols]
        _check_columns(columns, [*features, _CALIFORNIA_TARGET], path)
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "loadtxt: input contained no data")
                data = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
        except ValueError as exc:
            raise ValueError(f"Could not parse {path}: {exc}") from None
    if data.size == 0:
        raise ValueError(f"{path} has a header but no rows of data.")
    if data.shape[1] != len(columns):
        raise ValueError(
            f"{path} has rows of {data.shape[1]} values but {len(columns)} columns in its header."
        )
    return data, columns


def fetch_california_housing_multimodal(
    *, data_home=None, download_if_missing=True, return_X_y=False
):
    """Load the California housing data as a three-modality regression data set.

    The 20,640 block groups of :func:`sklearn.datasets.fetch_california_housing`
    with their eight features split into ``location`` (Latitude, Longitude),
    ``house`` (HouseAge, AveRooms, AveBedrms) and ``people`` (MedInc,
    Population, AveOccup); the target is the median house value
    (``MedHouseVal``, in units of 100,000 dollars).

    Reads ``california_housing.csv`` in ``data_home`` when it is there
    (a header row naming the columns, which must include the eight features
    and ``MedHouseVal``, in any order, then one block group a row);
    otherwise calls ``sklearn.datasets.fetch_california_housing``, which
    downloads the data on its first call (about 400 kB) and caches it under
    ``data_home``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder of ``california_housing.csv`` or scikit-learn's cache folder;
        ``None`` is scikit-learn's data home (``~/scikit_learn_data`` or
        ``$SCIKIT_LEARN_DATA``).
    download_if_missing : bool, default=True
        Let scikit-learn download the data when neither the CSV file nor its
        cache is there; otherwise it raises an ``OSError``.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        - ``data``: :class:`~skmm.MultimodalData` with float64 arrays
          ``location`` (20640, 2), ``house`` (20640, 3) and ``people``
          (20640, 3);
        - ``target``: float64 ndarray (20640,) of median house values;
        - ``target_names``: ``["MedHouseVal"]``;
        - ``modalities``: the modality names, in order;
        - ``feature_names``: dict modality -> list of feature names;
        - ``DESCR``: description.
    (X, y) : tuple
        With ``return_X_y=True``.

    Raises
    ------
    ValueError
        The CSV file lacks a column or holds a value that is not a number.
    OSError
        No CSV file, nothing cached and ``download_if_missing=False``.

    Examples
    --------
    >>> from skmm.datasets import fetch_california_housing_multimodal
    >>> X, y = fetch_california_housing_multimodal(return_X_y=True)  # doctest: +SKIP
    >>> X  # doctest: +SKIP
    MultimodalData({location: (20640, 2), house: (20640, 3), people: (20640, 3)}, n_samples=20640)
    """
    from sklearn.datasets import get_data_home

    path = Path(get_data_home(data_home)) / _CALIFORNIA_FILE
    if path.is_file():
        data, columns = _read_california_csv(path)
        source = str(path)
        y = data[:, columns.index(_CALIFORNIA_TARGET)]
    else:
        from sklearn.datasets import fetch_california_housing

        housing = fetch_california_housing(
            data_home=data_home, download_if_missing=download_if_missing
        )
        data, columns = np.asarray(housing.data), list(housing.feature_names)
        source = "fetch_california_housing()"
        y = np.asarray(housing.target)
    X = _split_columns(data, columns, _CALIFORNIA_MODALITIES, source)
    y = np.array(y, dtype=np.float64)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        target_names=[_CALIFORNIA_TARGET],
        modalities=list(X),
        feature_names={name: list(cols) for name, cols in _CALIFORNIA_MODALITIES.items()},
        DESCR=_CALIFORNIA_DESCR,
    )
