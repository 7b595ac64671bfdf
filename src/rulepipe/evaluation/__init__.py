"""Evaluation: RWKU probes (forget / neighbor), later utility, MIA, MUSE and naturalness."""
