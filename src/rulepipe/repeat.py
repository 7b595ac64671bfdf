"""`python -m rulepipe.repeat --configfile workflow/presets/seeds.yaml [--cores N] [snakemake args]`:
the whole pipeline once per seed of `repeat.seeds` (every method, the same benchmark and probes),
each run in `<results>/seed<k>/` with `seed: k`, then the mean and spread of every cell over the
seeds (`report.seeds`): `<results>/summary_over_seeds.csv` and `<results>/table_over_seeds.md`.

A driver around Snakemake rather than a wildcard in every path: each seed's run is an ordinary
run (resumable, its own summary.csv, table and figure), and the default's layout stays as it is.
Commands run without a shell; the config is checked (`rulepipe.check`) before the first one.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from rulepipe.check import check
from rulepipe.config import ConfigError
from rulepipe.io import DataError


def seed_results(root: str, seed: int) -> str:
    return str(Path(root) / f"seed{seed}")


def commands(files: list[str], config: dict, cores: str, extra: list[str]) -> list[tuple[int, list[str]]]:
    """(seed, argv) of each run, in `repeat.seeds` order."""
    head = [sys.executable, "-m", "snakemake", "--cores", cores]
    head += ["--configfile", *files] if files else []  # one flag, every file: a second --configfile replaces the first
    runs = []
    for seed in config["repeat"]["seeds"]:
        overrides = [f"seed={seed}", f"results={seed_results(config['results'], seed)}", "repeat={seeds: []}"]
        runs.append((seed, head + ["--config", *overrides] + extra))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rulepipe.repeat", description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", action="append", default=[], help="preset(s) over config.yaml, in order")
    parser.add_argument("--cores", default="all")
    args, extra = parser.parse_known_args(argv)
    try:
        config = check(args.configfile)
    except (ConfigError, DataError) as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return 1
    runs = commands(args.configfile, config, args.cores, extra)
    if not runs:
        print("Configuration error: repeat.seeds is empty (see workflow/presets/seeds.yaml)", file=sys.stderr)
        return 1
    for seed, command in runs:
        print(f"[repeat] seed {seed}: {' '.join(command[1:])}", flush=True)
        done = subprocess.run(command)
        if done.returncode != 0:
            print(f"[repeat] seed {seed} failed (exit {done.returncode}); the seeds before it keep their results")
            return done.returncode
    from rulepipe.report.seeds import write_over_seeds

    root = Path(config["results"])
    summaries = {seed: Path(seed_results(config["results"], seed)) / "summary.csv" for seed, _ in runs}
    table = write_over_seeds(summaries, root / "summary_over_seeds.csv", root / "table_over_seeds.md")
    print(f"[repeat] {len(runs)} seeds, {len(table)} rows -> {root}/summary_over_seeds.csv, table_over_seeds.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
