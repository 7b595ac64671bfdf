"""`python -m rulepipe.check PRESET.yaml [...]`: check config files before Snakemake reads them.

Snakemake loads `--configfile` files itself, before the Snakefile runs, and stops on a broken
one with its own message (a traceback for a missing file; "not valid JSON or YAML" without the
file or the line). This reads each file the way Snakemake will (YAML, a mapping at the top),
layers it over config.yaml as `--configfile` does, and runs the pipeline's whole config check
(schema, paths under `results`, targets): one line naming the file, the line or the key, and
exit code 1; "ok" and 0 when `snakemake --configfile ...` would start. Nothing is run or written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from rulepipe.config import ConfigError, layered, resolve_targets, validate_config
from rulepipe.io import DataError

DEFAULT = Path(__file__).resolve().parents[2] / "config.yaml"


def load_config_file(path: str | Path) -> dict:
    """A config file's mapping, or a ConfigError naming the file (and the line of a YAML error)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where} ({problem})") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte offset {err.start})") from None
    if not isinstance(data, dict):
        shown = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(f"{path}: is {shown}; a config file is a mapping of keys (results:, benchmark:, ...)")
    return data


def check(files: list[str]) -> dict:
    """The validated config that `snakemake --configfile FILES...` would run."""
    config = load_config_file(DEFAULT)
    for path in files:
        config = layered(config, load_config_file(path))
    validated = validate_config(config, sources=[str(DEFAULT.name), *files])
    resolve_targets(validated)
    return validated


def main(argv: list[str] | None = None) -> int:
    files = sys.argv[1:] if argv is None else argv
    try:
        check(files)
    except (ConfigError, DataError) as err:
        print(f"Configuration error: {err}", file=sys.stderr)
        return 1
    print(f"ok: {' + '.join([DEFAULT.name, *files])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
