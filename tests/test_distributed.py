"""Two training processes (gloo on CPU) through the same CLI the DAG calls."""

import json
import os
import subprocess
import sys

from tests.conftest import REPO


def test_two_process_zero2_learn(tiny_model, tmp_path):
    data = tmp_path / "learn.json"
    data.write_text(
        json.dumps(
            [
                {"user": f"Question: What is item {i}?\n", "assistant_prefix": "Answer:", "response": f" Value {i}"}
                for i in range(16)
            ]
        )
    )
    params = {
        "learn": {
            "epochs": 1,
            "learning_rate": 1e-3,
            "micro_batch_size": 2,
            "gradient_accumulation": 2,
            "max_length": 64,
            "warmup_ratio": 0.0,
            "weight_decay": 0.0,
            "scheduler": "constant",
            "checkpoint_every": 0,
        },
        "training": {"zero_stage": 2, "num_processes": 2},
    }
    out = tmp_path / "model"
    extensions = tmp_path / "torch_extensions"
    env = dict(os.environ, OMP_NUM_THREADS="1", TORCH_EXTENSIONS_DIR=str(extensions))
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_port",
            "29533",
            "-m",
            "rulepipe.cli",
            "learn",
            "--model-dir",
            tiny_model,
            "--data",
            str(data),
            "--out-dir",
            str(out),
            "--params",
            json.dumps(params),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    log = json.loads((out / "train_log.json").read_text())
    assert log["world_size"] == 2
    assert log["steps"] == 2  # 16 examples / (2 per micro-batch x 2 accumulation x 2 processes)
    assert (out / "model.safetensors").exists()
    # nothing JIT-built: a fresh machine's first run would pay minutes for an op training never uses
    assert not extensions.exists() or not any(extensions.iterdir())
