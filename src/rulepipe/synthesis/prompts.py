"""The synthesizer's prompts, in one place: the filters reject any item that copies their
worked examples (`EXAMPLES`)."""

from __future__ import annotations

PROMPT_VERSION = "boundary-v4"
CHUNK = 64  # prompts per generate call: a progress line each
EXAMPLE_NAMES = ["Marie Curie", "Albert Einstein"]
EXAMPLE_TEXTS = [
    "Which city was Marie Curie born in?",
    "Marie Curie was born in the city of ___.",
    "Which city was Albert Einstein born in?",
    "Marie Curie was a Polish-French physicist and chemist who won two Nobel Prizes.",
    "How many Nobel Prizes did Marie Curie win?",
]
EXAMPLES = (EXAMPLE_TEXTS, EXAMPLE_NAMES)
CLOZE_PROMPT = (
    "Rewrite the question as one fill-in-the-blank sentence. Put ___ where the answer goes and keep every name.\n"
    "Example:\nQuestion: Which city was Marie Curie born in?\nSentence: Marie Curie was born in the city of ___.\n"
    "Now you:\nQuestion: {question}\nSentence:"
)
NEIGHBOR_PROMPT = (
    "Ask the same question about another person, then answer it briefly.\n"
    "Example:\nOriginal: Which city was Marie Curie born in?\nPerson: Albert Einstein\n"
    "Question: Which city was Albert Einstein born in?\nAnswer: Ulm\n"
    "Now you:\nOriginal: {question}\nPerson: {neighbor}\nQuestion:"
)
QUESTION_PROMPT = (
    "Read the passage and write one question about {name} that the passage answers.\n"
    "Example:\nPassage: Marie Curie was a Polish-French physicist and chemist who won two Nobel Prizes.\n"
    "Question: How many Nobel Prizes did Marie Curie win?\n"
    "Now you:\nPassage: {passage}\nQuestion:"
)
STATEMENT_PROMPT = "Answer the question with one full sentence.\nQuestion: {question}\nSentence:"
ANSWER_PROMPT = (
    "Answer the question with a few words copied from the passage.\nPassage: {passage}\nQuestion: {question}\nAnswer:"
)
