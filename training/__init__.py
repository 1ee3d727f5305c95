"""Training: datasets, window sampler, Stage I / Stage II, evaluation (no Qt)."""
