"""Protocol.build: the one way a protocol gets its defaults, published or the toolkit's own."""
import pytest

from gans.eval.protocol import OWN, PROTOCOLS, Protocol


def test_published_protocols_turn_custom_only_when_their_settings_change():
    assert Protocol.build("sngan", num_samples=5000, seed=3).name == "sngan"  # seed is no sngan setting
    assert Protocol.build("sngan", repeats=2).name == "custom"
    assert Protocol.build("sngan", prdc_k=3).prdc_k == 3 and Protocol.build("50k").prdc_k == 5


def test_own_protocols_take_overrides_and_keep_their_name():
    p = Protocol.build("study", num_samples=10, reference="ref", reference_count=None, prdc_k=None)
    assert (p.name, p.num_samples, p.repeats, p.reference, p.prdc_k) == ("study", 10, 1, "ref", 5)
    assert Protocol.build("study").num_samples == 1000 and Protocol.build("train-time", num_samples=10).repeats == 1
    assert not set(OWN) & set(PROTOCOLS)  # the CLI offers PROTOCOLS only


def test_kid_subset_size_is_recorded_as_used():
    assert Protocol.build("study", num_samples=10).kid_subset_size == 10
    assert Protocol.build("study", num_samples=10, kid_subset_size=4).kid_subset_size == 4
    assert Protocol.build("sngan").kid_subset_size == 1000


def test_unknown_name():
    with pytest.raises(KeyError, match="unknown protocol 'nope'"):
        Protocol.build("nope")
