"""Measurements of a critic during training (the MSN paper's diagnostics and our corrected ones),
taken on copies with a private RNG so the training run is unchanged. Modules: diagnoser (the
measurement), critic (the training loss as parts), layers (finding the slots' layers), operators
(effective operators, singular values), paper (the authors' quantities), corrected (ours),
lipschitz (per-sample input gradients)."""
