"""HF `generate` backend: the reference path, and the fallback where vLLM does not import."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from rulepipe.device import compute_dtype, on_cpu
from rulepipe.generation.base import Closing, Completion, SamplingConfig, completion
from rulepipe.generation.seeds import process_rank, stream_seed
from rulepipe.prompts import pad_id


def length_batches(sequences: list[list[int]], batch_size: int, pad_id: int):
    """Yield (indices, input_ids, attention_mask): sequences of similar length batched together
    (less padding, fewer fp32 drifts from it), left-padded as RWKU's reference evaluation pads."""
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        width = max(len(sequences[i]) for i in batch)
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            input_ids[row, width - len(sequences[i]) :] = torch.tensor(sequences[i])
            attention[row, width - len(sequences[i]) :] = 1
        yield batch, input_ids, attention


def load_for_inference(model_dir: str):
    """A model for generation or scoring in the compute dtype, on the GPU where there is one."""
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=compute_dtype())
    return model if on_cpu() else model.to("cuda")


class HFGenerator(Closing):
    name = "hf"

    def __init__(
        self, model_dir: str, seed: int = 0, batch_size: int = 16, model=None, tokenizer=None, synced: bool = False
    ) -> None:
        """`model`: an already loaded one (the policy during RL). `synced`: ranks of a ZeRO-3
        job generate in lockstep (every forward pass gathers parameters, a collective)."""
        self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(model_dir)
        self.model = model or load_for_inference(model_dir)
        self.model.eval()
        self.synced = synced
        self.seed = seed
        self.batch_size = batch_size
        self.pad_id = pad_id(self.tokenizer)

    @torch.no_grad()
    def generate(
        self, prompts: list[list[int]], sampling: SamplingConfig, stop_token_ids: list[int]
    ) -> list[list[Completion]]:
        torch.manual_seed(stream_seed(sampling.seed, process_rank()))  # each rank its own prompts (seeds.py)
        results: list[list[Completion]] = [[] for _ in prompts]
        for batch, input_ids, attention in length_batches(prompts, self.batch_size, self.pad_id):
            width = input_ids.shape[1]
            kwargs = dict(
                max_new_tokens=sampling.max_tokens,
                eos_token_id=stop_token_ids,
                pad_token_id=self.pad_id,
                num_return_sequences=sampling.n,
                use_cache=True,
                synced_gpus=self.synced,
            )
            if sampling.greedy:
                kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
            else:
                kwargs.update(
                    do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k or None
                )
            device = self.model.device
            output = self.model.generate(input_ids=input_ids.to(device), attention_mask=attention.to(device), **kwargs)
            new_tokens = output[:, width:].tolist()
            for row, i in enumerate(batch):
                for k in range(sampling.n):
                    results[i].append(completion(self.tokenizer, new_tokens[row * sampling.n + k], stop_token_ids))
        return results

    def sleep(self) -> None:
        """Nothing to free: the HF generator is the policy itself (or a model it owns)."""

    def close(self) -> None:
        pass
