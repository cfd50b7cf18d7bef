import tomllib
from pathlib import Path

import pytest

from gans.config import PRESETS, SETTINGS, TrainConfig, from_dict, read_config_file, resolve, to_toml
from gans.core.errors import UserError


@pytest.mark.parametrize("preset", list(PRESETS))
def test_presets(preset):
    cfg = resolve({"preset": preset})
    for key, value in PRESETS[preset].items():
        assert getattr(cfg, key) == value
    assert cfg.out.endswith(f"{preset}-seed0")


STAGE_2 = Path(__file__).parents[2] / "samples" / "study" / "short-list" / "confirm.toml"


def test_the_comparisons_presets_are_the_stage_2_picks():
    """PROTOCOL.md: each preset is its system's stage-2 pick. confirm.toml is the file gans compare
    wrote from the 45 runs (each system at its pick): every value it sets is the preset's."""
    systems = tomllib.loads(STAGE_2.read_text())["systems"]
    assert sorted(systems) == sorted(("wgan-gp", "wgan-gp-ln", "sngan", "msngan", "msngan-seedcode"))
    for name, flags in systems.items():
        cfg = resolve({"preset": name})
        for key, value in flags.items():
            want = tuple(value) if isinstance(value, list) else value
            assert getattr(cfg, key) == want, (name, key)


def test_the_systems_differ_in_their_critic():
    cfgs = {p: resolve({"preset": p}) for p in PRESETS}
    assert [(cfgs[p].norm, cfgs[p].loss, cfgs[p].gp) for p in ("wgan-gp", "wgan-gp-ln", "sngan", "msngan")] == [
        ("bn", "wgan", True), ("ln", "wgan", True), ("sn", "hinge", False), ("msn", "hinge", False)]
    seed = cfgs["msngan-seedcode"]
    assert (seed.norm, seed.loss) == ("msn:layers=seed,gamma=true,update=projected,iterations=100", "ns")
    base = cfgs["sngan-seedcode"]  # their SNGAN baseline: the same recipe minus the centring
    assert {k: v for k, v in base.to_dict().items() if k not in ("norm", "preset", "out")} == {
        k: v for k, v in seed.to_dict().items() if k not in ("norm", "preset", "out")}
    for key in ("batch_size", "g_norm", "width", "arch", "z_dim"):  # the networks and batches are one
        assert len({getattr(c, key) for c in cfgs.values()}) == 1, key
    assert resolve({"preset": "msngan", "init": "normal02"}).init == "normal02"  # a flag beats the preset


def test_the_msn_papers_protocol_is_reachable_by_name():
    """Eq. 11 of the MSN paper: the WGAN objective for every critic, setting A, MSN at every layer."""
    for preset, norm in (("wgan-gp-paper", "bn"), ("sngan-paper", "sn"), ("msngan-paper", "msn")):
        cfg = resolve({"preset": preset})
        assert (cfg.norm, cfg.loss, cfg.lr, cfg.betas, cfg.n_critic) == (norm, "wgan", 1e-4, (0.5, 0.9), 5)


@pytest.mark.parametrize("name", list(SETTINGS))
def test_optimizer_settings(name):
    cfg = resolve({"setting": name})
    assert (cfg.lr, cfg.betas, cfg.n_critic) == (SETTINGS[name]["lr"], SETTINGS[name]["betas"], SETTINGS[name]["n_critic"])


def test_precedence_defaults_preset_setting_file_flags(tmp_path):
    f = tmp_path / "c.toml"
    f.write_text('preset = "wgan-gp"\nsetting = "D"\nn-critic = 3\nbatch_size = 16\n')
    cfg = resolve({"batch_size": 8, "gp": False, "steps": None}, f)
    assert cfg.norm == "bn"            # preset from the file
    assert cfg.lr == 1e-3              # setting D from the file
    assert cfg.n_critic == 3           # file beats setting
    assert cfg.batch_size == 8         # flag beats file
    assert cfg.gp is False             # flag beats preset
    assert cfg.steps == TrainConfig.steps  # None means "not given"


def test_resolved_toml_reproduces_config(tmp_path):
    cfg = resolve({"preset": "msngan", "betas": (0.1, 0.2), "lr": 3e-5, "seed": 7})
    f = tmp_path / "config.toml"
    f.write_text(to_toml(cfg))
    assert "out" not in read_config_file(f)  # a copy of the file must not point at this run
    assert resolve({"out": cfg.out}, f) == cfg
    assert from_dict(cfg.to_dict()) == cfg


@pytest.mark.parametrize("text,match", [
    ('colour = "red"\n', "unknown key 'colour'"),
    ('steps = "many"\n', "--steps must be int"),
    ('gp = 1\n', "--gp must be bool"),
    ('betas = [0.5]\n', "--betas must be two numbers"),
    ('steps = \n', "not valid TOML"),
])
def test_bad_config_file(tmp_path, text, match):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(UserError, match=match):
        read_config_file(f)


@pytest.mark.parametrize("flags,match", [
    ({"steps": 0}, "--steps must be > 0"),
    ({"batch_size": -4}, "--batch-size must be > 0"),
    ({"lr": 0.0}, "--lr must be > 0"),
    ({"n_critic": 0}, "--n-critic must be > 0"),
    ({"preset": "gan"}, "unknown preset 'gan'; choose one of wgan-gp"),
    ({"norm": "xx"}, "--norm: unknown norm 'xx'; choose one of bn"),
    ({"norm": "msn:depth=3"}, "norm 'msn' has no option 'depth' .its options: layers, gamma."),
    ({"norm": "msn:layers=0"}, "layers must be all, seed or 1-based indices"),
    ({"norm": "sn:x"}, "is not key=value"),
    ({"d_pass": "both"}, "unknown --d-pass 'both'"),
    ({"lr": float("inf")}, "--lr must be a finite number"),
    ({"gp_weight": float("nan")}, "--gp-weight must be a finite number"),
    ({"loss": "l2"}, "unknown --loss 'l2'"),
    ({"image_size": 20}, "multiple of 8"),
    ({"betas": (1.5, 0.9)}, "--betas"),
])
def test_bad_values(flags, match):
    with pytest.raises(UserError, match=match):
        resolve(flags)
