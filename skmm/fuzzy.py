"""Fuzzy multi-view learning (FUML): memberships, credibility and dual-reliable fusion.

Wang et al., "Deep Fuzzy Multi-view Learning for Reliable Classification",
ICML 2025 (the authors' code: github.com/siyuancncd/FUML). Comments name the
paper's equations (Section 3.2) that a line implements: "Eq. 3" is the
membership, "Eq. 2" the category credibility, "Eq. 5" the credibility during
training, "Eq. 6" the fuzzy-entropy uncertainty, "Eq. 7" the conflict degree,
"Eq. 8" the dual-reliable fusion, "Eq. 4" and "Eq. 9" the loss.
"""

import math
from numbers import Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval
from torch import nn

from skmm.base import MultimodalBase, MultimodalClassifierBase, fill_doc
from skmm.nn.functional import row_mean
from skmm.nn.module import MultimodalModule, build_encoders, take

__all__ = [
    "FuzzyFusionClassifier",
    "FuzzyFusionModule",
    "conflict_degree",
    "credibility",
    "credibility_loss",
    "fuse",
    "fuzzy_uncertainty",
    "memberships",
    "training_credibility",
]

#: The authors' code's epsilon inside the logarithms of the fuzzy entropy (Eq. 6).
_LOG_EPS = 1e-11
#: The authors' code's clamp inside the logarithms of the loss (Eq. 4).
_LOSS_EPS = 1e-7


# ---------------------------------------------------------------------------
# The equations
# ---------------------------------------------------------------------------


def memberships(logits, p=3.0):
    """Class memberships of logits: ``m = ReLU(a / ||a||_p)`` (Eq. 3).

    Parameters
    ----------
    logits : Tensor of shape (..., K)
    p : float, default=3.0
        The norm's order (the paper and the authors' code: 3).

    Returns
    -------
    Tensor of shape (..., K)
        In ``[0, 1]``; all zeros where every logit is ``<= 0``.

    Examples
    --------
    >>> import torch
    >>> from skmm.fuzzy import memberships
    >>> [round(v, 4) for v in memberships(torch.tensor([3.0, -4.0]), p=2).tolist()]
    [0.6, 0.0]
    """
    norm = torch.linalg.vector_norm(logits, ord=p, dim=-1, keepdim=True)
    # a zero logit vector has no direction: its memberships are 0 (not NaN); the clamp at 1
    # only catches rounding (|a_k| <= ||a||_p), which would put a credibility above 1
    return (logits / norm.clamp_min(torch.finfo(logits.dtype).tiny)).clamp(0, 1)


def _max_of_others(m):
    """``max{m_l | l != k}`` for every ``k``: the top-1 value, or the top-2 one at the top-1."""
    top2, index = m.topk(2, dim=-1)
    others = top2[..., :1].expand_as(m).clone()
    others.scatter_(-1, index[..., :1], top2[..., 1:2])
    return others


def credibility(m):
    """Category credibility ``c_k = (m_k + 1 - max{m_l | l != k}) / 2`` (Eq. 1-2).

    The mean of the possibility ``m_k`` and the necessity
    ``1 - max{m_l | l != k}`` (Eq. 1): what the method predicts with.

    Parameters
    ----------
    m : Tensor of shape (..., K)
        Memberships, ``K >= 2``.

    Returns
    -------
    Tensor of shape (..., K)
        In ``[0, 1]``; the top class's credibility is ``>= 1/2``, the others'
        ``<= 1/2``, so ``argmax c == argmax m``.

    Examples
    --------
    >>> import torch
    >>> from skmm.fuzzy import credibility
    >>> [round(v, 4) for v in credibility(torch.tensor([0.8, 0.4, 0.0])).tolist()]
    [0.7, 0.3, 0.1]
    """
    return (m + 1 - _max_of_others(m)) / 2


def training_credibility(m, y):
    """Category credibility during training, which uses the label ``y`` (Eq. 5).

    For the label's class, ``r_y = (m_y + 1 - max{m_l | l != y}) / 2`` as in
    Eq. 2; for every other class ``k``, ``r_k = (m_k + 1 - m_y) / 2``: the
    necessity is measured against the label's membership, so that driving
    ``r_k`` to 0 drives ``m_y`` to 1 (not the other classes' memberships,
    as Eq. 2 would).

    Parameters
    ----------
    m : Tensor of shape (n, K)
    y : long Tensor of shape (n,)

    Returns
    -------
    Tensor of shape (n, K)
    """
    onehot = F.one_hot(y, m.shape[-1]).to(torch.bool)
    m_label = m.gather(-1, y[:, None])  # (n, 1)
    m_top_other = m.masked_fill(onehot, float("-inf")).amax(-1, keepdim=True)
    necessity = torch.where(onehot, 1 - m_top_other, 1 - m_label)
    return (m + necessity) / 2


def fuzzy_uncertainty(c):
    """Fuzzy-entropy uncertainty of credibilities (Eq. 6).

    ``u = sum_k H(c_k) / (K ln 2)`` with ``H(t) = -t ln t - (1 - t) ln(1 - t)``,
    in ``[0, 1]``: 0 when every ``c_k`` is 0 or 1, 1 when every ``c_k`` is
    1/2. The logarithms take ``1e-11`` as in the authors' code (``ln(t +
    1e-11)``), so that the gradient stays finite at 0 and 1.

    Parameters
    ----------
    c : Tensor of shape (..., K)

    Returns
    -------
    Tensor of shape (...)

    Examples
    --------
    >>> import torch
    >>> from skmm.fuzzy import fuzzy_uncertainty
    >>> round(fuzzy_uncertainty(torch.tensor([0.5, 0.5])).item(), 6)
    1.0
    """
    c = c.clamp(0, 1)  # rounding only: Eq. 2 and Eq. 5 are in [0, 1]
    entropy = -c * torch.log(c + _LOG_EPS) - (1 - c) * torch.log(1 - c + _LOG_EPS)
    return entropy.sum(-1) / (c.shape[-1] * math.log(2))


def _pair_distance(m):
    """Cosine distances ``1 - cos(m_i, m_j)`` between all views, ``(n, M, M)``.

    A zero membership vector has cosine 0 with everything (distance 1), as
    ``torch.nn.functional.cosine_similarity`` gives it.
    """
    norm = torch.linalg.vector_norm(m, dim=-1, keepdim=True).clamp_min(1e-8)
    unit = m / norm
    return 1 - unit @ unit.transpose(-1, -2)


def conflict_degree(m, mask, distance=None):
    """Each view's conflict degree with the other present views (Eq. 7).

    ``o_v = 1 / (|P| - 1) sum_{j in P, j != v} (1 - cos(m_v, m_j))`` over the
    present views ``P`` of the row: the mean cosine distance to the other
    present views. A row with one present view has no other view to conflict
    with: its ``o_v`` is 0 (the authors' code's value with one view). Missing
    views get 0 (they are left out of the fusion anyway).

    Parameters
    ----------
    m : Tensor of shape (n, M, K)
        Memberships per view.
    mask : bool Tensor of shape (n, M)
        Present views.
    distance : Tensor of shape (n, M, M), default=None
        Precomputed :func:`_pair_distance` of ``m`` (for augmented rows).

    Returns
    -------
    Tensor of shape (n, M)

    Examples
    --------
    >>> import torch
    >>> from skmm.fuzzy import conflict_degree
    >>> m = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]])
    >>> conflict_degree(m, torch.tensor([[True, True, True]])).tolist()
    [[0.5, 1.0, 0.5]]
    >>> conflict_degree(m, torch.tensor([[True, False, True]])).tolist()
    [[0.0, 0.0, 0.0]]
    """
    if distance is None:
        distance = _pair_distance(m)
    n_mod = mask.shape[-1]
    eye = torch.eye(n_mod, dtype=torch.bool, device=mask.device)
    pair = mask[:, :, None] & mask[:, None, :] & ~eye  # present j != v
    total = torch.where(pair, distance, torch.zeros_like(distance)).sum(-1)
    n_others = (mask.sum(-1, keepdim=True) - 1).clamp_min(1).to(m.dtype)
    return torch.where(mask, total / n_others, torch.zeros_like(total))


def fuse(m, uncertainty, conflict, mask):
    """Dual-reliable fusion of the present views' memberships (Eq. 8).

    ``w_v = exp((1 - u_v)(1 - o_v)) / sum_{j in P} exp((1 - u_j)(1 - o_j))``
    over the present views ``P`` (``g = exp``, the paper's choice), and
    ``m_a = sum_v w_v m_v``. A missing view's score is ``-inf`` before the
    softmax: its weight is exactly 0 and the others' sum to one.

    Parameters
    ----------
    m : Tensor of shape (n, M, K)
    uncertainty, conflict : Tensor of shape (n, M)
    mask : bool Tensor of shape (n, M)

    Returns
    -------
    fused : Tensor of shape (n, K)
    weights : Tensor of shape (n, M)

    Examples
    --------
    >>> import torch
    >>> from skmm.fuzzy import fuse
    >>> m = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    >>> u, o = torch.tensor([[0.0, 1.0]]), torch.zeros(1, 2)
    >>> fused, w = fuse(m, u, o, torch.tensor([[True, False]]))
    >>> fused.tolist(), w.tolist()
    ([[1.0, 0.0]], [[1.0, 0.0]])
    """
    score = (1 - uncertainty) * (1 - conflict)
    score = torch.where(mask, score, torch.full_like(score, float("-inf")))
    weights = torch.softmax(score, -1)
    # a row with no present view (never trained on) fuses to zero memberships, not NaN
    weights = torch.where(mask, weights, torch.zeros_like(weights))
    return (weights[..., None] * m).sum(1), weights


def credibility_loss(r, y):
    """Category credibility learning loss per row (Eq. 4): the binary cross-entropy.

    ``-sum_k [y_k ln r_k + (1 - y_k) ln(1 - r_k)]`` against the one-hot label,
    each logarithm's argument clamped at ``1e-7`` as in the authors' code.

    Parameters
    ----------
    r : Tensor of shape (n, K)
        Credibilities during training (Eq. 5).
    y : long Tensor of shape (n,)

    Returns
    -------
    Tensor of shape (n,)
    """
    onehot = F.one_hot(y, r.shape[-1]).to(r.dtype)
    log_r = r.clamp_min(_LOSS_EPS).log()
    log_not_r = (1 - r).clamp_min(_LOSS_EPS).log()
    return -(onehot * log_r + (1 - onehot) * log_not_r).sum(-1)


# ---------------------------------------------------------------------------
# The module
# ---------------------------------------------------------------------------


class FuzzyFusionModule(MultimodalModule):
    """Per-view membership networks and dual-reliable fusion.

    Parameters
    ----------
    encoders : torch.nn.ModuleList
        One encoder per modality.
    n_classes : int
        ``K``.
    p : float
        The order of the norm of Eq. 3.
    """

    loss_terms = ("loss_fused", "loss_views")

    def __init__(self, encoders, n_classes, p):
        super().__init__()
        self.encoders = encoders
        self.heads = nn.ModuleList(nn.Linear(e.out_features, n_classes) for e in encoders)
        self.p = p

    def encode(self, batch):
        # Eq. 3: each view's logits a_v, normalized by their p-norm and rectified.
        logits = [
            head(enc(x, n))
            for enc, head, x, n in zip(self.encoders, self.heads, batch.xs, batch.lengths)
        ]
        return memberships(torch.stack(logits, 1), self.p), batch.mask  # (b, M, K)

    def views(self, m, rows, mask, y=None, distance=None):
        """Credibility, uncertainty, conflict, weights and fused memberships of each row.

        Row ``r`` is sample ``rows[r]`` under presence pattern ``mask[r]``.
        With labels ``y`` (of the samples), the credibilities are those during
        training (Eq. 5); without, those of Eq. 2.
        """
        n, n_mod, n_classes = m.shape
        if y is None:
            c = credibility(m)  # Eq. 2
        else:
            c = training_credibility(m.reshape(n * n_mod, n_classes), y.repeat_interleave(n_mod))
            c = c.view(n, n_mod, n_classes)  # Eq. 5
        u = fuzzy_uncertainty(c)  # Eq. 6, (n, M)
        if distance is None:
            distance = _pair_distance(m)
        o = conflict_degree(take(m, rows), mask, take(distance, rows))  # Eq. 7, per row
        fused, weights = fuse(take(m, rows), take(u, rows), o, mask)  # Eq. 8
        return c, u, o, weights, fused

    def fused_credibility(self, m, rows, mask):
        """The fused memberships' credibility (Eq. 2 of Eq. 8): the prediction."""
        return credibility(self.views(m, rows, mask)[-1])

    @staticmethod
    def _log_proba(c):
        # the credibilities normalized to sum to one, as logits (softmax(log p) == p)
        return (c / c.sum(-1, keepdim=True)).clamp_min(1e-12).log()

    def output(self, encoded, mask):
        m, _ = encoded
        return self._log_proba(self.fused_credibility(m, None, mask))

    def losses(self, encoded, y, rows, mask, sample_weight=None):
        m, batch_mask = encoded
        n, n_mod, n_classes = m.shape
        distance = _pair_distance(m)
        # Training (Eq. 5 credibilities, also in the fusion weights: Sec. 3.2.3 and Alg. 1).
        r, _, _, _, fused = self.views(m, rows, mask, y, distance)
        y_rows = take(y, rows)
        r_fused = training_credibility(fused, y_rows)  # Eq. 5 of the fused memberships
        # Eq. 9: L_ccl(r_a, y) + sum_v L_ccl(r_v, y), each Eq. 4 (a mean over the rows);
        # a missing view's term is left out of its sample's sum.
        # (Each row's terms times its weight; an augmented copy carries its sample's.)
        loss_fused = row_mean(credibility_loss(r_fused, y_rows), take(sample_weight, rows))
        per_view = credibility_loss(r.reshape(n * n_mod, n_classes), y.repeat_interleave(n_mod))
        per_view = torch.where(batch_mask.reshape(-1), per_view, torch.zeros_like(per_view))
        loss_views = row_mean(per_view.view(n, n_mod).sum(1), sample_weight)
        with torch.no_grad():  # the prediction (Eq. 2 credibilities): validation accuracy
            output = self._log_proba(credibility(self.views(m, rows, mask, None, distance)[-1]))
        return {
            "loss": loss_fused + loss_views,
            "output": output,
            "loss_fused": loss_fused,
            "loss_views": loss_views,
        }


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


def _fused_credibility(module, batch):
    """The prediction's fused credibility (Eq. 2 of Eq. 8) of a batch, in float64 from
    the network's float32 memberships."""
    return module.fused_credibility(module.encode(batch)[0].double(), None, batch.mask)


@fill_doc
class FuzzyFusionClassifier(MultimodalClassifierBase):
    """Fuzzy multi-view learning (FUML): credibility, fuzzy uncertainty, conflict-aware fusion.

    Each modality's network (its encoder, then a linear layer) outputs logits
    ``a_v``; its **memberships** are ``m_v = ReLU(a_v / ||a_v||_p)`` (Eq. 3),
    in ``[0, 1]``. The **credibility** of class ``k`` is the mean of its
    possibility and its necessity, ``c_k = (m_k + 1 - max_{l != k} m_l) / 2``
    (Eq. 2). A view's **uncertainty** is the normalized fuzzy entropy of its
    credibilities, ``u_v = sum_k H(c_k) / (K ln 2)`` (Eq. 6), and its
    **conflict degree** ``o_v`` is its mean cosine distance to the other
    present views' memberships (Eq. 7). The present views are fused with the
    weights ``softmax_v((1 - u_v)(1 - o_v))`` into ``m_a = sum_v w_v m_v``
    (Eq. 8), whose credibility is the prediction.

    Training minimizes the binary cross-entropy between the one-hot label and
    the credibility during training (Eq. 4), for the fused memberships and for
    every present view (Eq. 9). The credibility during training uses the label
    (Eq. 5): for a class ``k`` other than the label ``y``,
    ``r_k = (m_k + 1 - m_y) / 2``.

    A missing modality is left out: its fusion weight is 0 (its score is
    ``-inf`` before the softmax, which normalizes over the present views), it
    counts in no other view's conflict degree, a view's conflict degree is
    the mean over the *present* other views (0 when it is the only present
    view, whose weight is then 1), and its loss term is left out.

    ``predict_proba`` is the fused credibility normalized to sum to one,
    ``c_a / sum_k c_ak``; its argmax is that of ``c_a`` and of ``m_a``
    (``predict``). Credibilities are not probabilities: each ``c_k`` is in
    ``[0, 1]`` on its own (the top class's is at least 1/2), and the
    normalization only makes rows sum to one; with two classes
    ``c_1 + c_2 = 1`` already. :meth:`predict_uncertainty` returns the fused
    prediction's fuzzy-entropy uncertainty ``u_a`` (Eq. 6 of ``c_a``), and
    :meth:`predict_modalities` each view's credibility, uncertainty, conflict
    degree and fusion weight.

    Choices where the paper and the authors' code differ, or are silent
    (each tested):

    * **The credibility during training** (Eq. 5, label-dependent) is used,
      as in the paper and the code, for the loss *and* for the fusion weights
      during training (the paper, Sec. 3.2.3: "during training, the
      uncertainty is calculated based on the category credibility during
      training"). Predictions use Eq. 2 throughout, as both do at test time.
      The validation loss (early stopping) is the training loss on the
      validation rows; the validation accuracy is that of the prediction.
    * **p = 3** in Eq. 3 (the paper's appendix and the code agree; the code
      calls it adjustable): ``p`` is a parameter.
    * **Eq. 7 excludes the view itself** (``j != v``), as the paper writes.
      The code sums over all views including ``v``: the same except for a
      view whose memberships are all zero, whose cosine distance to itself
      is 1 there (``cosine_similarity`` of a zero vector is 0).
    * **Training settings**: the code trains 500 epochs with Adam at
      ``lr=1e-3``, weight decay 1e-5 (the paper's appendix: 1e-4), batches
      of 100, two hidden layers as wide as each view's input with dropout
      0.1, and reports the best test accuracy over epochs. skmm keeps its
      shared defaults (early stopping on a validation split included): on
      UCI Multiple Features they matched the authors' code at its last
      epoch (:doc:`/user_guide/fuzzy`).
    * Memberships are clamped to ``[0, 1]``: in float32, rounding can put
      ``|a_k| / ||a||_p`` just above 1, a credibility above 1 and its
      entropy at NaN.
    * The code's fuzzy entropy returns 0 for a whole batch whose
      credibilities have at most one non-zero entry, and adds 1e-11 to the
      fusion scores before the softmax (no effect on it); neither is kept.
      Its 1e-11 inside the entropy's logarithms and its 1e-7 clamp in the
      loss are.

    Parameters
    ----------
    p : float, default=3.0
        Order of the norm that turns logits into memberships (Eq. 3), ``>= 1``.
    augment : {"all", "random"} or None, default=None
        Missing-pattern augmentation per batch (see
        :class:`RAMLClassifier`): the fused loss then sees every pattern of
        present views, with the weights renormalized over them; each view's
        own loss counts once per sample. The paper trains without it.
    {common}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    TrustedFusionClassifier : Evidential (Dirichlet) fusion with uncertainty.
    skmm.make_conflictive : RCML's conflictive test protocol.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm import FuzzyFusionClassifier
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(0, 2, 60)
    >>> X = {"a": y[:, None] + 0.3 * rng.randn(60, 3), "b": y[:, None] + rng.randn(60, 2)}
    >>> X["b"][:10] = np.nan  # modality "b" missing for the first ten samples
    >>> clf = FuzzyFusionClassifier(max_epochs=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X).shape, clf.predict_uncertainty(X).shape
    ((60, 2), (60,))
    >>> views = clf.predict_modalities(X)["b"]
    >>> float(views["weight"][:10].max())  # a missing view has weight 0
    0.0
    """

    _parameter_constraints = {
        **MultimodalBase._parameter_constraints,
        "p": [Interval(Real, 1, None, closed="left")],
        "augment": MultimodalBase._AUGMENT,
        "class_weight": MultimodalClassifierBase._CLASS_WEIGHT,
    }

    def __init__(
        self,
        p=3.0,
        augment=None,
        *,
        class_weight=None,
        modalities=None,
        encoders=None,
        hidden_sizes=(256,),
        train_noise=None,
        lr=3e-4,
        lr_schedule="constant",
        weight_decay=5e-4,
        batch_size=128,
        max_epochs=200,
        tol=1e-4,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        device="cpu",
        n_threads=1,
        data_placement="auto",
        random_state=None,
        callbacks=None,
        verbose=0,
        warm_start=False,
    ):
        self.p = p
        self.augment = augment
        self.class_weight = class_weight
        self.modalities = modalities
        self.encoders = encoders
        self.hidden_sizes = hidden_sizes
        self.train_noise = train_noise
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.device = device
        self.n_threads = n_threads
        self.data_placement = data_placement
        self.random_state = random_state
        self.callbacks = callbacks
        self.verbose = verbose
        self.warm_start = warm_start

    def _build_module(self, feature_shapes, n_outputs, task):
        # the credibility loss is the method's own: memberships exist for classes only
        encoders = build_encoders(self.encoders, feature_shapes, self.hidden_sizes)
        return FuzzyFusionModule(encoders, n_outputs, float(self.p))

    def predict_proba(self, X):
        """Class probabilities: the fused credibility normalized, ``c_a / sum_k c_ak``.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """

        def proba(module, batch):
            c = _fused_credibility(module, batch)
            return c / c.sum(1, keepdim=True)

        return self._forward(X, proba)

    def predict_uncertainty(self, X):
        """Uncertainty of the fused prediction: the fuzzy entropy of ``c_a`` (Eq. 6).

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,)
            In ``[0, 1]``: 0 when every fused credibility is 0 or 1 (one
            class certain, the others excluded), 1 when every one is 1/2 (no
            membership at all, or two classes with equal memberships and
            nothing between them: ``c_k = 1/2`` needs ``m_k`` equal to the
            highest other membership).
        """

        return self._forward(X, lambda module, batch: fuzzy_uncertainty(
            _fused_credibility(module, batch)))

    def predict_modalities(self, X):
        """Each view's credibility (Eq. 2), uncertainty (Eq. 6), conflict (Eq. 7) and weight.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        dict
            Modality name -> dict of ndarrays: ``"credibility"`` (n_samples,
            n_classes), ``"uncertainty"``, ``"conflict"`` and ``"weight"``
            (n_samples,). Where the modality is missing, the first three are
            NaN and the weight is 0; the weights of a sample sum to one over
            its modalities.
        """

        def per_view(module, batch):
            m = module.encode(batch)[0].double()
            c, u, o, w, _ = module.views(m, None, batch.mask)
            stats = torch.cat([c, u[..., None], o[..., None]], -1)
            stats = torch.where(batch.mask[..., None], stats, torch.full_like(stats, float("nan")))
            return torch.cat([stats, w[..., None]], -1)

        out = self._forward(X, per_view)
        return {
            name: {
                "credibility": out[:, m, :-3],
                "uncertainty": out[:, m, -3],
                "conflict": out[:, m, -2],
                "weight": out[:, m, -1],
            }
            for m, name in enumerate(self.modalities_)
        }
