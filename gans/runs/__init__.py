"""A run on disk and what reads it back: checkpoints, the run log, the networks a config builds,
sampling, scoring checkpoints with the evaluation library, and wandb tracking."""
