"""Per-modality encoders.

Every encoder maps one modality's batch to a fixed-size vector:
``forward(x, lengths=None) -> (batch, out_features)``. ``x`` is ``(batch, d)``
for a 2D modality, ``(batch, T, d)`` for a sequence, in which case
``lengths`` holds the number of valid (non-padding) timesteps of each sample.
Each encoder exposes ``out_features``.

The sequence encoders (:class:`LSTMEncoder`, :class:`TextCNNEncoder`,
:class:`TransformerEncoder`) share three rules:

* padding never leaks: the output of a sample depends only on its first
  ``lengths[i]`` timesteps, whatever follows them and however long ``T`` is;
* a sample with ``lengths[i] == 0`` (the modality is missing) gets an output
  row of zeros, finite in the forward and the backward pass (it is computed
  as if one timestep were valid, then replaced by zeros);
* the batch is cut to its longest sequence before the computation
  (``trim=True``), which changes nothing in the results, only the time.
"""

import copy
import math

import torch
from torch import nn

__all__ = [
    "MLPEncoder",
    "LSTMEncoder",
    "TextCNNEncoder",
    "TransformerEncoder",
    "make_encoder",
    "SEQUENCE_ENCODERS",
]


class MLPEncoder(nn.Module):
    """A multilayer perceptron for 2D features: ``Linear -> ReLU`` per hidden size.

    Parameters
    ----------
    in_features : int
        Input dimension.
    hidden_sizes : sequence of int, default=(256,)
        Width of each layer. One layer by default: under a method's linear
        head it makes the two-layer MLP of the RAML paper's image and text
        encoders; on the data sets of :doc:`/defaults` one layer of 256
        was as good as two or better.
    dropout : float, default=0.0
        Dropout after each layer.
    """

    def __init__(self, in_features, hidden_sizes=(256,), dropout=0.0):
        super().__init__()
        layers, width = [], in_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        self.net = nn.Sequential(*layers)
        self.out_features = width

    def forward(self, x, lengths=None):
        """Encode ``x`` ``(b, in_features)`` into ``(b, out_features)``.

        ``lengths`` is ignored (the sequence encoders' signature).
        """
        return self.net(x)


# ---------------------------------------------------------------------------
# Sequence helpers: padding masks and masked pooling
# ---------------------------------------------------------------------------


def _sequence_mask(x, lengths, trim):
    """Padding bookkeeping shared by the sequence encoders.

    Returns ``x`` (cut to the longest sequence when ``trim``), the lengths
    clamped to ``[1, T]`` (a missing row is computed as if its first timestep,
    zeros, were valid, so that nothing is NaN), the ``(b, T)`` bool mask of
    valid timesteps under those lengths, and the ``(b,)`` presence mask.
    """
    if x.dim() != 3:
        raise ValueError(
            f"A sequence encoder takes a (batch, timesteps, features) tensor, got shape "
            f"{tuple(x.shape)}."
        )
    b, t = x.shape[:2]
    if lengths is None:
        lengths = torch.full((b,), t, dtype=torch.long, device=x.device)
    present = lengths > 0
    eff = lengths.clamp(1, max(t, 1))
    if trim and b:
        t_max = int(eff.max())
        if t_max < t:
            x = x[:, :t_max]
    valid = torch.arange(x.shape[1], device=x.device) < eff[:, None]
    return x, eff, valid, present


def _masked_max(h, valid):
    """Max over axis 1 of ``h`` (b, T, f) at the valid timesteps only."""
    return h.masked_fill(~valid[..., None], float("-inf")).amax(1)


def _masked_mean(h, valid, eff):
    """Mean over axis 1 of ``h`` (b, T, f) at the valid timesteps only."""
    return h.masked_fill(~valid[..., None], 0.0).sum(1) / eff[:, None].to(h.dtype)


def _zero_missing(out, present):
    """Rows of absent samples become exact zeros (their gradient too)."""
    return torch.where(present[:, None], out, out.new_zeros(()))


# ---------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------


class LSTMEncoder(nn.Module):
    """A unidirectional LSTM followed by max-pooling over the valid timesteps.

    The RAML paper's audio and video encoder: "one-layer LSTMs followed by
    max-pooling". The LSTM runs over the padded batch: at a valid step ``t``
    its output depends on steps ``0..t`` only, so the padding that follows
    cannot change it, and the pooling skips the padded steps.

    Parameters
    ----------
    in_features : int
        Features per timestep.
    hidden_size : int, default=128
        LSTM state size, which is also ``out_features``.
    num_layers : int, default=1
        Stacked LSTM layers (paper: 1).
    dropout : float, default=0.0
        Dropout on the pooled output (and between stacked layers).
    trim : bool, default=True
        Cut each batch to its longest sequence first (results are identical).

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import LSTMEncoder
    >>> enc = LSTMEncoder(5, hidden_size=8)
    >>> x = torch.randn(3, 4, 5)
    >>> out = enc(x, torch.tensor([4, 2, 0]))  # the third sample is missing
    >>> out.shape
    torch.Size([3, 8])
    >>> out[2].abs().sum().item()
    0.0
    """

    def __init__(self, in_features, hidden_size=128, num_layers=1, dropout=0.0, trim=True):
        super().__init__()
        self.lstm = nn.LSTM(
            in_features,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.trim = trim
        self.out_features = hidden_size

    def forward(self, x, lengths=None):
        """Encode ``x`` ``(b, T, in_features)`` into ``(b, out_features)``.

        ``lengths`` ``(b,)`` counts each sample's valid timesteps (``None``: all
        ``T``); a sample of length 0 is missing and encodes to zeros.
        """
        x, _, valid, present = _sequence_mask(x, lengths, self.trim)
        h, _ = self.lstm(x)  # (b, T, hidden); valid steps never see later padding
        return _zero_missing(self.dropout(_masked_max(h, valid)), present)


# ---------------------------------------------------------------------------
# TextCNN
# ---------------------------------------------------------------------------


class TextCNNEncoder(nn.Module):
    """Kim's (2014) TextCNN: 1D convolutions of several widths, ReLU, max over time.

    The RAML paper's text encoder. Each kernel of width ``k`` slides over the
    sequence zero-extended by ``k - 1`` steps on both sides (a "full"
    convolution, as in Kim's code, so that sequences shorter than ``k`` still
    have windows); the max-pooling takes the ``length + k - 1`` windows that
    start before the end of the sequence. Padding timesteps are set to zero
    before the convolution, so a window that reaches past the end sees exactly
    the zeros of that extension: the output is that of the sequence alone,
    whatever padding (or training noise on it) follows.

    Parameters
    ----------
    in_features : int
        Features per timestep (e.g. the word-embedding dimension).
    n_filters : int or sequence of int, default=100
        Filters per kernel width (one number for all, or one per width).
        ``out_features`` is their sum.
    kernel_sizes : sequence of int, default=(3, 4, 5)
        Kernel widths.
    dropout : float, default=0.0
        Dropout on the pooled output (Kim: 0.5).
    trim : bool, default=True
        Cut each batch to its longest sequence first (results are identical).

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import TextCNNEncoder
    >>> enc = TextCNNEncoder(5, n_filters=4, kernel_sizes=(2, 3))
    >>> enc(torch.randn(3, 6, 5), torch.tensor([6, 1, 3])).shape
    torch.Size([3, 8])
    """

    def __init__(self, in_features, n_filters=100, kernel_sizes=(3, 4, 5), dropout=0.0, trim=True):
        super().__init__()
        kernel_sizes = tuple(int(k) for k in kernel_sizes)
        if not kernel_sizes or min(kernel_sizes) < 1:
            raise ValueError(f"kernel_sizes must be positive integers, got {kernel_sizes!r}.")
        if isinstance(n_filters, int):
            n_filters = (n_filters,) * len(kernel_sizes)
        n_filters = tuple(int(n) for n in n_filters)
        if len(n_filters) != len(kernel_sizes) or min(n_filters) < 1:
            raise ValueError(
                f"n_filters must be a positive int or one positive int per kernel size "
                f"{kernel_sizes}, got {n_filters!r}."
            )
        self.kernel_sizes = kernel_sizes
        self.convs = nn.ModuleList(
            nn.Conv1d(in_features, n, k, padding=k - 1) for n, k in zip(n_filters, kernel_sizes)
        )
        self.dropout = nn.Dropout(dropout)
        self.trim = trim
        self.out_features = sum(n_filters)

    def forward(self, x, lengths=None):
        """Encode ``x`` ``(b, T, in_features)`` into ``(b, out_features)``.

        ``lengths`` ``(b,)`` counts each sample's valid timesteps (``None``: all
        ``T``); a sample of length 0 is missing and encodes to zeros.
        """
        x, eff, valid, present = _sequence_mask(x, lengths, self.trim)
        x = x.masked_fill(~valid[..., None], 0.0).transpose(1, 2)  # (b, d, T), zero padding
        pooled = []
        for k, conv in zip(self.kernel_sizes, self.convs):
            h = torch.relu(conv(x))  # (b, f, T + k - 1); window j covers steps j-k+1 .. j
            starts = torch.arange(h.shape[2], device=h.device) < (eff + (k - 1))[:, None]
            pooled.append(h.masked_fill(~starts[:, None, :], float("-inf")).amax(2))
        return _zero_missing(self.dropout(torch.cat(pooled, 1)), present)


# ---------------------------------------------------------------------------
# Transformer
# ---------------------------------------------------------------------------


def _sinusoid(t, d, device, dtype):
    """Sinusoidal positional encodings of Vaswani et al. (2017), ``(t, d)``."""
    pos = torch.arange(t, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(
        torch.arange(0, d, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / d)
    )
    pe = torch.zeros(t, d, device=device, dtype=torch.float32)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq[: d // 2])
    return pe.to(dtype)


class TransformerEncoder(nn.Module):
    """A Transformer encoder over the timesteps, pooled over the valid ones.

    A linear projection to ``d_model``, positional encodings, ``n_layers``
    pre-norm ``torch.nn.TransformerEncoderLayer`` with a key padding mask
    built from the lengths (padding is never attended to), a final layer
    norm, then mean- or max-pooling over the valid timesteps. The RedCore
    paper's configuration is ``d_model=128, n_heads=8, n_layers=3``; the
    defaults are smaller.

    Parameters
    ----------
    in_features : int
        Features per timestep.
    d_model : int, default=64
        Model width, which is also ``out_features``.
    n_heads : int, default=4
        Attention heads; must divide ``d_model``.
    n_layers : int, default=2
        Encoder layers.
    dim_feedforward : int, default=None
        Width of the feed-forward blocks; ``None`` means ``2 * d_model``.
    dropout : float, default=0.1
        Dropout inside the layers.
    pooling : {"mean", "max"}, default="mean"
        Pooling over the valid timesteps.
    positional : {"sinusoidal", "learned"}, default="sinusoidal"
        Fixed sinusoidal encodings (any length) or learned embeddings (at most
        ``max_len`` timesteps).
    max_len : int, default=512
        Longest sequence with ``positional="learned"``.
    trim : bool, default=True
        Cut each batch to its longest sequence first (results are identical).

    Examples
    --------
    >>> import torch
    >>> from skmm.nn import TransformerEncoder
    >>> enc = TransformerEncoder(5, d_model=8, n_heads=2, n_layers=1)
    >>> enc(torch.randn(3, 4, 5), torch.tensor([4, 2, 0])).shape
    torch.Size([3, 8])
    """

    def __init__(
        self,
        in_features,
        d_model=64,
        n_heads=4,
        n_layers=2,
        dim_feedforward=None,
        dropout=0.1,
        pooling="mean",
        positional="sinusoidal",
        max_len=512,
        trim=True,
    ):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"n_heads={n_heads} must divide d_model={d_model}.")
        if pooling not in ("mean", "max"):
            raise ValueError(f"pooling must be 'mean' or 'max', got {pooling!r}.")
        if positional not in ("sinusoidal", "learned"):
            raise ValueError(f"positional must be 'sinusoidal' or 'learned', got {positional!r}.")
        self.proj = nn.Linear(in_features, d_model)
        if positional == "learned":
            self.position = nn.Parameter(torch.randn(max_len, d_model) * 0.02)
        else:
            self.register_parameter("position", None)
        layer = nn.TransformerEncoderLayer(
            d_model,
            n_heads,
            dim_feedforward or 2 * d_model,
            dropout,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, n_layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.pooling, self.positional, self.max_len = pooling, positional, max_len
        self.trim = trim
        self.out_features = d_model

    def forward(self, x, lengths=None):
        """Encode ``x`` ``(b, T, in_features)`` into ``(b, out_features)``.

        ``lengths`` ``(b,)`` counts each sample's valid timesteps (``None``: all
        ``T``); a sample of length 0 is missing and encodes to zeros.
        """
        x, eff, valid, present = _sequence_mask(x, lengths, self.trim)
        h = self.proj(x)
        t = h.shape[1]
        if self.position is None:
            h = h + _sinusoid(t, h.shape[2], h.device, h.dtype)
        else:
            if t > self.max_len:
                raise ValueError(
                    f"Sequences of {t} timesteps exceed max_len={self.max_len} of the learned "
                    "positional embeddings; raise max_len or use positional='sinusoidal'."
                )
            h = h + self.position[:t]
        # Every row has at least one unmasked key (lengths clamped to >= 1): no NaN.
        h = self.encoder(h, src_key_padding_mask=~valid)
        out = _masked_mean(h, valid, eff) if self.pooling == "mean" else _masked_max(h, valid)
        return _zero_missing(out, present)


# ---------------------------------------------------------------------------
# Building encoders from a spec
# ---------------------------------------------------------------------------

#: Built-in encoder names for sequence modalities; the first is the default.
SEQUENCE_ENCODERS = ("lstm", "textcnn", "transformer")


def _split(total, parts):
    """``total`` as ``parts`` near-equal positive ints (the first ones larger)."""
    base, extra = divmod(total, parts)
    return tuple(base + (i < extra) for i in range(parts))


def make_encoder(spec, feature_shape, hidden_sizes=(256,), *, name=None):
    """Build the encoder of one modality.

    Parameters
    ----------
    spec : str, torch.nn.Module or None
        ``"mlp"`` for 2D features; ``"lstm"``, ``"textcnn"`` or
        ``"transformer"`` for sequences; or a module following the encoder
        protocol (it must have ``out_features``; a deep copy is returned, so
        training never changes the module passed). ``None`` picks the default
        for the shape: ``"mlp"`` for 2D features, ``"lstm"`` for sequences
        (the RAML paper's audio and video encoder).
    feature_shape : tuple
        ``(d,)`` for 2D features, ``(None, d)`` for sequences.
    hidden_sizes : sequence of int
        Widths of the built-in encoders. ``"mlp"``: one layer per size.
        Sequence encoders: the last size is the output width
        (``out_features``): the LSTM's ``hidden_size``; the TextCNN's total
        number of filters, split as evenly as possible over kernel widths
        3, 4 and 5; the Transformer's ``d_model``, with the most heads among
        8, 4, 2, 1 that divide it into heads of at least 16 dimensions (8
        for 128 and more, the RedCore paper's setting), 2 layers and
        ``2 * d_model`` feed-forward units. Other settings take the class defaults; pass a
        module for full control.
    name : str, default=None
        The modality's name, used in error messages.

    Returns
    -------
    torch.nn.Module

    Examples
    --------
    >>> from skmm.nn import make_encoder
    >>> make_encoder(None, (None, 74), hidden_sizes=(32,)).out_features
    32
    >>> type(make_encoder("textcnn", (None, 300), hidden_sizes=(64,))).__name__
    'TextCNNEncoder'
    """
    if isinstance(spec, nn.Module):
        if not hasattr(spec, "out_features"):
            raise TypeError(
                f"A custom encoder must expose `out_features`; {type(spec).__name__} does not."
            )
        # A copy: fitting trains it, and the caller's module (an estimator parameter) must
        # stay as it was passed, so that a second fit starts from the same weights.
        return copy.deepcopy(spec)
    modality = "this modality" if name is None else f"modality {name!r}"
    sequence = len(feature_shape) == 2
    if spec is None:
        spec = SEQUENCE_ENCODERS[0] if sequence else "mlp"
    if spec == "mlp":
        if sequence:
            raise ValueError(
                f"The 'mlp' encoder takes 2D features, but {modality} is a sequence "
                f"of {feature_shape[1]} features per timestep; use one of "
                f"{list(SEQUENCE_ENCODERS)}."
            )
        return MLPEncoder(feature_shape[0], hidden_sizes)
    if spec in SEQUENCE_ENCODERS:
        if not sequence:
            raise ValueError(
                f"The {spec!r} encoder takes sequences (n_samples, n_timesteps, n_features), "
                f"but {modality} has 2D features ({feature_shape[0]} per sample); use 'mlp'."
            )
        if not len(hidden_sizes):
            raise ValueError(
                f"The {spec!r} encoder of {modality} needs a width: hidden_sizes is empty."
            )
        width, d = int(hidden_sizes[-1]), feature_shape[1]
        if spec == "lstm":
            return LSTMEncoder(d, hidden_size=width)
        if spec == "textcnn":
            if width < 3:
                raise ValueError(
                    f"The 'textcnn' encoder of {modality} needs at least 3 filters (one per "
                    f"kernel width 3, 4, 5); hidden_sizes[-1] is {width}."
                )
            return TextCNNEncoder(d, n_filters=_split(width, 3), kernel_sizes=(3, 4, 5))
        heads = next(h for h in (8, 4, 2, 1) if width % h == 0 and width // h >= 16 or h == 1)
        return TransformerEncoder(d, d_model=width, n_heads=heads, n_layers=2)
    raise ValueError(
        f"Unknown encoder {spec!r} for {modality}; expected 'mlp', "
        f"{', '.join(repr(s) for s in SEQUENCE_ENCODERS)} or a torch.nn.Module."
    )
