"""Training: the trainer, its traced step, checkpoints, distribution, dev metrics, logs."""
