"""ROUGE-L recall exactly as RWKU reports it: the `rouge` package's `rouge-l` `r`.

That package splits hypothesis and reference into sentences at '.', tokens at white space,
is case-sensitive and scores summary-level LCS; `rouge-score` differs on all four, so the
reference's own package is used.
"""

from __future__ import annotations

from rouge import Rouge

_ROUGE = Rouge(metrics=["rouge-l"])
EMPTY_ANSWER = "NOANSWER"


def clean_prediction(text: str) -> str:
    """RWKU's post-processing: strip, and an empty output becomes `NOANSWER`."""
    text = text.strip()
    return text if text else EMPTY_ANSWER


def rouge_l_recall(prediction: str, reference: str) -> float:
    """Recall of `reference` in `prediction`. A prediction made only of '.' scores 0: the
    reference code raises there (and would abort the whole run)."""
    try:
        return float(_ROUGE.get_scores(prediction, reference)[0]["rouge-l"]["r"])
    except ValueError:
        return 0.0
