"""bssn, ssn, wn, cwn and dsn (issue 12), and the separable critic that dsn needs."""
import math
import subprocess
import sys

import pytest
import torch
from torch import nn
from torch.func import jacrev

from gans.config import resolve
from gans.core.errors import UserError
from gans.models import Discriminator
from gans.models.norms import MeanNorm, Slot, get_norm
from gans.runs.networks import build_discriminator

NEW = ["bssn", "ssn", "bssn:c=2", "wn", "wn:init=data", "wn:init=none", "cwn", "dsn"]


def _conv(bias: bool) -> nn.Module:
    return nn.Conv2d(3, 6, 3, 1, 1, bias=bias)


def _depthwise(k: int = 3, s: int = 1, **kw):
    return lambda b: nn.Conv2d(3, 3, k, s, 1, groups=3, bias=b, **kw)


def _arch(norm: str) -> str:
    return "separable" if norm.startswith("dsn") else "standard"


def _operator_norm(layer: nn.Module, shape: tuple[int, ...]) -> float:
    """Largest singular value of the layer's linear part (bias zeroed) as an explicit matrix."""
    with torch.no_grad():
        layer.bias.zero_()
    x = torch.randn(shape)
    jac = jacrev(layer)(x).reshape(-1, x.numel())
    return torch.linalg.svdvals(jac)[0].item()


def _spectral(w: torch.Tensor) -> tuple[float, float]:
    """Largest singular values of W as (out, in*k*k) and of W as (in, out*k*k)."""
    s1 = torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), ord=2).item()
    s2 = torch.linalg.matrix_norm(w.transpose(0, 1).reshape(w.shape[1], -1), ord=2).item()
    return s1, s2


# --- bssn / ssn -------------------------------------------------------------------------------

@pytest.mark.parametrize("make,x", [(_conv, torch.randn(4, 3, 8, 8)),
                                    (lambda b: nn.Linear(20, 7, bias=b), torch.randn(4, 20))])
@pytest.mark.parametrize("norm,c", [("bssn", 1.0), ("bssn", 2.5), ("ssn", 1.0), ("ssn", 0.7)])
def test_scaled_spectral_norms_converge_to_c(make, x, norm, c):
    torch.manual_seed(0)
    layer = get_norm(f"{norm}:c={c}")(Slot(make, 0, False, 1))
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(7.0)
    layer.train()
    for _ in range(100):  # one power iteration per training forward
        layer(x)
    layer.eval()
    s1, s2 = _spectral(layer.weight.detach())
    if norm == "bssn":
        assert (s1 + s2) / 2 == pytest.approx(c, rel=1e-3)
    else:
        assert s1 == pytest.approx(c, rel=1e-3)
    if isinstance(layer, nn.Conv2d):  # the two reshapes differ, so bssn and ssn really are different
        assert abs(s1 - s2) > 0.05 * c


def test_bssn_keeps_both_power_iterations_in_the_state_dict_and_eval_leaves_them():
    torch.manual_seed(0)
    layer = get_norm("bssn")(Slot(_conv, 6, False, 1))
    keys = {k.rsplit(".", 1)[-1] for k in layer.state_dict()}
    assert {"_u1", "_v1", "_u2", "_v2"} <= keys
    assert {"_u1", "_v1"} <= {k.rsplit(".", 1)[-1] for k in get_norm("ssn")(Slot(_conv, 6, False, 1)).state_dict()}
    assert "_u2" not in {k.rsplit(".", 1)[-1] for k in get_norm("ssn")(Slot(_conv, 6, False, 1)).state_dict()}
    with torch.no_grad():
        layer.parametrizations.weight.original.add_(torch.randn(6, 3, 3, 3))  # power iteration has work to do
    x = torch.randn(2, 3, 8, 8)
    before = {k: v.clone() for k, v in layer.state_dict().items()}
    layer.eval()
    layer(x)
    assert all(torch.equal(before[k], v) for k, v in layer.state_dict().items())
    layer.train()
    layer(x)
    assert not torch.equal(before["parametrizations.weight.0._u2"], layer.state_dict()["parametrizations.weight.0._u2"])


def test_bssn_gradient_survives_two_forwards_before_backward():
    """The critic sees real and fake in two training forwards, then one backward."""
    layer = get_norm("bssn")(Slot(_conv, 6, False, 1))
    x = torch.randn(2, 3, 8, 8)
    (layer(x).sum() - layer(x + 1).sum()).backward()
    assert layer.parametrizations.weight.original.grad.abs().sum() > 0


@pytest.mark.parametrize("spec", ["bssn:c=0", "bssn:c=-1", "ssn:c=fast", "wn:init=lsuv", "dsn:grid=2.5"])
def test_bad_option_values_are_value_errors(spec):
    with pytest.raises(ValueError, match=spec.split(":")[0]):
        get_norm(spec)


# --- cwn --------------------------------------------------------------------------------------

@pytest.mark.parametrize("make,fan_in", [(_conv, 27), (lambda b: nn.Linear(20, 7, bias=b), 20),
                                         (lambda b: nn.ConvTranspose2d(3, 5, 4, 2, 1, bias=b), 48)])
def test_cwn_rows_are_centred_with_norm_g(make, fan_in):
    torch.manual_seed(0)
    layer = get_norm("cwn")(Slot(make, 0, False, 1))
    p = layer.parametrizations.weight
    with torch.no_grad():
        p[0].g.copy_(torch.rand_like(p[0].g) * 3 + 0.1)
        p.original.add_(5.0)  # a large mean that the centring must remove
    out_dim = 1 if isinstance(layer, nn.ConvTranspose2d) else 0
    rows = layer.weight.detach().movedim(out_dim, 0).flatten(1)
    assert rows.shape[1] == fan_in
    assert rows.mean(dim=1).abs().max() < 1e-5  # float32 after removing a mean of 5
    assert torch.allclose(rows.norm(dim=1), p[0].g.detach(), rtol=1e-5)
    assert "parametrizations.weight.0.g" in layer.state_dict()


def test_cwn_refuses_single_input_units():
    with pytest.raises(ValueError, match="at least 2 inputs"):
        get_norm("cwn")(Slot(lambda b: nn.Conv2d(1, 4, 1, bias=b), 4, False, 1))


# --- wn ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("slope", [0.0, 0.1])
def test_wn_robust_init_follows_arpit_et_al(slope):
    """g = sqrt(gain * fan_in / fan_out), gain = 2 / (1 + slope^2) (2 for ReLU, the paper's value);
    orthogonal directions; zero bias; and then E||act(W x)||^2 = ||x||^2 (the norm is preserved)."""
    torch.manual_seed(0)
    gain = 2 / (1 + slope**2)
    dense = get_norm(f"wn:slope={slope}")(Slot(lambda b: nn.Linear(256, 128, bias=b), 128, False, 1))
    g = dense.parametrizations.weight.original0.detach()
    assert torch.allclose(g, torch.full_like(g, math.sqrt(gain * 256 / 128)))
    assert dense.bias.abs().max() == 0
    direction = dense.weight.detach() / g
    assert torch.allclose(direction @ direction.T, torch.eye(128), atol=1e-5)  # orthonormal rows
    x = torch.randn(4096, 256)
    with torch.no_grad():
        ratio = nn.functional.leaky_relu(dense(x), slope).pow(2).sum(1).mean() / x.pow(2).sum(1).mean()
    assert ratio.item() == pytest.approx(1.0, abs=0.03)
    # convs: fan_in = in*k*k, fan_out = out*k*k; a depthwise conv reaches one channel: g = sqrt(gain)
    conv = get_norm(f"wn:slope={slope}")(Slot(lambda b: nn.Conv2d(8, 32, 3, 1, 1, bias=b), 32, False, 1))
    assert torch.allclose(conv.parametrizations.weight.original0, torch.tensor(math.sqrt(gain * 8 / 32)))
    dw = get_norm(f"wn:slope={slope}")(Slot(lambda b: nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=b), 8, False, 1))
    assert torch.allclose(dw.parametrizations.weight.original0, torch.tensor(math.sqrt(gain)))


def test_wn_robust_init_keeps_a_deep_leaky_stack_from_vanishing():
    torch.manual_seed(0)
    def stack(spec):
        return nn.Sequential(*[m for _ in range(12) for m in (
            get_norm(spec)(Slot(lambda b: nn.Linear(128, 128, bias=b), 128, False, 1)), nn.LeakyReLU(0.1))])
    x = torch.randn(512, 128)
    with torch.no_grad():
        robust = stack("wn")(x).pow(2).sum(1).mean() / x.pow(2).sum(1).mean()
        default = stack("wn:init=none")(x).pow(2).sum(1).mean() / x.pow(2).sum(1).mean()
    assert 0.7 < robust.item() < 1.4
    assert default.item() < 0.1  # torch's default init loses the signal in 12 layers


def test_wn_data_init_standardizes_the_first_batch_once_and_survives_load():
    torch.manual_seed(0)
    build = get_norm("wn:init=data")
    layer = build(Slot(_conv, 6, False, 1))
    x = torch.randn(16, 3, 8, 8) * 4 + 3
    layer.eval()
    layer(x)  # eval mode: no init
    assert not layer.initialized
    layer.train()
    y = layer(x).detach()
    assert bool(layer.initialized) and "initialized" in layer.state_dict()
    assert y.mean(dim=(0, 2, 3)).abs().max() < 1e-4
    assert torch.allclose(y.std(dim=(0, 2, 3), unbiased=False), torch.ones(6), atol=1e-4)
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    layer(torch.randn(16, 3, 8, 8))  # a second batch does not re-initialize
    assert all(torch.equal(state[k], v) for k, v in layer.state_dict().items())
    fresh = build(Slot(_conv, 6, False, 1))
    fresh.load_state_dict(state)
    fresh.train()
    fresh(torch.randn(16, 3, 8, 8) - 5)  # resumed: the loaded g and bias stay
    assert all(torch.equal(state[k], v) for k, v in fresh.state_dict().items())


# --- dsn --------------------------------------------------------------------------------------

@pytest.mark.parametrize("k,s,side,low", [(3, 1, 6, 0.8), (3, 1, 12, 0.9), (4, 2, 6, 0.4)])
def test_dsn_bounds_the_zero_padded_depthwise_operator(k, s, side, low):
    """The DFT bound holds for zero padding; measured: 0.875 (3x3, 6x6), ~0.96 (3x3, 12x12),
    ~0.54 (4x4 stride 2, 6x6) - tighter as the image grows, loose with stride."""
    torch.manual_seed(0)
    layer = get_norm("dsn:scale=1")(Slot(_depthwise(k, s), 3, False, 1))
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(10)
    sigma = _operator_norm(layer, (1, 3, side, side))
    assert low < sigma <= 1 + 1e-5


def test_dsn_is_exact_for_circular_padding_on_its_grid():
    torch.manual_seed(0)
    layer = get_norm("dsn:grid=8,scale=1")(Slot(_depthwise(padding_mode="circular"), 3, False, 1))
    assert _operator_norm(layer, (1, 3, 8, 8)) == pytest.approx(1.0, abs=1e-4)


def test_dsn_pointwise_and_dense_layers_get_spectral_norm():
    torch.manual_seed(0)
    layer = get_norm("dsn:scale=1")(Slot(lambda b: nn.Conv2d(5, 7, 1, bias=b), 7, False, 2))
    with torch.no_grad():
        layer.parametrizations.weight.original.mul_(7)
    x = torch.randn(2, 5, 4, 4)
    for _ in range(100):
        layer(x)
    layer.eval()
    assert torch.linalg.matrix_norm(layer.weight.detach().flatten(1), ord=2).item() == pytest.approx(1, abs=1e-3)
    assert _operator_norm(layer, (1, 5, 3, 3)) == pytest.approx(1, abs=1e-3)
    head = get_norm("dsn:scale=1")(Slot(lambda b: nn.Linear(10, 1, bias=b), 1, True, 15))
    assert hasattr(head, "parametrizations")


def test_dsn_with_the_standard_critic_names_the_separable_arch():
    with pytest.raises(ValueError, match="--d-arch separable"):
        Discriminator(width=1 / 16, image_size=16, norm="dsn")
    with pytest.raises(ValueError, match="--d-arch separable"):
        get_norm("dsn")(Slot(_conv, 6, False, 1))


# --- the separable critic ---------------------------------------------------------------------

@pytest.mark.parametrize("norm", ["dsn", "sn", "bssn", "wn", "cwn", "bn", "msn", "none"])
def test_separable_critic_shapes_in_train_and_eval(norm):
    D = Discriminator(width=1 / 16, image_size=16, norm=norm, arch="separable")
    convs = [m for m in D.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 14
    assert [c.groups == c.in_channels > 1 for c in convs] == [True, False] * 7  # depthwise, pointwise
    assert all(c.kernel_size == (1, 1) for c in convs[1::2])
    assert [c.stride[0] for c in convs[::2]] == [1, 2, 1, 2, 1, 2, 1]
    x = torch.randn(4, 3, 16, 16)
    for mode in (True, False):
        D.train(mode)
        assert D(x).shape == (4,)


def test_separable_slots_count_every_conv():
    """Slot indices run 1..14 over depthwise and pointwise convs, the head is 15: msn:layers=1+14
    centres after the first depthwise and the last pointwise conv only."""
    D = Discriminator(width=1 / 16, image_size=16, norm="msn:layers=1+14", arch="separable")
    slots = [m for m in D.body if not isinstance(m, nn.LeakyReLU)]
    assert len(slots) == 14
    assert [i for i, m in enumerate(slots, 1) if any(isinstance(x, MeanNorm) for x in m.modules())] == [1, 14]


def test_separable_arch_is_a_config_field():
    cfg = resolve({"norm": "dsn", "d_arch": "separable", "width": 1 / 16, "image_size": 16})
    D = build_discriminator(cfg)
    assert sum(isinstance(m, nn.Conv2d) for m in D.modules()) == 14
    with pytest.raises(UserError, match="--d-arch"):
        resolve({"d_arch": "mobile"})
    with pytest.raises(ValueError, match="arch"):
        Discriminator(arch="mobile")


# --- every new name ---------------------------------------------------------------------------

@pytest.mark.parametrize("norm", NEW)
def test_every_new_norm_trains_a_critic(norm):
    torch.manual_seed(0)
    D = Discriminator(width=1 / 16, image_size=16, norm=norm, arch=_arch(norm))
    x = torch.randn(4, 3, 16, 16)
    D.train()
    loss = D(x).mean() - D(x.flip(0) * 0.5).mean()  # two forwards, one backward, like a critic step
    loss.backward()
    grads = [p.grad for p in D.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0
    D.eval()
    assert torch.isfinite(D(x)).all()


def test_the_registry_stays_torch_free():
    code = "import sys, gans.models.norms as n; list(n.NORMS); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_dsn_scale_multiplies_the_bounded_weight():
    from gans.models.norms import Slot, get_norm
    from gans.models.norms.separable import depthwise_norm

    torch.manual_seed(0)
    layer = get_norm("dsn:scale=2.5")(Slot(lambda b: nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=b), 4, False, 1))
    assert float(depthwise_norm(layer.weight.detach(), 64)) == pytest.approx(2.5, rel=1e-5)


def _input_gradient(D, x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x).sum(), x)
    return g.flatten(1).norm(dim=1).mean().item()


def test_the_separable_critic_sees_its_input_only_with_a_scale():
    """At init, 14 bounded layers shrink input differences ~0.4x each: with c = 1 the critic's input
    gradient is ~1e-7 (it cannot train); the dsn default c = 2 brings it to the order of the
    standard SN critic's."""
    torch.manual_seed(0)
    x = torch.rand(16, 3, 32, 32) * 2 - 1
    torch.manual_seed(0)
    standard = _input_gradient(Discriminator(0.25, norm="sn"), x)
    torch.manual_seed(0)
    unscaled = _input_gradient(Discriminator(0.25, norm="dsn:scale=1", arch="separable"), x)
    torch.manual_seed(0)
    default = _input_gradient(Discriminator(0.25, norm="dsn", arch="separable"), x)
    assert unscaled < 1e-3 * standard
    assert 0.1 * standard < default < 10 * standard
