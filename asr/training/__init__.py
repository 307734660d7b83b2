"""Training: the trainer, its traced step, checkpoints, distribution, CTC loss, logs."""
