"""The smallest study setting that trains and scores for real: a study file's [train] and [eval]
tables, for tests that run `gans study` end to end; ``train`` adds [train] lines."""


def tiny_tables(train: str = "") -> str:
    return f"""[train]
dataset = "shapes[:64]"
image-size = 32
width = 0.0625
z-dim = 8
batch-size = 8
checkpoint-every = 2
sample-every = 2
log-every = 1
device = "cpu"
deterministic = true
{train}
[eval]
num-samples = 10
reference = "shapes[100:130]"
kid-subsets = 5
"""
