import pytest

from gans.config import SETTINGS, SYSTEMS, TrainConfig, from_dict, read_config_file, resolve, to_toml
from gans.errors import UserError


@pytest.mark.parametrize("preset", list(SYSTEMS))
def test_system_presets(preset):
    cfg = resolve({"preset": preset})
    for key, value in SYSTEMS[preset].items():
        assert getattr(cfg, key) == value
    assert cfg.out.endswith(f"{preset}-seed0")


def test_msn_paper_systems():
    assert (resolve({"preset": "wgan-gp"}).norm, resolve({"preset": "wgan-gp"}).gp) == ("bn", True)
    assert (resolve({"preset": "sngan"}).norm, resolve({"preset": "sngan"}).gp) == ("sn", False)
    assert resolve({"preset": "msngan"}).norm == "msn"


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
    assert resolve({}, f) == cfg
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
    ({"norm": "xx"}, "unknown --norm 'xx'; choose one of bn"),
    ({"loss": "l2"}, "unknown --loss 'l2'"),
    ({"image_size": 20}, "multiple of 8"),
    ({"betas": (1.5, 0.9)}, "--betas"),
])
def test_bad_values(flags, match):
    with pytest.raises(UserError, match=match):
        resolve(flags)
