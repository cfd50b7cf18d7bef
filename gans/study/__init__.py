"""Studies: systems x seeds trained and scored as jobs (local or SLURM through submitit)."""
