"""Weighted n-gram entropy, RWKU's fluency measure (bigram and trigram entropy in bits,
weights 2/3 and 4/3, averaged). The tokenizer is the caller's: RWKU tokenizes words with
NLTK; the naturalness proxies use a plain regex so that they need no tokenizer data."""

from __future__ import annotations

import math
import re
from collections import Counter
from statistics import mean

from nltk.tokenize import NLTKWordTokenizer
from nltk.tokenize.punkt import PunktSentenceTokenizer

WORD_RE = re.compile(r"\w+|[^\w\s]")


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


def ngram_entropy(
    tokens: list[str], ns: tuple[int, ...] = (2, 3), weights: tuple[float, ...] = (2 / 3, 4 / 3)
) -> float:
    """mean over n of weight_n * H(n-gram distribution of `tokens`), in bits; 0 for too-short text."""
    values = []
    for n, weight in zip(ns, weights, strict=True):
        counts = Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        total = sum(counts.values())
        entropy = -sum(c / total * math.log2(c / total) for c in counts.values()) if total else 0.0
        values.append(weight * entropy)
    return mean(values)


_SENTENCES = PunktSentenceTokenizer()  # untrained: no downloaded model, same splits on plain prose
_TREEBANK = NLTKWordTokenizer()


def nltk_words(text: str) -> list[str]:
    """`nltk.word_tokenize` as RWKU calls it, without its download: the same Treebank word
    tokenizer over Punkt sentences. Punkt runs untrained here (its English model is a separate
    download), so it misses abbreviations such as "Mr." and splits after them; elsewhere the
    tokens are the same."""
    return [token for sentence in _SENTENCES.tokenize(text) for token in _TREEBANK.tokenize(sentence)]


def rwku_fluency(texts: list[str]) -> float:
    """RWKU's fluency: the weighted 2/3-gram entropy of each text's NLTK words, averaged."""
    return mean(ngram_entropy(nltk_words(t)) for t in texts) if texts else float("nan")
