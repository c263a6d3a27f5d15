"""Batch-level functions run on the training device: missing-pattern
augmentation as index arithmetic, sample-weighted means of per-row terms, and
training-time noise."""

import torch

from skmm._patterns import ordered_subsets

__all__ = [
    "missing_patterns",
    "expand_patterns",
    "masked_row_sum",
    "row_mean",
    "add_train_noise",
]


def missing_patterns(n_modalities, device=None):
    """All ``2**M - 1`` non-empty presence patterns, as a ``(P, M)`` bool tensor.

    Rows are ordered by the number of present modalities, then
    lexicographically; the full pattern is the last row.
    """
    subsets = ordered_subsets(range(n_modalities))
    rows = [[m in subset for m in range(n_modalities)] for subset in subsets]
    return torch.tensor(rows, dtype=torch.bool, device=device)


def expand_patterns(mask, mode):
    """Missing-pattern augmentation of a batch, without copying any data.

    Parameters
    ----------
    mask : bool tensor of shape (n, M)
        Presence mask of the batch.
    mode : {"all", "random"} or None
        ``"all"``: every sample is repeated with every non-empty pattern
        (the RAML paper's "all possible missing patterns"). ``"random"``: each
        sample gets one pattern drawn uniformly from those that leave it a
        present modality. ``None``: no augmentation.

    Returns
    -------
    rows : long tensor of shape (n_out,) or None
        Sample index of each output row (``None`` means the identity).
    new_mask : bool tensor of shape (n_out, M)
        The augmented presence mask. A modality already missing in a sample
        stays missing; pattern/sample pairs that would leave no modality are
        dropped.
    """
    if mode is None:
        return None, mask
    patterns = missing_patterns(mask.shape[1], device=mask.device)
    combined = patterns[:, None, :] & mask[None, :, :]  # (P, n, M)
    valid = combined.any(-1)  # (P, n)
    if mode == "all":
        p_idx, rows = valid.nonzero(as_tuple=True)
        return rows, combined[p_idx, rows]
    if mode == "random":
        choice = torch.multinomial(valid.T.float(), 1).squeeze(1)  # (n,)
        rows = torch.arange(mask.shape[0], device=mask.device)
        return rows, combined[choice, rows]
    raise ValueError(f"augment must be 'all', 'random' or None, got {mode!r}.")


def masked_row_sum(values, rows, mask):
    """Sum over the present modalities of each (sample, pattern) row.

    ``out[r] = sum_m mask[r, m] * values[rows[r], m]``, computed as one
    sparse-dense product: the ``(R, M, F)`` gather that a direct indexing would
    build (and its gradient) never exists, so that all ``2**M - 1`` augmented
    patterns of a batch cost little more than one.

    Parameters
    ----------
    values : Tensor of shape (n, M, F)
        Per-sample, per-modality vectors.
    rows : long Tensor of shape (R,) or None
        Sample of each output row (``None``: ``arange(n)``).
    mask : bool Tensor of shape (R, M)
        Modalities summed in each output row.

    Returns
    -------
    Tensor of shape (R, F)

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import masked_row_sum
    >>> values = torch.arange(12.0).view(2, 3, 2)  # 2 samples, 3 modalities
    >>> rows = torch.tensor([0, 0, 1])
    >>> mask = torch.tensor([[True, False, False], [True, True, True], [False, True, True]])
    >>> masked_row_sum(values, rows, mask).tolist()
    [[0.0, 1.0], [6.0, 9.0], [18.0, 20.0]]
    """
    n, n_mod, n_feat = values.shape
    if rows is None and (torch.is_inference_mode_enabled() or torch.onnx.is_in_onnx_export()):
        # One row per sample and no gradient (prediction; ONNX, which has no sparse
        # product): the same sums, dense, in two operations (a third of RAML's one-row
        # prediction went to building the sparse matrix).
        return torch.where(mask[..., None], values, values.new_zeros(())).sum(1)
    if rows is None:
        rows = torch.arange(n, device=values.device)
    out_row, modality = mask.nonzero(as_tuple=True)
    index = torch.stack([out_row, rows[out_row] * n_mod + modality])
    ones = torch.ones(out_row.shape[0], dtype=values.dtype, device=values.device)
    select = torch.sparse_coo_tensor(
        index, ones, (mask.shape[0], n * n_mod), check_invariants=False
    )
    return torch.sparse.mm(select, values.reshape(n * n_mod, n_feat))


def row_mean(values, sample_weight=None):
    """The mean over the rows of a per-row loss term, each row's term times its weight.

    ``(values * sample_weight).mean()``: the batch mean of a loss term, with
    each row counted ``sample_weight[r]`` times. The estimators rescale the
    weights to a mean of 1 over the rows an epoch iterates (the training rows,
    or the validation split), so that this is, in expectation over the random
    batches, the weighted mean ``sum_i w_i l_i / sum_i w_i`` of the whole data
    set: the loss of the data set with each row repeated ``w_i`` times (for
    integer weights). The denominator is the number of rows, as in the
    unweighted mean, so that a batch of light rows moves the parameters
    little, as it would with repetitions, where ``sum_i w_i l_i / sum_i w_i``
    per batch would give it a full step.

    Parameters
    ----------
    values : Tensor of shape (n,) or (n, ...)
        The term of each row (a sample, or an augmented row); with more
        dimensions, the mean is over all the elements, each row's times its
        weight.
    sample_weight : Tensor of shape (n,) or None
        The weight of each row (``take(sample_weight, rows)`` for augmented
        rows: every copy of a sample carries its weight). ``None``:
        ``values.mean()``, the unweighted code path, unchanged.

    Returns
    -------
    Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import row_mean
    >>> loss = torch.tensor([1.0, 2.0, 3.0])
    >>> float(row_mean(loss))
    2.0
    >>> float(row_mean(loss, torch.tensor([0.0, 1.5, 1.5])))  # the first row left out
    2.5
    """
    if sample_weight is None:
        return values.mean()
    weight = sample_weight.to(values.dtype).view(-1, *(1,) * (values.dim() - 1))
    return (values * weight).mean()


def add_train_noise(xs, mask, p, max_std):
    """Corruption-aware training: noise on one present modality of some samples.

    With probability ``p`` per sample, one of its present modalities (drawn
    uniformly) gets additive Gaussian noise whose std is drawn uniformly from
    ``[0, max_std]`` (in the units of the input, so standardize features first).
    ``xs`` is never modified: a modality that gets noise comes back as a new
    tensor, one that gets none is returned as it is.
    """
    n, n_mod = mask.shape
    device = mask.device
    hit = torch.rand(n, device=device) < p
    # Uniform choice among present modalities: argmax of random keys.
    keys = torch.rand(n, n_mod, device=device).masked_fill(~mask, -1.0)
    chosen = keys.argmax(1)
    std = torch.rand(n, device=device) * max_std
    out = []
    for m, x in enumerate(xs):
        scale = (std * (hit & (chosen == m))).to(x.dtype)
        if not bool(scale.any()):
            out.append(x)
            continue
        scale = scale.view(-1, *([1] * (x.dim() - 1)))
        out.append(x + scale * torch.randn_like(x))
    return out
