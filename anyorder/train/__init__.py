"""Training: configs (``config``), the Accelerate loop (``trainer.fit``), checkpoints (``checkpoint.load``)."""
