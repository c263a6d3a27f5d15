"""skmm: scikit-learn estimators for multimodal classification and regression on
imperfect data.

Public names are imported lazily, so that ``import skmm`` stays cheap: the data
layer and the transformers need numpy only, and torch is imported the first
time an estimator is used.
"""

import importlib

__version__ = "0.1.0.dev0"

# public name -> submodule that defines it
_LAZY = {
    "MultimodalData": "skmm._data",
    "as_multimodal": "skmm._data",
    "check_multimodal": "skmm._data",
    "RAMLClassifier": "skmm.raml",
    "RAMLRegressor": "skmm.raml",
    "RedCoreClassifier": "skmm.redcore",
    "RedCoreRegressor": "skmm.redcore",
    "ConcatFusionClassifier": "skmm.baselines",
    "ConcatFusionRegressor": "skmm.baselines",
    "LateFusionClassifier": "skmm.baselines",
    "LateFusionRegressor": "skmm.baselines",
    "TrustedFusionClassifier": "skmm.trusted",
    "TrustedFusionRegressor": "skmm.trusted_regression",
    "GaussianNoise": "skmm.corruption",
    "FeatureMasking": "skmm.corruption",
    "ModalityDropout": "skmm.corruption",
    "KeepModalities": "skmm.corruption",
    "PerModality": "skmm.corruption",
    "SplitModalities": "skmm.corruption",
    "make_conflictive": "skmm.corruption",
    "MissingPatternAugmenter": "skmm.augmentation",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skmm' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
