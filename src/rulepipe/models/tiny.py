"""A tiny random-weight Llama with a locally trained tokenizer and a ChatML template.

It exercises every stage (both generation backends, DeepSpeed, evaluation) in seconds,
for the smoke preset and the tests; it knows nothing.
"""

from __future__ import annotations

from pathlib import Path

from rulepipe.io import atomic_dir

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _corpus(texts: list[str] | None) -> list[str]:
    if texts:
        return texts
    from rulepipe.data.fictional.relations import PERSON_RELATIONS
    from rulepipe.data.fictional.vocabulary import CITIES, FIRST, SURNAME_HEADS
    from rulepipe.prompts import FB_TEMPLATE, QA_TEMPLATE

    base = [FB_TEMPLATE, QA_TEMPLATE, "Answer:", " ".join(FIRST), " ".join(SURNAME_HEADS), " ".join(CITIES)]
    base += [q for r in PERSON_RELATIONS for q in r.questions] + [r.statement for r in PERSON_RELATIONS]
    return base * 4


def build_tiny_model(
    out_dir: str | Path,
    seed: int = 0,
    vocab_size: int = 512,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 2,
    corpus: list[str] | None = None,
    initializer_range: float = 0.2,
) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    raw.train_from_iterator(_corpus(corpus), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        unk_token="<|endoftext|>",
        pad_token="<|im_end|>",
    )
    tokenizer.chat_template = CHATML

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        initializer_range=initializer_range,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config).to(torch.float32)
    with atomic_dir(out_dir) as scratch:
        model.save_pretrained(scratch, safe_serialization=True)
        tokenizer.save_pretrained(scratch)
