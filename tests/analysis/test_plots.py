"""The seed band: mean and sample std (ddof=1) over seeds, on the steps every seed has."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from gans.analysis.plots import draw_band, plot_bands, seed_band  # noqa: E402


def test_band_is_mean_and_ddof1_std_on_shared_steps():
    seeds = [{0: 1.0, 2: 3.0, 4: 5.0}, {0: 2.0, 2: 5.0}, {0: 6.0, 2: 4.0, 6: 0.0}]
    band = seed_band(seeds)
    assert band.steps.tolist() == [0, 2] and band.seeds == 3
    values = np.array([[1.0, 3.0], [2.0, 5.0], [6.0, 4.0]])
    assert band.mean == pytest.approx(values.mean(0))
    assert band.std == pytest.approx(np.std(values, axis=0, ddof=1))


def test_one_seed_has_no_spread_and_disjoint_seeds_no_band():
    one = seed_band([{1: 2.0, 3: 4.0}, {}])
    assert one.seeds == 1 and one.std is None and one.mean.tolist() == [2.0, 4.0]
    assert seed_band([{1: 1.0}, {2: 1.0}]) is None and seed_band([]) is None


def test_drawn_lines_say_their_seeds_and_shade_only_a_spread():
    fig, ax = plt.subplots()
    assert plot_bands(ax, {"a": [{0: 1.0, 1: 2.0}, {0: 2.0, 1: 3.0}], "b": [{0: 1.0}], "none": [{0: 1.0}, {1: 1.0}]},
                      log=True) == 2
    assert [line.get_label() for line in ax.lines] == ["a (2 seeds)", "b (1 seed)"]
    assert len(ax.collections) == 1 and ax.get_yscale() == "log"
    line = draw_band(ax, seed_band([{0: 1.0}]), "c", marker=None)
    assert line.get_marker() in (None, "None", "")
    plt.close(fig)
