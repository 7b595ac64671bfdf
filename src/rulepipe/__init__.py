"""RULE pipeline: reinforcement unlearning of LLMs, from benchmark to report."""

__version__ = "0.1.0"
