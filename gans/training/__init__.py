"""Training: the trainer and its step, precision, EMA, several processes, training-time evaluation,
and starting or resuming a run from a config."""
