"""Named systems (presets) and the SNGAN paper's optimizer settings: data only, so the CLI can list
them without importing torch."""
from __future__ import annotations

from typing import Any

# Optimizer settings A-F of the SNGAN paper (Miyato et al. 2018, Table 1); the MSN paper uses them too.
SETTINGS: dict[str, dict[str, Any]] = {
    "A": {"lr": 1e-4, "betas": (0.5, 0.9), "n_critic": 5},
    "B": {"lr": 1e-4, "betas": (0.5, 0.999), "n_critic": 1},
    "C": {"lr": 2e-4, "betas": (0.5, 0.999), "n_critic": 1},
    "D": {"lr": 1e-3, "betas": (0.5, 0.9), "n_critic": 5},
    "E": {"lr": 1e-3, "betas": (0.5, 0.999), "n_critic": 5},
    "F": {"lr": 1e-3, "betas": (0.9, 0.999), "n_critic": 5},
}

# The equal-budget sweep's best point (samples/study/sweep.toml, results in samples/study/sweep/ and
# docs/results.md, "An equal budget: the sweep"): every system's best of lr {1e-4, 2e-4} x betas
# {(0, 0.9), (0.5, 0.999)}, then checked over seeds against setting C. Not one of A-F; WGAN-GP's
# betas at SNGAN's lr.
SWEPT_BEST: dict[str, Any] = {"lr": 2e-4, "betas": (0.0, 0.9), "n_critic": 1}

# A preset is a whole system: critic norm, loss, penalty, optimizer and init. docs/presets.md says
# which paper each follows and where each default's evidence is ("Where the defaults come from").
PRESETS: dict[str, dict[str, Any]] = {
    "wgan-gp": {"norm": "bn", "loss": "wgan", "gp": True, **SWEPT_BEST},
    "sngan": {"norm": "sn", "loss": "hinge", "gp": False, **SWEPT_BEST},
    # MSN centres real and fake images with one batch mean (--d-pass joint): separate passes give
    # each batch its own mean, which hides the batch's mean colour from the critic; the placements and
    # passes tried are in docs/results.md, "How the presets were chosen". N(0, 0.02) weights (the
    # references' init): the init screen's one gain, confirmed on fresh seeds (docs/results.md, "The
    # init screen"; samples/study/init-confirm/); the other presets keep PyTorch's init, which the
    # screen did not beat for them.
    "msngan": {"norm": "msn", "loss": "hinge", "gp": False, "d_pass": "joint", "init": "normal02", **SWEPT_BEST},
    # The MSN authors' recipe (AntixK/mean-spectral-norm, MSNGAN/): MSN after the 4th, 6th and 7th
    # convs with a learned gamma, their projected spectral norm (100 power iterations, the weight
    # replaced by W / sigma), the non-saturating loss, their weight filler, separate passes, one
    # critic step. The optimizer follows the sweep like every preset's, which learned further than
    # their Adam betas (0.5, 0.999) (setting C) did (docs/presets.md, "Where the defaults come from";
    # --train 'betas=[0.5, 0.999]' restores theirs). `sngan-seedcode` is their SNGAN baseline, the
    # same minus MSN (not swept itself).
    "msngan-seedcode": {"norm": "msn:layers=seed,gamma=true,update=projected,iterations=100", "loss": "ns",
                        "gp": False, "init": "msn-code", **SWEPT_BEST},
    "sngan-seedcode": {"norm": "sn:update=projected,iterations=100", "loss": "ns", "gp": False, "init": "msn-code",
                       **SWEPT_BEST},
    # The MSN paper's protocol as its text states it (Eq. 11): the WGAN objective for every critic,
    # MSN at every layer, the SNGAN paper's setting A.
    "wgan-gp-paper": {"norm": "bn", "loss": "wgan", "gp": True, **SETTINGS["A"]},
    "sngan-paper": {"norm": "sn", "loss": "wgan", "gp": False, **SETTINGS["A"]},
    "msngan-paper": {"norm": "msn", "loss": "wgan", "gp": False, **SETTINGS["A"]},
    # The WGAN-GP paper's own critic: layer norm, which keeps the penalty per sample.
    "wgan-gp-ln": {"norm": "ln", "loss": "wgan", "gp": True, **SWEPT_BEST},
}
