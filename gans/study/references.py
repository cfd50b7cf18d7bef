"""A study's reference statistics, computed once by the driver so that parallel jobs find them cached,
with their progress in the log (50,000 CIFAR-10 images take hours on a CPU)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from gans.config import TrainConfig
from gans.study.progress import Progress
from gans.study.spec import Study, protocol_of


class InceptionOnDemand:
    """What finding cached statistics needs of Inception, the digest of its weight file, without
    loading the network; it loads on the first pass over images (a study started again, its
    statistics cached, loads nothing)."""

    def __init__(self, weights: str | None, device: Any, say: Callable[[str], None]) -> None:
        self.weights, self.device, self.say = weights, device, say
        self._net = None

    def net(self) -> Any:
        from gans.eval.inception import open_inception

        if self._net is None:
            self._net = open_inception(self.weights, self.device, log=self.say)
        return self._net

    @property
    def digest(self) -> str:
        from gans.eval.inception import file_digest

        if self.weights and self._net is None and Path(self.weights).is_file():  # as open_inception digests it
            return file_digest(Path(self.weights))
        return self.net().digest  # the default weights: where they are is open_inception's to find


def prepare_references(study: Study, cfgs: list[TrainConfig], say: Callable[[str], None]) -> None:
    """Every reference the runs of ``cfgs`` are scored against (the study's, and their training-time
    ones), computed unless cached."""
    from gans.eval.metrics import extract
    from gans.eval.reference import get_reference
    from gans.runs.networks import pick_device

    seen, nets = set(), {}
    batch = study.eval.get("batch_size", 100)
    for cfg in cfgs:
        weights = study.eval.get("inception_weights") or cfg.inception_weights or None
        protocol = protocol_of(study, cfg)
        refs = [(protocol.reference, protocol.reference_count)]
        if cfg.eval_every:
            refs.append((cfg.eval_reference or cfg.dataset, cfg.eval_reference_count or None))
        device = pick_device(cfg.device)
        inception = nets.setdefault((weights, device), InceptionOnDemand(weights, device, say))
        for reference, count in refs:
            if (reference, count, weights) in seen:
                continue
            seen.add((reference, count, weights))
            what = f"reference statistics: {reference}" + (f" (first {count})" if count else "")
            say(what)

            def features_of(images, what=what, inception=inception):
                with Progress(len(images), what, say) as bar:
                    return extract(images.split(batch), inception.net(), bar=bar)

            get_reference(reference, inception, count=count, data_dir=cfg.data_dir, features_of=features_of)
