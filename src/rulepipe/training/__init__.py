"""Training under DeepSpeed ZeRO: one engine loop, losses chosen per method."""
