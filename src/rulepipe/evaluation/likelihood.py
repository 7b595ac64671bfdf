"""Teacher-forced scoring with the HF model: what MMLU, TruthfulQA and the MIA scores read.

Generation backends (vLLM / HF generate) return text; these metrics need the model's
probabilities for given tokens, so they run one forward pass per sequence here. Sequences are
batched by length, left-padded with explicit position ids, and only the positions a metric
reads are projected onto the vocabulary (`logits_to_keep`): full logits of a batch of long
few-shot prompts would be gigabytes. A row's scores do not depend on what else shares its
batch beyond float rounding.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from transformers import AutoTokenizer

from rulepipe.generation.hf_backend import length_batches, load_for_inference
from rulepipe.prompts import pad_id


@dataclass
class TokenStats:
    """Per predicted token (positions 1..n-1 of a sequence): log p(token), and the mean and
    variance of log p under the model's whole next-token distribution (Min-K%++ needs both)."""

    logprobs: list[float]
    mu: list[float]
    var: list[float]


class Scorer:
    def __init__(self, model_dir: str, batch_size: int = 8, max_length: int = 2048, model=None, tokenizer=None):
        self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(model_dir)
        self.model = model or load_for_inference(model_dir)
        self.model.eval()
        self.batch_size = batch_size
        self.max_length = max_length
        self.pad_id = pad_id(self.tokenizer)
        self.truncated = 0  # sequences cut to max_length (from the left: the end is what is scored)

    def _fit(self, ids: list[int]) -> list[int]:
        if len(ids) > self.max_length:
            self.truncated += 1
            return ids[-self.max_length :]
        return ids

    @torch.no_grad()
    def _batches(self, sequences: list[list[int]], keep: int = 0):
        """Yield (indices, logits) over length-sorted batches. Rows are left-padded, so the last
        `keep` logits of every row are its own last positions (keep = 0: every position, the
        row's own being the last len(seq) ones)."""
        for batch, input_ids, attention in length_batches(sequences, self.batch_size, self.pad_id):
            positions = (attention.cumsum(-1) - 1).clamp(min=0)
            device = self.model.device
            out = self.model(
                input_ids=input_ids.to(device),
                attention_mask=attention.to(device),
                position_ids=positions.to(device),
                logits_to_keep=keep,
            )
            yield batch, out.logits.float()

    def next_token_logprobs(self, prompts: list[list[int]], candidates: list[int]) -> list[list[float]]:
        """log p(candidate | prompt) for each prompt and candidate token id."""
        prompts = [self._fit(p) for p in prompts]
        out: list[list[float]] = [[] for _ in prompts]
        for batch, logits in self._batches(prompts, keep=1):
            logp = torch.log_softmax(logits[:, -1], dim=-1)
            for row, i in enumerate(batch):
                out[i] = logp[row, candidates].tolist()
        return out

    @torch.no_grad()
    def continuation_logprobs(self, pairs: list[tuple[list[int], list[int]]]) -> list[float]:
        """Summed log p of each completion's tokens after its prompt. Completions of one prompt
        (TruthfulQA's choices) share one forward pass of the prompt through the KV cache."""
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, (prompt, _) in enumerate(pairs):
            groups.setdefault(tuple(prompt), []).append(i)
        out = [0.0] * len(pairs)
        for key, members in groups.items():
            longest = max(len(pairs[i][1]) for i in members)
            prompt = list(key)
            if len(prompt) + longest > self.max_length:
                self.truncated += 1
                prompt = prompt[-(self.max_length - longest) :]
            device = self.model.device
            first = self.model(input_ids=torch.tensor([prompt], device=device), use_cache=True, logits_to_keep=1)
            first_logp = torch.log_softmax(first.logits[0, -1].float(), dim=-1)
            for start in range(0, len(members), self.batch_size):
                chunk = members[start : start + self.batch_size]
                width = max(len(pairs[i][1]) for i in chunk)
                ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(chunk), len(prompt) + width), dtype=torch.long)
                mask[:, : len(prompt)] = 1
                for row, i in enumerate(chunk):
                    completion = pairs[i][1]
                    ids[row, : len(completion)] = torch.tensor(completion)
                    mask[row, len(prompt) : len(prompt) + len(completion)] = 1
                cache = copy.deepcopy(first.past_key_values)
                cache.batch_repeat_interleave(len(chunk))
                positions = (len(prompt) + torch.arange(width)).expand(len(chunk), width)
                logits = self.model(
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    past_key_values=cache,
                    position_ids=positions.to(device),
                ).logits
                logp = torch.log_softmax(logits.float(), dim=-1)
                for row, i in enumerate(chunk):
                    completion = pairs[i][1]
                    total = first_logp[completion[0]].item()
                    rest = torch.tensor(completion[1:], dtype=torch.long, device=logp.device)
                    total += sum(logp[row, torch.arange(len(rest), device=logp.device), rest].tolist())
                    out[i] = total
        return out

    def completion_logprobs(self, pairs: list[tuple[list[int], list[int]]]) -> list[float]:
        """Summed log p of each completion after its own prompt, the pairs in length-sorted
        batches (for prompts that are not shared; `continuation_logprobs` shares one)."""
        sequences = [self._fit(prompt + completion) for prompt, completion in pairs]
        keep = max(len(completion) for _, completion in pairs) + 1
        out = [0.0] * len(pairs)
        for batch, logits in self._batches(sequences, keep=keep):
            logp = torch.log_softmax(logits[:, :-1], dim=-1)  # the kept positions that predict a next token
            for row, i in enumerate(batch):
                completion = torch.tensor(pairs[i][1], dtype=torch.long, device=logp.device)
                picked = logp[row, -len(completion) :].gather(-1, completion.unsqueeze(-1))
                out[i] = picked.sum().item()
        return out

    def token_stats(self, sequences: list[list[int]]) -> list[TokenStats]:
        sequences = [self._fit(s) for s in sequences]
        out: list[TokenStats | None] = [None] * len(sequences)
        for batch, logits in self._batches(sequences):
            for row, i in enumerate(batch):
                n = len(sequences[i])
                logp = torch.log_softmax(logits[row, -n:-1], dim=-1)
                probs = logp.exp()
                mu = (probs * logp).sum(-1)
                var = (probs * logp.square()).sum(-1) - mu.square()
                tokens = torch.tensor(sequences[i][1:], dtype=torch.long, device=logp.device)
                picked = logp.gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
                out[i] = TokenStats(picked.tolist(), mu.tolist(), var.tolist())
        return out  # type: ignore[return-value]
