"""Benchmarks, normalised to one representation of an unlearning target."""
