"""Training curves: ReBO's per-step reward, refusal rates and KL, one panel each."""

from __future__ import annotations

from pathlib import Path

from rulepipe.io import read_json

PANELS = [
    ("reward", ["reward_forget", "reward_boundary"]),
    ("refusal rate", ["refusal_rate_forget", "refusal_rate_boundary"]),
    ("KL to RS", ["kl"]),
    ("response tokens", ["response_tokens"]),
]


def plot_training_curves(logs: list[str], out: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PANELS), figsize=(4 * len(PANELS), 3.2))
    for path in logs:
        log = read_json(path)
        history = log["history"]
        label = log.get("algorithm", Path(path).parent.name)
        steps = [h["step"] for h in history]
        for ax, (title, keys) in zip(axes, PANELS):
            for key in keys:
                suffix = key.replace("reward_", "").replace("refusal_rate_", "") if len(keys) > 1 else ""
                ax.plot(steps, [h[key] for h in history], marker=".", label=f"{label} {suffix}".strip())
            ax.set_title(title)
            ax.set_xlabel("step")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = out.with_name(f".{out.name}.tmp.png")
    fig.savefig(scratch, dpi=110)
    plt.close(fig)
    scratch.replace(out)
    print(f"[rebo_curves] {out}", flush=True)
