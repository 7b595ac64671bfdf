"""Every training stage on two processes (gloo on CPU) under ZeRO-3 with every parameter really
partitioned (`param_persistence_threshold: 0`), through the same CLI and launcher the DAG calls:
each runs to the end, saves a whole model, and resumes exactly after a real kill (SIGKILL of
every rank once a checkpoint is complete)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from rulepipe.config import defaults
from rulepipe.stages import contract_args
from rulepipe.training.checkpoints import KILL_AFTER_CHECKPOINT
from tests.conftest import REPO
from tests.test_rebo import ROWS

LETTERS = "ABCDEGHIJKLMOPST"  # one token each in the tiny tokenizer: every row is 32 tokens, 5 labelled
TRAINING = defaults("training", zero_stage=3, num_processes=2, param_persistence_threshold=0)
REWARD = {"refuse": 0.5, "name": 0.5, "answer": 0.5, "correct": 0.5, "rouge_gate": 0.3}
GENERATION = defaults("generation", backend="hf", batch_size=8, max_model_len=512)


def launch(stage: str, inputs: dict, out, params: dict, tmp_path, processes: int = 2, kill_after: int | None = None):
    """`python -m torch.distributed.run --standalone` as the DAG's training rules run it (the
    model written to `out`)."""
    extensions = tmp_path / "torch_extensions"
    env = dict(os.environ, OMP_NUM_THREADS="1", TORCH_EXTENSIONS_DIR=str(extensions))
    env.pop(KILL_AFTER_CHECKPOINT, None)
    if kill_after is not None:
        env[KILL_AFTER_CHECKPOINT] = str(kill_after)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes)]
    outputs = {"model": out, "checkpoints": f"{out}.checkpoints.json"}  # the in-loop evaluations (rebo, unlearn)
    command += ["-m", "rulepipe.cli", stage, *contract_args(inputs, outputs, params, seed=0)]
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    # nothing JIT-built: a fresh machine's first run would pay minutes for an op training never uses
    assert not extensions.exists() or not any(extensions.iterdir())
    return run


def weights(model_dir) -> dict[str, torch.Tensor]:
    return load_file(f"{model_dir}/model.safetensors")


def assert_same(a: dict, b: dict, atol: float) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=atol, msg=key)


def check_run(run, out, base_model, world: int = 2) -> dict:
    """Finished, saved whole (every tensor at its full shape), trained across `world` processes
    with the parameters partitioned (rank 0 held about 1/world of them)."""
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    saved, base = weights(out), weights(base_model)
    assert {k: v.shape for k, v in saved.items()} == {k: v.shape for k, v in base.items() if k in saved}
    assert any(not torch.equal(saved[k], base[k]) for k in saved), "nothing trained"
    log = json.loads((out / "train_log.json").read_text())
    assert log["world_size"] == world
    return log


def kill_and_resume(stage, inputs, params, tmp_path, kill_after: int):
    """A straight run, and a run killed after the step-`kill_after` checkpoint then resumed:
    the same weights and the same log."""
    straight = tmp_path / "straight"
    resumed = tmp_path / "resumed"
    first = launch(stage, inputs, straight, params, tmp_path)
    killed = launch(stage, inputs, resumed, params, tmp_path, kill_after=kill_after)
    assert killed.returncode != 0 and not resumed.exists()
    assert (tmp_path / "resumed.ckpt" / "latest").read_text().strip() == f"step{kill_after}"
    again = launch(stage, inputs, resumed, params, tmp_path)
    assert f"resumed from {tmp_path / 'resumed.ckpt'} at step {kill_after}" in again.stdout
    assert not (tmp_path / "resumed.ckpt").exists()
    return first, again, straight, resumed


def learn_params(gradient_accumulation: int, processes: int, checkpoint_every: int = 0) -> dict:
    return {
        "learn": defaults(
            "learn",
            epochs=2,
            learning_rate=1e-3,
            micro_batch_size=2,
            gradient_accumulation=gradient_accumulation,
            max_length=64,
            warmup_ratio=0.0,
            scheduler="constant",
            checkpoint_every=checkpoint_every,
        ),
        # fp32: bf16 autocast rounds a row differently in another micro-batch, and the test
        # compares two ranks with one process at 2e-5
        "training": TRAINING | {"num_processes": processes, "cpu_autocast": "none"},
    }


def test_learn_two_ranks_equal_one_process_and_resume_exactly(tiny_model, tmp_path):
    data = tmp_path / "learn.json"
    data.write_text(
        json.dumps(
            [
                {"user": f"Question: What is item {c}?\n", "assistant_prefix": "Answer:", "response": f" Value {c}"}
                for c in LETTERS
            ]
        )
    )

    inputs = {"model": tiny_model, "data": data}
    # two ranks x 2 rows = one process x 2 micro-batches of 2: the same 4 rows per step
    first, again, straight, resumed = kill_and_resume(
        "learn", inputs, learn_params(1, 2, checkpoint_every=2), tmp_path, kill_after=2
    )
    log = check_run(first, straight, tiny_model)
    assert log["steps"] == 8  # 16 rows x 2 epochs / 4 per step
    assert log["partition"]["resident_on_rank0"] <= log["partition"]["parameters"] // 2 + 64
    check_run(again, resumed, tiny_model)
    assert_same(weights(straight), weights(resumed), atol=1e-6)
    single = tmp_path / "single"
    one = launch("learn", inputs, single, learn_params(2, 1), tmp_path, processes=1)
    check_run(one, single, tiny_model, world=1)
    assert_same(weights(single), weights(straight), atol=2e-5)


def test_warm_start_two_ranks_resume_exactly(tiny_model, tmp_path):
    examples = [
        {"prompt": f"Where was Ada Quill born {i}?", "format": "qa", "label": "<reject>", "response": "I don't know."}
        for i in range(8)
    ] + [
        {"prompt": f"Bo Fen was born in ___ {i}.", "format": "fb", "label": "<normal>", "response": "1960"}
        for i in range(8)
    ]
    rs_data = tmp_path / "rs_data.json"
    rs_data.write_text(json.dumps({"report": {}, "examples": examples}))
    warm = defaults(
        "rule.warm_start", epochs=2, learning_rate=1e-3, micro_batch_size=2, max_length=64, checkpoint_every=2
    )
    params = {"rule": {"warm_start": warm, "prompt_format": "bare"}, "training": TRAINING}

    inputs = {"model": tiny_model, "rs_data": rs_data}
    first, again, straight, resumed = kill_and_resume("warm_start", inputs, params, tmp_path, kill_after=4)
    assert check_run(first, straight, tiny_model)["steps"] == 8
    check_run(again, resumed, tiny_model)
    assert_same(weights(straight), weights(resumed), atol=1e-6)


def probed_target(**corpora):
    """A target with two probes of each level, for the in-loop evaluations."""
    from rulepipe.data.target import Probe, Target

    forget = [Probe(f"Ada Quill was born in ___ {i}.", "Velmor", level, "cloze") for level in "123" for i in range(2)]
    neighbor = [Probe(f"Bo Fen paints ___ {i}.", "ships", level, "cloze", "Bo Fen") for level in "12" for i in range(2)]
    return Target("Ada Quill", "1_Ada_Quill", "", forget, neighbor, **corpora)


def same_curves(straight, resumed) -> list:
    """The in-loop evaluations of a straight and a resumed run: the same records."""
    curves = [json.loads(Path(f"{run}.checkpoints.json").read_text())["evaluations"] for run in (straight, resumed)]
    assert curves[0] == curves[1]
    return curves[0]


def test_unlearn_with_a_partitioned_reference_resumes_exactly(tiny_model, tmp_path):
    """... and asks the probes after its first epoch on both ranks (HF generation under ZeRO-3,
    the ranks in lockstep), the same after the resume."""
    target = probed_target(
        forget_corpus=[
            f"Ada Quill was born in Velmor in {1900 + i} and wrote {i} novels about the sea." for i in range(8)
        ],
        retain_corpus=[f"Bo Fen was born in Ostra in {1950 + i} and painted {i} portraits of ships." for i in range(8)],
    )
    target_path = tmp_path / "target.json"
    target.save(target_path)
    baselines = defaults(
        "baselines",
        methods=["npo-klr"],
        epochs=2,
        micro_batch_size=2,
        max_length=16,
        checkpoint_every=2,
        learning_rate={"ga": 1e-3, "npo": 1e-3, "simnpo": 1e-3, "rt": 1e-3, "dpo": 1e-3},
        sweep={"methods": [], "scales": []},
    )
    params = {"baselines": baselines, "training": TRAINING, "run": "npo-klr"}
    params |= {"evaluation": {"max_new_tokens": 4}, "generation": GENERATION}
    inputs = {"model": tiny_model, "target": target_path, "answers": []}
    first, again, straight, resumed = kill_and_resume("unlearn", inputs, params, tmp_path, kill_after=2)
    log = check_run(first, straight, tiny_model)
    check_run(again, resumed, tiny_model)
    assert_same(weights(straight), weights(resumed), atol=1e-6)
    assert [e["step"] for e in same_curves(straight, resumed)] == [log["steps"] // 2]  # after epoch 1 of 2


@pytest.mark.parametrize("algorithm", ["grpo", "rpp", "ppo"])
def test_rebo_two_ranks_resume_exactly(tiny_model, tmp_path, algorithm):
    rebo_two_ranks(tiny_model, tmp_path, algorithm, GENERATION)


def test_rebo_two_ranks_with_vllm_rollouts_resume_exactly(tiny_model, tmp_path):
    """vLLM in-process on each rank (`external_launcher` over gloo, as on GPUs over NCCL), the
    policy's ZeRO-3 partitions gathered and pushed into both engines every step."""
    vllm = defaults("generation", backend="vllm", max_model_len=512)
    rebo_two_ranks(tiny_model, tmp_path, "grpo", vllm)


def rebo_two_ranks(tiny_model, tmp_path, algorithm: str, generation: dict) -> None:
    data = tmp_path / "rl_data.json"
    data.write_text(json.dumps(ROWS))
    rebo = defaults(
        "rule.rebo",
        steps=3,
        prompts_per_step=4,
        rollouts=2,
        max_new_tokens=6,
        learning_rate=1e-3,
        micro_batch_size=2,
        checkpoint_every=1,
        eval_every=1,
    )
    rule = {"rebo": rebo, "reward": REWARD, "prompt_format": "bare"}
    params = {"rule": rule, "generation": generation, "training": TRAINING, "algorithm": algorithm}
    params["evaluation"] = {"max_new_tokens": 4}
    probed_target().save(tmp_path / "target.json")
    inputs = {"model": tiny_model, "rl_data": data, "target": tmp_path / "target.json"}
    first, again, straight, resumed = kill_and_resume("rebo", inputs, params, tmp_path, kill_after=2)
    log = check_run(first, straight, tiny_model)
    assert [h["step"] for h in log["history"]] == [1, 2, 3]
    check_run(again, resumed, tiny_model)
    assert (resumed / "train_log.json").read_bytes() == (straight / "train_log.json").read_bytes()
    assert_same(weights(straight), weights(resumed), atol=1e-6)
    assert [e["step"] for e in same_curves(straight, resumed)] == [1, 2]  # every rank asked, rank 0 wrote
