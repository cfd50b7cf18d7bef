"""What an evaluation promises: sample count, draws, reference and metric settings.

Published numbers are only comparable under the same protocol, so every report records it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Named protocols; explicit flags override their fields and turn the name into "custom".
PROTOCOLS: dict[str, dict[str, Any]] = {
    # Miyato et al. 2018 (SNGAN): 10 draws of 5,000 samples; FID against 10,000 training images.
    "sngan": {"num_samples": 5000, "repeats": 10, "reference": "cifar10-train", "reference_count": 10000},
    # Now common (StyleGAN, StudioGAN): 50,000 samples against the full training set's statistics.
    "50k": {"num_samples": 50000, "repeats": 1, "reference": "cifar10-train", "reference_count": None},
}
# Protocols the toolkit runs on its own, not offered as --protocol: defaults their callers override
# with the run's or study's settings (so overriding them never makes the name "custom").
OWN: dict[str, dict[str, Any]] = {
    "study": {"num_samples": 1000, "repeats": 1},  # gans study's [eval] table
    "train-time": {"repeats": 1},  # --eval-every: one draw of --eval-samples on fixed latents
}


@dataclass
class Protocol:
    name: str = "50k"
    num_samples: int = 50000
    repeats: int = 1
    reference: str = "cifar10-train"
    reference_count: int | None = None
    seed: int = 0  # draw r uses latent seed seed + r
    is_splits: int = 10
    is_shuffle: bool = False  # OpenAI/NVIDIA split in order; torch-fidelity shuffles
    kid_subsets: int = 100
    kid_subset_size: int = 1000
    metric_seed: int = 2020  # KID subsets and IS shuffling; torch-fidelity's default
    prdc_k: int = 5  # PRDC's k-NN radii; Naeem et al.'s and the prdc package's default
    # FID at these sample counts (each at most num_samples) and FID-infinity from them (gans.eval.infinity);
    # empty: not computed
    fid_sizes: tuple[int, ...] = ()
    std: str = "population (ddof=0)"

    @classmethod
    def build(cls, name: str, **overrides: Any) -> "Protocol":
        """The one way to make a protocol: the field defaults, then ``name``'s (a published protocol
        of PROTOCOLS or one of OWN), then the overrides that are not None. Overriding a published
        protocol's own setting renames it "custom". The KID subset size is recorded as used: at most
        the sample count (kid() caps it there too)."""
        if name not in PROTOCOLS and name not in OWN:
            raise KeyError(f"unknown protocol {name!r}; known: {', '.join([*PROTOCOLS, *OWN])}")
        base = PROTOCOLS.get(name) or OWN[name]
        changed = {k: v for k, v in overrides.items() if v is not None}
        custom = name in PROTOCOLS and any(base[k] != v for k, v in changed.items() if k in base)
        fields = {**base, **changed}
        fields["kid_subset_size"] = min(fields.get("kid_subset_size", cls.kid_subset_size),
                                        fields.get("num_samples", cls.num_samples))
        return cls(name="custom" if custom else name, **fields)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Protocol":
        p = cls(**{f.name: d[f.name] for f in dataclasses.fields(cls) if f.name in d})
        return dataclasses.replace(p, fid_sizes=tuple(p.fid_sizes))  # JSON gives a list: equal to the protocol written
