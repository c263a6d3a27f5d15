"""Unit tests of the per-modality encoders (skmm.nn.encoders)."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from skmm.nn import (
    SEQUENCE_ENCODERS,
    LSTMEncoder,
    MLPEncoder,
    TextCNNEncoder,
    TransformerEncoder,
    make_encoder,
)

D = 5


def _build(kind, **kw):
    torch.manual_seed(0)
    if kind == "lstm":
        return LSTMEncoder(D, hidden_size=6, **kw)
    if kind == "textcnn":
        return TextCNNEncoder(D, n_filters=(3, 2, 2), kernel_sizes=(2, 3, 5), **kw)
    if kind == "transformer":
        return TransformerEncoder(D, d_model=8, n_heads=2, n_layers=2, dropout=0.0, **kw)
    if kind == "transformer-max-learned":
        return TransformerEncoder(
            D, d_model=8, n_heads=2, n_layers=1, dropout=0.0, pooling="max",
            positional="learned", max_len=16, **kw,
        )
    raise AssertionError(kind)


KINDS = ["lstm", "textcnn", "transformer", "transformer-max-learned"]
OUT = {"lstm": 6, "textcnn": 7, "transformer": 8, "transformer-max-learned": 8}


def _batch(lengths, t=9, garbage=True, seed=0):
    """A padded batch; padding holds large random values (as after training noise)."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor(lengths)
    x = torch.randn(len(lengths), t, D, generator=g)
    pad = torch.arange(t) >= lengths[:, None]
    fill = 50 * torch.randn(x.shape, generator=g) if garbage else torch.zeros_like(x)
    return torch.where(pad[..., None], fill, x), lengths


# ---------------------------------------------------------------------------
# Shapes, missing rows, gradients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_output_shape_and_out_features(kind):
    enc = _build(kind).eval()
    x, lengths = _batch([9, 4, 1, 7])
    out = enc(x, lengths)
    assert enc.out_features == OUT[kind]
    assert out.shape == (4, OUT[kind])
    assert torch.isfinite(out).all()
    # lengths=None: every timestep is valid.
    assert torch.allclose(enc(x), enc(x, torch.full((4,), 9)))


@pytest.mark.parametrize("kind", KINDS)
def test_length_zero_rows_are_zero_and_gradients_finite(kind):
    enc = _build(kind).train()
    x, lengths = _batch([9, 0, 3, 0])
    x = x.clone().requires_grad_(True)
    out = enc(x, lengths)
    assert torch.isfinite(out).all()
    assert torch.equal(out[[1, 3]], torch.zeros(2, OUT[kind]))
    assert out[[0, 2]].abs().sum() > 0
    # 0 * NaN = NaN downstream: the gradient must be finite everywhere.
    (out * torch.randn_like(out)).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert torch.equal(x.grad[[1, 3]], torch.zeros(2, 9, D))  # a missing row gets no gradient
    for name, p in enc.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


@pytest.mark.parametrize("kind", KINDS)
def test_batch_of_only_missing_rows(kind):
    enc = _build(kind).train()
    x, lengths = _batch([0, 0, 0])
    out = enc(x, lengths)
    assert torch.equal(out, torch.zeros(3, OUT[kind]))
    out.sum().backward()
    assert all(torch.isfinite(p.grad).all() for p in enc.parameters() if p.grad is not None)


# ---------------------------------------------------------------------------
# Padding never leaks
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_batched_equals_each_sample_alone(kind):
    """Variable lengths in one batch, garbage in the padding: each row equals the
    encoder run on that sample's valid timesteps alone (no padding at all)."""
    enc = _build(kind).eval()
    lengths = [9, 4, 1, 6, 2]
    x, n = _batch(lengths)
    with torch.no_grad():
        batched = enc(x, n)
        for i, length in enumerate(lengths):
            alone = enc(x[i : i + 1, :length], torch.tensor([length]))
            torch.testing.assert_close(batched[i : i + 1], alone, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_trim_changes_nothing_and_extra_padding_changes_nothing(kind):
    trimmed, untrimmed = _build(kind).eval(), _build(kind, trim=False).eval()
    x, n = _batch([5, 3, 2], t=6)
    longer = torch.cat([x, 100 * torch.randn(3, 7, D)], 1)  # 7 more padding steps
    with torch.no_grad():
        ref = trimmed(x, n)
        torch.testing.assert_close(untrimmed(x, n), ref, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(untrimmed(longer, n), ref, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(trimmed(longer, n), ref, rtol=1e-5, atol=1e-6)


def test_lstm_matches_manual_masked_max_pool():
    enc = _build("lstm").eval()
    lengths = [9, 3, 1]
    x, n = _batch(lengths)
    with torch.no_grad():
        out = enc(x, n)
        for i, length in enumerate(lengths):
            h, _ = enc.lstm(x[i : i + 1, :length])
            torch.testing.assert_close(out[i], h[0].max(0).values)


def test_textcnn_is_the_full_convolution_of_the_valid_sequence():
    """Kim's TextCNN with the sequence zero-extended by k-1 on both sides: every
    window that holds at least one valid step, and only those."""
    enc = _build("textcnn").eval()
    lengths = [9, 4, 1]  # 1 is shorter than every kernel width
    x, n = _batch(lengths)
    with torch.no_grad():
        out = enc(x, n)
        for i, length in enumerate(lengths):
            seq = x[i, :length].T[None]  # (1, D, L)
            parts = []
            for k, conv in zip(enc.kernel_sizes, enc.convs):
                h = F.conv1d(F.pad(seq, (k - 1, k - 1)), conv.weight, conv.bias).relu()
                assert h.shape[2] == length + k - 1
                parts.append(h[0].max(1).values)
            torch.testing.assert_close(out[i], torch.cat(parts))


def test_textcnn_excludes_windows_of_padding_only():
    """Negative weights, positive inputs, bias 1: every window holding a valid step
    is below 1 and a window of zeros only is exactly ReLU(1) = 1."""
    enc = TextCNNEncoder(D, n_filters=2, kernel_sizes=(2, 3), trim=False).eval()
    with torch.no_grad():
        for conv in enc.convs:
            conv.weight.copy_(-conv.weight.abs() - 0.1)
            conv.bias.fill_(1.0)
        x = torch.rand(3, 8, D) + 0.5
        out = enc(x, torch.tensor([1, 4, 8]))
    assert (out < 1).all() and (out >= 0).all()


def test_transformer_mean_pool_matches_manual():
    enc = _build("transformer").eval()
    lengths = [9, 5]
    x, n = _batch(lengths)
    with torch.no_grad():
        out = enc(x, n)
        for i, length in enumerate(lengths):
            seq = x[i : i + 1, :length]
            h = enc.proj(seq)
            pos = torch.arange(length)[:, None] / 10000 ** (torch.arange(0, 8, 2) / 8)
            pe = torch.stack([pos.sin(), pos.cos()], -1).reshape(length, 8)  # sin, cos interleaved
            h = enc.encoder(h + pe)
            torch.testing.assert_close(out[i], h[0].mean(0), rtol=1e-5, atol=1e-5)


def test_transformer_attends_to_order():
    """Positional information: reversing a sequence changes the output."""
    enc = _build("transformer").eval()
    x, n = _batch([6], garbage=False)
    with torch.no_grad():
        assert not torch.allclose(enc(x, n), enc(x.flip(1)[:, 3:], n), atol=1e-3)


# ---------------------------------------------------------------------------
# Parameter errors
# ---------------------------------------------------------------------------


def test_encoder_parameter_errors():
    with pytest.raises(ValueError, match=r"n_heads=3 must divide d_model=8\."):
        TransformerEncoder(D, d_model=8, n_heads=3)
    with pytest.raises(ValueError, match="pooling must be 'mean' or 'max', got 'sum'"):
        TransformerEncoder(D, pooling="sum")
    with pytest.raises(ValueError, match="positional must be 'sinusoidal' or 'learned'"):
        TransformerEncoder(D, positional="rope")
    with pytest.raises(ValueError, match="one positive int per kernel size"):
        TextCNNEncoder(D, n_filters=(2, 2), kernel_sizes=(3, 4, 5))
    with pytest.raises(ValueError, match="kernel_sizes must be positive integers"):
        TextCNNEncoder(D, kernel_sizes=(0, 3))
    enc = _build("transformer-max-learned")
    with pytest.raises(ValueError, match="Sequences of 20 timesteps exceed max_len=16"):
        enc(torch.randn(2, 20, D))
    with pytest.raises(ValueError, match=r"got shape \(2, 5\)"):
        LSTMEncoder(D)(torch.randn(2, 5))


# ---------------------------------------------------------------------------
# make_encoder
# ---------------------------------------------------------------------------


def test_make_encoder_defaults():
    assert SEQUENCE_ENCODERS[0] == "lstm"
    seq = make_encoder(None, (None, 74), hidden_sizes=(64, 32))
    assert isinstance(seq, LSTMEncoder) and seq.out_features == 32
    flat = make_encoder(None, (10,), hidden_sizes=(64, 32))
    assert isinstance(flat, MLPEncoder) and flat.out_features == 32


@pytest.mark.parametrize(
    "spec, cls, width, extra",
    [
        ("lstm", LSTMEncoder, 48, {}),
        ("textcnn", TextCNNEncoder, 100, {"filters": [34, 33, 33]}),
        ("transformer", TransformerEncoder, 128, {"heads": 8, "layers": 2}),
        ("transformer", TransformerEncoder, 32, {"heads": 2, "layers": 2}),
        ("transformer", TransformerEncoder, 20, {"heads": 1, "layers": 2}),
    ],
)
def test_make_encoder_widths(spec, cls, width, extra):
    enc = make_encoder(spec, (None, 7), hidden_sizes=(999, width))
    assert type(enc) is cls and enc.out_features == width
    if "filters" in extra:
        assert [c.out_channels for c in enc.convs] == extra["filters"]
        assert enc.kernel_sizes == (3, 4, 5)
    if "heads" in extra:
        assert enc.encoder.layers[0].self_attn.num_heads == extra["heads"]
        assert len(enc.encoder.layers) == extra["layers"]
    assert enc(torch.randn(2, 4, 7), torch.tensor([4, 2])).shape == (2, width)


def test_make_encoder_errors_name_the_modality():
    with pytest.raises(
        ValueError,
        match=r"The 'mlp' encoder takes 2D features, but modality 'audio' is a sequence of 74 "
        r"features per timestep; use one of \['lstm', 'textcnn', 'transformer'\]\.",
    ):
        make_encoder("mlp", (None, 74), name="audio")
    for spec in SEQUENCE_ENCODERS:
        with pytest.raises(
            ValueError,
            match=rf"The '{spec}' encoder takes sequences \(n_samples, n_timesteps, n_features\), "
            r"but modality 'img' has 2D features \(10 per sample\); use 'mlp'\.",
        ):
            make_encoder(spec, (10,), name="img")
    with pytest.raises(ValueError, match=r"Unknown encoder 'gru' for modality 'a'; expected 'mlp'"):
        make_encoder("gru", (None, 3), name="a")
    with pytest.raises(ValueError, match="this modality is a sequence"):
        make_encoder("mlp", (None, 3))
    with pytest.raises(ValueError, match="needs a width: hidden_sizes is empty"):
        make_encoder("lstm", (None, 3), hidden_sizes=())
    with pytest.raises(ValueError, match="needs at least 3 filters"):
        make_encoder("textcnn", (None, 3), hidden_sizes=(2,))
    with pytest.raises(TypeError, match="must expose `out_features`; ReLU does not"):
        make_encoder(nn.ReLU(), (3,))
    custom = LSTMEncoder(3, 4)
    copied = make_encoder(custom, (None, 3))
    assert copied is not custom and type(copied) is LSTMEncoder  # a copy, never the caller's
    for p, q in zip(copied.parameters(), custom.parameters()):
        assert torch.equal(p, q) and p.data_ptr() != q.data_ptr()
