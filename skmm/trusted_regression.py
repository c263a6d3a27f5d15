"""Trusted (evidential) multimodal regression: a mixture of Normal-Inverse-Gamma distributions.

Two papers define the method, and :class:`TrustedFusionRegressor` implements it:

* **DER**: Amini et al., "Deep Evidential Regression", NeurIPS 2020: a
  network's head outputs the four parameters of a Normal-Inverse-Gamma (NIG)
  distribution, trained with the negative log-likelihood of its Student-t
  marginal and an evidence regularizer.
* **MoNIG**: Ma et al., "Trustworthy Multimodal Regression with Mixture of
  Normal-inverse Gamma Distributions", NeurIPS 2021: one NIG per modality,
  combined by the NIG summation operator.

Comments name the equations they implement; "DER" refers to Amini et al.
(Section 3), "MoNIG" to Ma et al. (Section 3).
"""

import math
import warnings
from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from skmm._batching import _PREDICT_BATCH
from skmm._warnings import user_stacklevel
from skmm.base import (
    MultimodalBase,
    MultimodalRegressorBase,
    fill_doc,
)
from skmm.nn.functional import masked_row_sum, row_mean
from skmm.nn.module import MultimodalModule, build_encoders, take

__all__ = [
    "TrustedFusionRegressor",
    "TrustedRegressionModule",
    "nig_combine",
    "nig_nll",
    "nig_regularizer",
]

#: Floor added to ``nu``, ``alpha - 1`` and ``beta`` after the softplus: a softplus of a
#: very negative input is 0 in float32, and each of them divides something.
_EPS = 1e-6

#: The normal quantile of a two-sided 90% interval, with which the recalibration
#: (``std_calibration="validation"``) is measured and fitted.
_Z90 = 1.6448536269514722


# ---------------------------------------------------------------------------
# Normal-Inverse-Gamma distributions: loss and combination
# ---------------------------------------------------------------------------


def nig_nll(y, gamma, nu, alpha, beta):
    """Negative log-likelihood of ``y`` under the Student-t marginal of a NIG (DER Eq. 8).

    ``NIG(gamma, nu, alpha, beta)`` is the prior ``mu ~ N(gamma, sigma^2 / nu)``,
    ``sigma^2 ~ Gamma^-1(alpha, beta)``; integrating ``mu`` and ``sigma^2`` out of
    ``N(y; mu, sigma^2)`` gives ``St(y; gamma, beta (1 + nu) / (nu alpha), 2 alpha)``,
    whose negative log-density is, with ``Omega = 2 beta (1 + nu)``::

        0.5 log(pi / nu) - alpha log(Omega) + (alpha + 0.5) log((y - gamma)^2 nu + Omega)
        + log Gamma(alpha) - log Gamma(alpha + 0.5).

    All arguments broadcast; the result has their broadcast shape.
    """
    omega = 2 * beta * (1 + nu)
    return (
        0.5 * torch.log(math.pi / nu)
        - alpha * torch.log(omega)
        + (alpha + 0.5) * torch.log((y - gamma).pow(2) * nu + omega)
        + torch.lgamma(alpha)
        - torch.lgamma(alpha + 0.5)
    )


def nig_regularizer(y, gamma, nu, alpha):
    """DER's evidence regularizer ``|y - gamma| (2 nu + alpha)`` (DER Eq. 9).

    The error times the total evidence: it lowers the evidence where the mean is
    wrong. MoNIG's released code uses the same term.
    """
    return (y - gamma).abs() * (2 * nu + alpha)


def nig_combine(gamma, nu, alpha, beta, mask=None):
    """Combine the NIG distributions of several modalities (MoNIG Eq. 9).

    The NIG summation of two distributions is::

        gamma = (nu1 gamma1 + nu2 gamma2) / (nu1 + nu2),   nu = nu1 + nu2,
        alpha = alpha1 + alpha2 + 1/2,
        beta  = beta1 + beta2 + nu1 (gamma1 - gamma)^2 / 2 + nu2 (gamma2 - gamma)^2 / 2.

    It is commutative and associative; folded over the ``k`` present
    modalities it is the closed form computed here::

        gamma = sum_i nu_i gamma_i / sum_i nu_i,   nu = sum_i nu_i,
        alpha = sum_i alpha_i + (k - 1) / 2,
        beta  = sum_i beta_i + sum_i nu_i (gamma_i - gamma)^2 / 2

    (the parallel-axis identity collects the pairwise ``beta`` terms). A
    missing modality is left out, exactly: its values are never read.

    Parameters
    ----------
    gamma, nu, alpha, beta : Tensor of shape (n, M, ...)
        The NIG parameters of each of ``M`` modalities (``nu > 0``,
        ``alpha > 1``, ``beta > 0``).
    mask : bool Tensor of shape (n, M), default=None
        Modalities to combine (``None``: all); each row needs one.

    Returns
    -------
    gamma, nu, alpha, beta : Tensor of shape (n, ...)

    Examples
    --------
    >>> import torch
    >>> from skmm.trusted_regression import nig_combine
    >>> gamma = torch.tensor([[1.0, 3.0]])  # one sample, two modalities
    >>> nu, alpha, beta = torch.tensor([[1.0, 3.0]]), torch.tensor([[2.0, 3.0]]), torch.ones(1, 2)
    >>> [round(t.item(), 4) for t in nig_combine(gamma, nu, alpha, beta)]
    [2.5, 4.0, 5.5, 3.5]
    >>> present = torch.tensor([[True, False]])  # the second modality missing
    >>> [round(t.item(), 4) for t in nig_combine(gamma, nu, alpha, beta, present)]
    [1.0, 1.0, 2.0, 1.0]
    """
    if mask is None:
        mask = torch.ones(gamma.shape[:2], dtype=torch.bool, device=gamma.device)
    present = mask.view(tuple(mask.shape) + (1,) * (gamma.dim() - 2))
    zero = torch.zeros((), dtype=gamma.dtype, device=gamma.device)
    weight = torch.where(present, nu, zero)
    nu_c = weight.sum(1)
    gamma_c = (weight * torch.where(present, gamma, zero)).sum(1) / nu_c
    k = mask.sum(1).to(gamma.dtype).view((-1,) + (1,) * (gamma.dim() - 2))
    alpha_c = torch.where(present, alpha, zero).sum(1) + (k - 1) / 2
    spread = torch.where(present, nu * (gamma - gamma_c[:, None]).pow(2), zero).sum(1)
    beta_c = torch.where(present, beta, zero).sum(1) + spread / 2
    return gamma_c, nu_c, alpha_c, beta_c


def _combine_rows(gamma, nu, alpha, beta, batch_mask, rows, mask):
    """:func:`nig_combine` for every (sample, pattern) row of an augmented batch.

    The sums over each row's present modalities are one sparse-dense product
    (:func:`skmm.nn.masked_row_sum`), so the ``2**M - 1`` patterns of
    ``augment="all"`` cost little more than one. ``beta``'s spread term is
    ``sum w d^2 - (sum w d)^2 / sum w`` with ``w = nu`` and ``d`` the deviation of
    ``gamma`` from a per-sample centre (the sample's combination over all its
    modalities, without gradient): the identity holds for any centre, and
    centring keeps float32 from cancelling.

    ``gamma, nu, alpha, beta``: ``(n, M, T)``; ``batch_mask`` ``(n, M)``;
    ``rows`` ``(R,)`` or ``None``; ``mask`` ``(R, M)``. Returns four ``(R, T)``.
    """
    n_targets = gamma.shape[-1]
    with torch.no_grad():
        centre = nig_combine(gamma, nu, alpha, beta, batch_mask)[0]  # (n, T)
    dev = gamma - centre[:, None]
    ones = torch.ones_like(gamma[..., :1])
    values = torch.cat([nu, nu * dev, nu * dev.pow(2), alpha, beta, ones], -1)
    sums = masked_row_sum(values, rows, mask)
    s0, s1, s2, a, b = sums[:, : 5 * n_targets].split(n_targets, -1)
    k = sums[:, -1:]
    shift = s1 / s0
    gamma_c = take(centre, rows) + shift
    beta_c = b + (s2 - s1 * shift).clamp_min(0) / 2
    return gamma_c, s0, a + (k - 1) / 2, beta_c


def nig_variances(nu, alpha, beta):
    """Aleatoric ``E[sigma^2] = beta / (alpha - 1)`` and epistemic
    ``Var[mu] = beta / (nu (alpha - 1))`` variances of a NIG (DER Eq. 5); their
    sum is the variance of its Student-t marginal."""
    aleatoric = beta / (alpha - 1)
    return aleatoric, aleatoric / nu


# ---------------------------------------------------------------------------
# The module
# ---------------------------------------------------------------------------


class TrustedRegressionModule(MultimodalModule):
    """Per-modality NIG heads and their mixture (MoNIG).

    Parameters
    ----------
    encoders : torch.nn.ModuleList
        One encoder per modality.
    n_targets : int
        Number of targets; each gets its own NIG per modality.
    evidence_weight : float
        ``lambda``, the weight of DER's evidence regularizer.
    """

    loss_terms = ("loss_nll", "loss_reg")

    def __init__(self, encoders, n_targets, evidence_weight):
        super().__init__()
        self.encoders = encoders
        self.n_targets = n_targets
        # DER Sec. 3.3 / MoNIG Sec. 3: a linear evidential head per modality giving
        # (gamma, nu, alpha, beta) for each target.
        self.heads = nn.ModuleList(nn.Linear(e.out_features, 4 * n_targets) for e in encoders)
        self.evidence_weight = evidence_weight

    def encode(self, batch):
        raw = torch.stack(
            [
                head(enc(x, n))
                for enc, head, x, n in zip(self.encoders, self.heads, batch.xs, batch.lengths)
            ],
            1,
        )  # (b, M, 4 T)
        gamma, nu, alpha, beta = raw.split(self.n_targets, -1)
        # DER Sec. 3.3: softplus for nu, alpha - 1 and beta (the evidence), positive
        # with a floor (see _EPS).
        nu = F.softplus(nu) + _EPS
        alpha = F.softplus(alpha) + 1 + _EPS
        beta = F.softplus(beta) + _EPS
        return (gamma, nu, alpha, beta), batch.mask

    def combined(self, encoded, mask):
        """The combined NIG of each sample over the modalities of ``mask``."""
        nig, _ = encoded
        return nig_combine(*nig, mask)

    def output(self, encoded, mask):
        return self.combined(encoded, mask)[0]

    def losses(self, encoded, y, rows, mask, sample_weight=None):
        (gamma, nu, alpha, beta), batch_mask = encoded
        n_mod = gamma.shape[1]
        # MoNIG's loss: the NIG loss of the combined distribution (every augmented
        # pattern) and of every present modality's distribution (once per sample).
        combined = _combine_rows(gamma, nu, alpha, beta, batch_mask, rows, mask)
        y_rows = take(y, rows)
        nll_c = nig_nll(y_rows, *combined).mean(-1)
        reg_c = nig_regularizer(y_rows, *combined[:3]).mean(-1)
        present = batch_mask[..., None]
        zero = torch.zeros((), dtype=gamma.dtype, device=gamma.device)
        y_m = y[:, None]
        nll_m = torch.where(present, nig_nll(y_m, gamma, nu, alpha, beta), zero)
        reg_m = torch.where(present, nig_regularizer(y_m, gamma, nu, alpha), zero)
        # Divided by M + 1: the scale of one NIG loss (MoNIG's code sums the M + 1
        # terms: the same up to a constant factor). Each row's terms times its weight (an
        # augmented copy carries its sample's).
        w_rows = take(sample_weight, rows)
        loss_nll = (
            row_mean(nll_c, w_rows) + row_mean(nll_m.mean(-1).sum(1), sample_weight)
        ) / (n_mod + 1)
        loss_reg = (
            row_mean(reg_c, w_rows) + row_mean(reg_m.mean(-1).sum(1), sample_weight)
        ) / (n_mod + 1)
        return {
            "loss": loss_nll + self.evidence_weight * loss_reg,
            "output": combined[0],
            "loss_nll": loss_nll,
            "loss_reg": loss_reg,
        }


# ---------------------------------------------------------------------------
# The estimator
# ---------------------------------------------------------------------------


@fill_doc
class TrustedFusionRegressor(MultimodalRegressorBase):
    """Trusted multimodal regression: a mixture of Normal-Inverse-Gamma distributions.

    Each modality's network (its encoder, then a linear layer) outputs, per
    target, the four parameters of a Normal-Inverse-Gamma distribution
    ``NIG(gamma_m, nu_m, alpha_m, beta_m)`` (DER, NeurIPS 2020): a prior over
    the mean ``mu`` and variance ``sigma^2`` of the target, with
    ``nu_m = softplus(.) + eps``, ``alpha_m = softplus(.) + 1 + eps`` and
    ``beta_m = softplus(.) + eps``. The distributions of the present modalities
    are combined by MoNIG's NIG summation (NeurIPS 2021, Eq. 9; see
    :func:`~skmm.trusted_regression.nig_combine`): ``gamma`` is the ``nu``-weighted mean of the
    ``gamma_m``, ``nu`` and ``alpha`` add up, and ``beta`` adds up plus the
    spread of the ``gamma_m`` around ``gamma`` (modalities that disagree
    raise the variance). A missing modality is left out of the combination.

    Training minimizes, for the combined distribution and for every present
    modality's distribution, the negative log-likelihood of the target under
    the NIG's Student-t marginal (DER Eq. 8, :func:`~skmm.trusted_regression.nig_nll`) plus
    ``evidence_weight`` times DER's evidence regularizer
    ``|y - gamma| (2 nu + alpha)`` (DER Eq. 9), as in MoNIG.

    ``predict`` returns the combined ``gamma``; ``predict(X, return_std=True)``
    also the predictive standard deviation ``sqrt(beta / (alpha - 1) + beta /
    (nu (alpha - 1)))``: the aleatoric ``E[sigma^2]`` plus the epistemic
    ``Var[mu]``, the variance of the Student-t marginal.
    :meth:`predict_uncertainty` returns the two parts apart and
    :meth:`predict_modalities` each modality's own mean and standard deviation.

    Choices (each tested):

    * The NLL is DER's, with its ``log Gamma(alpha) - log Gamma(alpha + 1/2)``
      terms: the exact Student-t log-density. MoNIG's released code leaves
      them out (it is then not a likelihood, and its ``alpha`` gradient
      differs).
    * The loss is ``(L(NIG) + sum_m L(NIG_m)) / (M + 1)`` with ``L = NLL +
      evidence_weight * R``, each averaged over the targets: MoNIG sums the
      ``M + 1`` terms (the same up to a constant factor; here
      ``train_loss`` is on the scale of one NIG's NLL). The per-modality
      terms are counted once per sample over its present modalities, the
      combined one for every augmented pattern.
    * The combination is the closed form of the pairwise rule (MoNIG's code
      folds the pairwise rule over the modalities: the same values, tested);
      during training its sums over each (sample, pattern) row are one
      sparse product, so ``augment="all"`` costs little more than no
      augmentation.
    * ``nu``, ``alpha - 1`` and ``beta`` are floored at ``1e-6``: a
      softplus can be 0 in float32, and each of them divides something.
    * ``std_calibration="validation"`` (the default; not the papers')
      rescales the combined standard deviation per presence pattern on the
      early-stopping split; ``None`` gives the papers' standard deviation
      as trained. See the parameter and Notes.

    Parameters
    ----------
    evidence_weight : float, default=0.01
        ``lambda``, the weight of DER's evidence regularizer: DER's value
        (about 0.01) and that of MoNIG's released code (its ``--risk``
        option). The targets are standardized inside ``fit``, so the
        weight does not depend on their units.
    augment : {"all", "random"} or None, default=None
        Missing-pattern augmentation per batch (see :class:`RAMLRegressor`);
        the combined loss then sees every pattern. The papers train without
        it.
    std_calibration : {"validation"} or None, default="validation"
        ``None``: the standard deviation of the combined NIG as trained (the
        papers). ``"validation"``: the predictive standard deviation of each
        presence pattern is multiplied by a factor fitted on the
        early-stopping validation split (its rows that have the pattern's
        modalities, the others masked), so that ``mean +- 1.645 std``
        covers 90% of them: the split-conformal quantile of ``|y - mean| /
        std`` over those rows, divided by 1.645, per pattern and target
        (Mondrian conformal prediction, the pattern the category). A pattern
        with fewer than 20 such rows gets the factor of all the validation
        rows, each under its own pattern. The means do not change; the
        aleatoric and epistemic parts are scaled alike; the per-modality
        standard deviations of :meth:`predict_modalities` are not. Needs
        the validation split: with ``early_stopping="auto"`` and too few
        rows for one, the standard deviations are the model's own (with a
        warning); ``early_stopping=False`` is refused. ``partial_fit`` holds
        out no split: after it the standard deviations are the model's own.
    {common}

    Attributes
    ----------
    {attributes}

    Notes
    -----
    On California housing by modalities (80/20 splits, seeds 0-2), the
    papers' intervals ``mean +- 1.645 std`` covered 82% of the test rows
    with "house" and one other modality present and 94-95% with one
    modality: MoNIG adds up ``alpha`` over the present modalities however
    little each says, which narrows the combination. With
    ``std_calibration="validation"`` every one of the 7 patterns was
    covered at 88-91%; it was also better on the two other data sets
    measured, so it is the default. ``lr=1e-3`` with
    ``lr_schedule="constant"`` (MoNIG's rate) gave the best R² with all
    modalities on two of three data sets (California 0.720 against 0.708
    with ``"adaptive"``). Details: :doc:`/user_guide/trusted_regression`.

    See Also
    --------
    TrustedFusionClassifier : Evidential fusion for classes.
    RAMLRegressor : Precision-weighted fusion of variational encoders.

    Examples
    --------
    >>> import numpy as np
    >>> from skmm.trusted_regression import TrustedFusionRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = {"a": rng.randn(80, 3), "b": rng.randn(80, 2)}
    >>> y = 10 * X["a"][:, 0] + X["b"][:, 1] + 50  # any scale: y is standardized
    >>> X["b"][:10] = np.nan  # modality "b" missing for the first ten samples
    >>> reg = TrustedFusionRegressor(max_epochs=5, random_state=0).fit(X, y)
    >>> mean, std = reg.predict(X, return_std=True)
    >>> mean.shape, std.shape, bool((std > 0).all())
    ((80,), (80,), True)
    >>> mean_b, std_b = reg.predict_modalities(X)["b"]
    >>> bool(np.isnan(std_b[:10]).all())  # no distribution where the modality is missing
    True
    """

    #: Shared parameters whose default the trusted regressor chose itself, by measurement.
    _own_defaults = ("lr",)

    _parameter_constraints = {
        **MultimodalBase._parameter_constraints,
        "evidence_weight": [Interval(Real, 0, None, closed="left")],
        "augment": MultimodalBase._AUGMENT,
        "std_calibration": [StrOptions({"validation"}), None],
    }

    def __init__(
        self,
        evidence_weight=0.01,
        augment=None,
        std_calibration="validation",
        *,
        modalities=None,
        encoders=None,
        hidden_sizes=(256,),
        train_noise=None,
        lr=1e-3,
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
        self.evidence_weight = evidence_weight
        self.augment = augment
        self.std_calibration = std_calibration
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
        return TrustedRegressionModule(
            build_encoders(self.encoders, feature_shapes, self.hidden_sizes),
            n_outputs,
            float(self.evidence_weight),
        )

    def fit(self, X, y, sample_weight=None):
        """Train on multimodal data.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input; a missing modality is a NaN row.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample: every loss term of a sample
            (in each of its augmented copies) is multiplied by it, and so is
            the validation loss that early stopping monitors; only the
            weights' ratios matter (see :ref:`sample_weights`). The
            calibration of the standard deviations
            (``std_calibration="validation"``) is weighted too: the factors
            cover 90% of the validation rows' weight.

        Returns
        -------
        self
        """
        if self.std_calibration == "validation" and self.early_stopping is False:
            raise ValueError(
                "std_calibration='validation' fits the standard deviations' scale on the "
                "early-stopping validation split: set early_stopping=True, or "
                "std_calibration=None."
            )
        return super().fit(X, y, sample_weight=sample_weight)

    def _after_training(self, net, dataset, partial=False):
        """For ``std_calibration="validation"``: keep the per-modality NIGs, presence
        mask and standardized targets of the early-stopping validation split (float64
        arrays), from which :meth:`_std_scales` fits the factors. ``partial_fit`` holds
        out no split: its standard deviations are the model's own."""
        self._calibration = None
        if self.std_calibration != "validation" or partial:
            return
        if not self.early_stopping_:  # "auto" with too few rows for a validation split
            warnings.warn(
                f"{type(self).__name__}: std_calibration='validation' needs the early-stopping "
                f"validation split, which early_stopping='auto' leaves out below "
                f"{self._validation_rows_needed()} validation rows; the standard deviations are "
                "the model's own, not recalibrated. Set early_stopping=True to calibrate on a "
                "smaller split.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
            return
        _, valid = net.train_split(dataset)
        module = net.module_
        module.eval()
        parts, ys = [], []
        with torch.no_grad():
            for batch, yb in valid.iter_batches(_PREDICT_BATCH, shuffle=False):
                parts.append(_nig_and_mask(module, batch).cpu())
                ys.append(yb.double().cpu())
        nig, mask = self._split_nig(torch.cat(parts).numpy())
        # the validation rows' weights (mean 1), or None: unweighted
        weight = None if valid.sample_weight is None else valid.sample_weight.double().cpu()
        self._calibration = {
            "nig": nig, "mask": mask, "y": torch.cat(ys).numpy(),
            "weight": None if weight is None else weight.numpy(),
        }

    # -- inference ---------------------------------------------------------

    def _split_nig(self, out):
        """``(gamma, nu, alpha, beta), mask`` from the ``(n, M, 4 T + 1)`` array of
        :func:`_nig_and_mask`."""
        t = self.n_outputs_
        return tuple(out[..., i * t : (i + 1) * t] for i in range(4)), out[..., -1] > 0.5

    def _nig(self, X):
        """Per-modality NIG parameters ``(n, M, T)`` (standardized units) and the mask."""
        return self._split_nig(self._forward(X, _nig_and_mask))

    def _std_scales(self, mask):
        """The factor of each row's standard deviations, ``(n, T)``: 1 without
        recalibration, else its presence pattern's (see ``std_calibration``)."""
        n, t = mask.shape[0], self.n_outputs_
        scales = np.ones((n, t))
        if self._calibration is None:
            return scales
        cal = self._calibration
        patterns, inverse = np.unique(mask, axis=0, return_inverse=True)
        for p, pattern in enumerate(patterns):
            rows = (cal["mask"] | ~pattern).all(1)  # the pattern's modalities all present
            weight = cal.get("weight")
            counted = rows if weight is None else rows & (weight > 0)
            if counted.sum() >= _MIN_CALIBRATION_ROWS:
                nig = tuple(a[rows] for a in cal["nig"])
                own = np.broadcast_to(pattern, (int(rows.sum()), len(pattern)))
                y = cal["y"][rows]
                weight = None if weight is None else weight[rows]
            else:  # too few rows with this pattern: every row under its own pattern
                nig, own, y = cal["nig"], cal["mask"], cal["y"]
            gamma, std = _combined_mean_std(nig, own)
            scales[inverse.ravel() == p] = _conformal_scale(np.abs(y - gamma) / std, weight)
        return scales

    def predict(self, X, return_std=False):
        """Predicted target values: the combined NIG's mean ``gamma``.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.
        return_std : bool, default=False
            Also return the predictive standard deviation.

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The shape of the ``y`` given to ``fit``.
        std : ndarray of the same shape
            Only with ``return_std=True``: the standard deviation of the
            combined NIG's Student-t marginal, ``sqrt(beta / (alpha - 1) +
            beta / (nu (alpha - 1)))`` (aleatoric plus epistemic variance),
            in the targets' units; with ``std_calibration="validation"``,
            times the scale of the row's presence pattern.
        """
        nig, mask = self._nig(X)
        gamma, std = _combined_mean_std(nig, mask)
        if not return_std:
            return self._unscale(gamma)
        std = std * self._std_scales(mask) * self._y_scale
        return self._unscale(gamma), self._shape(std)

    def predict_uncertainty(self, X):
        """The aleatoric and epistemic standard deviations of the combined NIG.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        dict
            ``"aleatoric"``: ``sqrt(E[sigma^2]) = sqrt(beta / (alpha - 1))``,
            the noise the model expects in the target; ``"epistemic"``:
            ``sqrt(Var[mu]) = sqrt(beta / (nu (alpha - 1)))``, its uncertainty
            about the mean. Standard deviations (not variances) in the
            targets' units, each an ndarray of the shape of ``predict(X)``;
            ``aleatoric**2 + epistemic**2`` is the square of
            ``predict(X, return_std=True)[1]`` (both scaled by the same
            factor with ``std_calibration="validation"``).
        """
        nig, mask = self._nig(X)
        _, nu, alpha, beta = _combine_np(nig, mask)
        aleatoric, epistemic = nig_variances(nu, alpha, beta)
        scale = self._std_scales(mask) * self._y_scale
        return {
            "aleatoric": self._shape(np.sqrt(aleatoric) * scale),
            "epistemic": self._shape(np.sqrt(epistemic) * scale),
        }

    def predict_modalities(self, X):
        """Each modality's own NIG: its mean and predictive standard deviation.

        Parameters
        ----------
        X : dict, MultimodalData, array-like or DataFrame
            Multimodal input with the modalities seen in ``fit``.

        Returns
        -------
        dict
            Modality name -> ``(mean, std)``: ndarrays of the shape of
            ``predict(X)``, in the targets' units (the standard deviation of
            the modality's Student-t marginal, as trained: never
            recalibrated), NaN in the rows where the modality is missing.
        """
        (gamma, nu, alpha, beta), mask = self._nig(X)
        aleatoric, epistemic = nig_variances(nu, alpha, beta)
        std = np.sqrt(aleatoric + epistemic)
        missing = ~mask[..., None]
        gamma, std = np.where(missing, np.nan, gamma), np.where(missing, np.nan, std)
        return {
            name: (self._unscale(gamma[:, m]), self._shape(std[:, m] * self._y_scale))
            for m, name in enumerate(self.modalities_)
        }


#: Fewest validation rows with a pattern's modalities for a scale of its own.
_MIN_CALIBRATION_ROWS = 20


def _nig_and_mask(module, batch):
    """Per-modality NIG parameters and presence, ``(b, M, 4 T + 1)`` float64."""
    nig, mask = module.encode(batch)
    return torch.cat([t.double() for t in nig] + [mask[..., None].double()], -1)


def _combine_np(nig, mask):
    """:func:`nig_combine` of float64 arrays."""
    out = nig_combine(*(torch.from_numpy(np.ascontiguousarray(a)) for a in nig),
                      torch.from_numpy(np.ascontiguousarray(mask)))
    return tuple(t.numpy() for t in out)


def _combined_mean_std(nig, mask):
    """The combined NIG's mean and predictive std (standardized units), ``(n, T)``."""
    gamma, nu, alpha, beta = _combine_np(nig, mask)
    aleatoric, epistemic = nig_variances(nu, alpha, beta)
    return gamma, np.sqrt(aleatoric + epistemic)


def _conformal_scale(ratios, weight=None):
    """``s`` per target such that ``|y - mean| <= 1.645 s std`` on 90% of the rows
    (``ratios = |y - mean| / std``, ``(n, T)``): the split-conformal quantile, the
    ``ceil(0.9 (n + 1))``-th smallest ratio (the largest when ``n < 9``), over 1.645.

    With the rows' ``weight`` (``(n,)``): over the rows of positive weight, the
    smallest ratio whose rows at or below it hold ``0.9 (W + w_mean)`` of their
    total weight ``W``, the new row counted with their mean weight (the largest
    ratio when none does). Equal weights give the unweighted quantile, and rows
    of weight zero count as left out.
    """
    if weight is not None:
        ratios, weight = ratios[weight > 0], weight[weight > 0]
    n = ratios.shape[0]
    if weight is None:
        k = min(n, -(-9 * (n + 1) // 10))  # ceil(0.9 (n + 1)) in integers
        return np.sort(ratios, axis=0)[k - 1] / _Z90
    order = np.argsort(ratios, axis=0, kind="stable")  # (n, T), each target's own order
    cumulative = np.cumsum(weight[order], axis=0)
    total = cumulative[-1]
    need = 0.9 * (total + total / n)
    # the first position whose cumulative weight reaches the need (n - 1 when none does);
    # the tolerance keeps equal weights at the unweighted position despite rounding
    k = np.minimum((cumulative < need - 1e-9 * total).sum(0), n - 1)
    row = np.take_along_axis(order, k[None], 0)  # (1, T): the row at that position
    return np.take_along_axis(ratios, row, 0)[0] / _Z90
