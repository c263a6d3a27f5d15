"""Multimodal data sets: synthetic generators and loaders of real data.

* :func:`make_multimodal_classification` generates modalities whose class
  information is partly shared by all of them (redundant) and partly unique to
  each (complementary), with per-modality noise, optional sequence modalities
  and NaN-marked missing modalities.
* :func:`make_multimodal_regression` generates a regression target that adds
  up per-modality contributions (linear, or Friedman #1-like with
  interactions within and across modalities), with NaN-marked missing
  modalities.
* :func:`load_digits_multimodal` splits scikit-learn's bundled 8x8 digits into
  three views (no download).
* :func:`fetch_multiple_features` downloads and caches the UCI "Multiple
  Features" data set, six views of 2,000 handwritten digits.
* :func:`load_diabetes_multimodal` (bundled) and
  :func:`fetch_california_housing_multimodal` split two regression data sets
  of scikit-learn into modalities.

This module imports numpy and scikit-learn only (never torch).
"""

from skmm.datasets._generators import make_multimodal_classification, make_multimodal_regression
from skmm.datasets._loaders import (
    fetch_california_housing_multimodal,
    fetch_multiple_features,
    load_diabetes_multimodal,
    load_digits_multimodal,
)

__all__ = [
    "make_multimodal_classification",
    "make_multimodal_regression",
    "load_digits_multimodal",
    "fetch_multiple_features",
    "load_diabetes_multimodal",
    "fetch_california_housing_multimodal",
]
