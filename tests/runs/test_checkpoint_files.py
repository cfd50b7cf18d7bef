import os
import pickle

import pytest
import torch

from gans.runs import checkpoint as ckpt_io
from gans.runs import layout
from gans.core.errors import UserError


class _Exploit:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_malicious_pickle_executes_nothing(tmp_path):
    target = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": ckpt_io.FORMAT, "G": _Exploit(target)}, evil)
    with pytest.raises(UserError) as e:
        ckpt_io.load_checkpoint(evil)
    assert not target.exists()
    assert "\n" not in str(e.value) and "evil.pt" in str(e.value)
    assert "references posix.system" in str(e.value) and "weights_only" not in str(e.value)


def test_plain_pickle_file_is_refused(tmp_path):
    target = tmp_path / "pwned2"
    evil = tmp_path / "evil.pkl"
    evil.write_bytes(pickle.dumps(_Exploit(target)))
    with pytest.raises(UserError):
        ckpt_io.load_checkpoint(evil)
    assert not target.exists()


def test_truncated_file(tmp_path):
    good = ckpt_io.save_atomic({"format": ckpt_io.FORMAT, "step": 1, "config": {}, "G": {}, "D": {},
                                "blob": torch.randn(1000)}, tmp_path / "c.pt")
    data = good.read_bytes()
    (tmp_path / "t.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(UserError, match="truncated or corrupt"):
        ckpt_io.load_checkpoint(tmp_path / "t.pt")


def test_not_a_gans_checkpoint(tmp_path):
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(UserError, match="not a gans checkpoint"):
        ckpt_io.load_checkpoint(tmp_path / "other.pt")


def test_atomic_save_leaves_no_temp_and_prune_keeps_latest(tmp_path):
    for step in (1, 2, 3, 4):
        ckpt_io.save_atomic({"step": step}, layout.checkpoint_path(tmp_path, step))
    ckpt_io.prune(tmp_path, keep=2)
    assert [s for s, _ in ckpt_io.list_checkpoints(tmp_path)] == [3, 4]
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["ckpt_00000003.pt", "ckpt_00000004.pt"]
    assert ckpt_io.resolve_checkpoint(tmp_path).name == "ckpt_00000004.pt"


def test_failed_save_keeps_previous_file(tmp_path):
    path = ckpt_io.save_atomic({"v": 1}, tmp_path / "x.pt")

    class Unpicklable:
        def __reduce__(self):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        ckpt_io.save_atomic({"v": Unpicklable()}, path)
    assert torch.load(path, weights_only=True) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.pt"]


def test_weights_from_another_architecture_name_the_mismatch(tmp_path):
    from gans.models import Discriminator

    small, other = Discriminator(width=1 / 16, image_size=16, norm="sn"), Discriminator(width=1 / 8, image_size=16, norm="bn")
    with pytest.raises(UserError, match="discriminator weights do not fit") as e:
        ckpt_io.load_weights(other, small.state_dict(), "discriminator", "x.pt")
    assert "missing keys" in str(e.value) and "\n" not in str(e.value)


def test_a_corrupt_checkpoint_names_the_newest_earlier_one_that_loads(tmp_path):
    def save(step):
        return ckpt_io.save_atomic({"format": ckpt_io.FORMAT, "step": step, "config": {}, "G": {}, "D": {},
                                    "blob": torch.randn(1000)}, layout.checkpoint_path(tmp_path, step))

    first, second, third = save(10), save(20), save(30)
    for torn in (second, third):
        torn.write_bytes(torn.read_bytes()[:500])
    with pytest.raises(ckpt_io.CorruptCheckpoint) as info:
        ckpt_io.load_checkpoint(tmp_path)
    assert info.value.previous == first and str(info.value).endswith(f"use the previous good checkpoint {first}")
    first.write_bytes(first.read_bytes()[:500])
    with pytest.raises(ckpt_io.CorruptCheckpoint, match="no earlier checkpoint of this run loads"):
        ckpt_io.load_checkpoint(third)


def test_set_aside_after_moves_later_checkpoints_and_a_later_best(tmp_path):
    def save(step, path=None):
        return ckpt_io.save_atomic({"format": ckpt_io.FORMAT, "step": step, "config": {}, "G": {}, "D": {}},
                                   path or layout.checkpoint_path(tmp_path, step))

    for step in (2, 4, 6):
        save(step)
    save(5, tmp_path / "checkpoints" / layout.BEST)
    aside = tmp_path / "dropped-x"
    assert ckpt_io.set_aside_after(tmp_path, 4, aside) == [5, 6]
    assert sorted(p.name for p in aside.iterdir()) == [layout.BEST, "ckpt_00000006.pt"]
    assert [s for s, _ in ckpt_io.list_checkpoints(tmp_path)] == [2, 4]
    save(3, tmp_path / "checkpoints" / layout.BEST)  # a best before the resume point stays
    assert ckpt_io.set_aside_after(tmp_path, 4, tmp_path / "dropped-y") == [] and not (tmp_path / "dropped-y").exists()
