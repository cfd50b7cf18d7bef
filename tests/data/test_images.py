import pickle
import urllib.error

import numpy as np
import pytest
import torch
from PIL import Image

from gans.data.images import Batches, check_shape, load_cifar10, load_images
from gans.core.errors import UserError
from gans.data.shapes import make_shapes
from tests.conftest import SHARED_SUBSET


def test_shapes_are_deterministic_and_varied():
    a, b = make_shapes(32, seed=3), make_shapes(32, seed=3)
    assert torch.equal(a, b) and a.dtype == torch.uint8 and a.shape == (32, 3, 32, 32)
    assert not torch.equal(a, make_shapes(32, seed=4))
    assert a.float().std(dim=0).mean() > 30  # images differ from each other
    assert len({img.numpy().tobytes() for img in a}) == 32


@pytest.mark.parametrize("layout", ["nchw", "nhwc"])
def test_npz_layouts(tmp_path, layout):
    x = make_shapes(5, size=16).numpy()
    stored = x if layout == "nchw" else x.transpose(0, 2, 3, 1)
    np.savez(tmp_path / "d.npz", x=stored)
    assert torch.equal(load_images(str(tmp_path / "d.npz")), torch.from_numpy(x))


def test_npz_rejects_floats(tmp_path):
    np.savez(tmp_path / "f.npz", x=np.zeros((2, 3, 8, 8), np.float32))
    with pytest.raises(UserError, match="expected uint8"):
        load_images(str(tmp_path / "f.npz"))


def test_image_folder(tmp_path):
    x = make_shapes(3, size=16).numpy()
    for i, img in enumerate(x):
        Image.fromarray(img.transpose(1, 2, 0)).save(tmp_path / f"{i}.png")
    assert torch.equal(load_images(str(tmp_path)), torch.from_numpy(x))


def test_empty_folder_and_missing_path(tmp_path):
    with pytest.raises(UserError, match="has no images"):
        load_images(str(tmp_path))
    with pytest.raises(UserError, match="not found"):
        load_images(str(tmp_path / "nope"))


def _write_tiny_cifar(root, n=4):
    """The real CIFAR-10 python layout: pickled dicts with "data" (N, 3072) uint8 and "labels"."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        batches[name] = data
        with open(folder / name, "wb") as f:
            pickle.dump({"data": data, "labels": list(range(n))}, f, protocol=2)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": ["airplane"] * 10}, f, protocol=2)
    return batches


def test_cifar10_reads_the_real_pickle_format(tmp_path):
    batches = _write_tiny_cifar(tmp_path)
    train = load_cifar10(tmp_path, train=True)
    assert train.shape == (20, 3, 32, 32)
    assert torch.equal(train[:4].reshape(4, -1), torch.from_numpy(batches["data_batch_1"]))
    test = load_images("cifar10-test", tmp_path)
    assert torch.equal(test.reshape(4, -1), torch.from_numpy(batches["test_batch"]))


def test_cifar10_offline_and_missing_is_one_line(tmp_path, monkeypatch):
    def offline(*a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr("torchvision.datasets.cifar.download_and_extract_archive", offline)
    with pytest.raises(UserError) as e:
        load_images("cifar10", tmp_path / "data")
    assert "cifar-10-batches-py" in str(e.value) and "\n" not in str(e.value)


def test_check_shape_names_the_fix():
    with pytest.raises(UserError, match="--image-size 16 --channels 3"):
        check_shape(torch.zeros(2, 3, 16, 16, dtype=torch.uint8), 32, 3, "d")


def test_batches_range_epochs_and_exact_resume():
    images = make_shapes(20, size=8)
    a = Batches(images, 8, seed=0, device=torch.device("cpu"))
    first = [a.next() for _ in range(3)]  # crosses an epoch boundary (20 // 8 = 2 per epoch)
    assert all(b.shape == (8, 3, 8, 8) and b.min() >= -1 and b.max() <= 1 for b in first)
    state = a.state_dict()
    after = [a.next() for _ in range(5)]
    b = Batches(images, 8, seed=123, device=torch.device("cpu"))
    b.load_state_dict(state)
    assert all(torch.equal(x, y) for x, y in zip(after, [b.next() for _ in range(5)]))


def test_batch_larger_than_data():
    with pytest.raises(UserError, match="larger than the data set"):
        Batches(make_shapes(4, size=8), 8, 0, torch.device("cpu"))


@pytest.mark.skipif(not SHARED_SUBSET.exists(), reason="shared CIFAR-10 subset not present")
def test_shared_cifar_subset_loads():
    x = load_images(str(SHARED_SUBSET))
    assert x.shape == (5085, 3, 32, 32) and x.dtype == torch.uint8


def test_a_slice_suffix_takes_part_of_any_source(tmp_path):
    path = tmp_path / "d.npz"
    x = np.arange(10 * 3 * 8 * 8, dtype=np.uint8).reshape(10, 3, 8, 8)
    np.savez(path, x=x)
    assert torch.equal(load_images(f"{path}[:7]"), torch.from_numpy(x[:7]))
    assert torch.equal(load_images(f"{path}[7:]"), torch.from_numpy(x[7:]))
    assert torch.equal(load_images(f"{path}[-2:]"), torch.from_numpy(x[-2:]))
    assert len(load_images("shapes[:5]")) == 5
