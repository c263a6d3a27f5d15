"""The order of presence patterns, written once (pure Python: imported by the torch
side, :mod:`skmm.nn.functional`, and the numpy side, :mod:`skmm.augmentation`)."""

import itertools


def ordered_subsets(items):
    """All ``2**M - 1`` non-empty subsets of ``items``, as tuples: by size, then in the
    order of ``items`` (lexicographic by position); the full set is last."""
    items = list(items)
    return [
        subset for k in range(1, len(items) + 1) for subset in itertools.combinations(items, k)
    ]
