"""A critic loss that turns NaN once, at one step: what the divergence tests feed the trainer."""
from gans.training.trainer import Trainer


def poison_critic_once(t: Trainer, step: int) -> list[bool]:
    """From now on ``t``'s critic loss is NaN the first time it is computed at ``step``; the list
    returned gets an entry when that happened."""
    original, fired = t.objective, []

    def poisoned_once(real, fake):
        if t.step == step and not fired:
            fired.append(True)
            return original.d(real, fake) * float("nan")
        return original.d(real, fake)

    t.objective = original._replace(d=poisoned_once)
    return fired
