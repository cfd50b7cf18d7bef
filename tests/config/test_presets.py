import pytest

from gans.config import PRESETS, SETTINGS, TrainConfig, from_dict, read_config_file, resolve, to_toml
from gans.core.errors import UserError


@pytest.mark.parametrize("preset", list(PRESETS))
def test_presets(preset):
    cfg = resolve({"preset": preset})
    for key, value in PRESETS[preset].items():
        assert getattr(cfg, key) == value
    assert cfg.out.endswith(f"{preset}-seed0")


def test_the_comparison_differs_only_in_the_critic():
    """The three systems share every optimizer setting; WGAN-GP adds the penalty (and its loss), and
    MSNGAN centres real and fake images as one batch (the study's measured best for MSN)."""
    cfgs = {p: resolve({"preset": p}) for p in ("wgan-gp", "sngan", "msngan")}
    for key in ("lr", "betas", "n_critic", "batch_size", "g_norm", "width"):
        assert len({getattr(c, key) for c in cfgs.values()}) == 1, key
    assert [c.d_pass for c in cfgs.values()] == ["separate", "separate", "joint"]
    seed = resolve({"preset": "msngan-seedcode"})
    assert (seed.norm, seed.d_pass, seed.loss, seed.init) == (
        "msn:layers=seed,gamma=true,update=projected,iterations=100", "separate", "ns", "msn-code")
    base = resolve({"preset": "sngan-seedcode"})  # their SNGAN baseline: the same recipe minus the centring
    assert {k: v for k, v in base.to_dict().items() if k not in ("norm", "preset", "out")} == {
        k: v for k, v in seed.to_dict().items() if k not in ("norm", "preset", "out")}
    assert (cfgs["wgan-gp"].norm, cfgs["wgan-gp"].gp) == ("bn", True)
    assert (cfgs["sngan"].norm, cfgs["sngan"].gp) == ("sn", False)
    assert cfgs["msngan"].norm.startswith("msn") and not cfgs["msngan"].gp
    assert cfgs["sngan"].loss == cfgs["msngan"].loss
    # the init screen moved msngan alone to N(0, 0.02); a flag still restores PyTorch's default
    assert [c.init for c in cfgs.values()] == ["torch", "torch", "normal02"]
    assert resolve({"preset": "msngan", "init": "torch"}).init == "torch"


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
