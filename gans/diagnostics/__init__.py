"""Measurements of a critic during training (the MSN paper's diagnostics), taken on copies so the
training run is unchanged."""
