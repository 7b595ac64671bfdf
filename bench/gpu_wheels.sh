#!/usr/bin/env bash
# Here, before a device run (versions as in envs/cpu.txt's resolution): the packages the GPU machine lacks, as Python 3.12 wheels in .whl/
# (DeepSpeed's sdist built into a wheel here), and RWKU target 1's utility files in .gpu_data/.
# pydantic 2.14 needs typing-extensions >= 4.16, which the GPU machine may lack: carried too.
# Both folders are ignored through .git/info/exclude and travel with `carry`.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude || echo '/.whl/' >> .git/info/exclude
grep -qx '/.gpu_data/' .git/info/exclude || echo '/.gpu_data/' >> .git/info/exclude
mkdir -p .whl .gpu_data/utility
pip=(.venv/bin/python -m pip --disable-pip-version-check)
"${pip[@]}" wheel -q --no-deps deepspeed==0.19.8 -w .whl
platforms=(--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
"${pip[@]}" download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${platforms[@]}" -d .whl \
  hjson==3.1.0 pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 typing-extensions==4.16.0 \
  rouge==1.0.1 nltk==3.10.4 jsonschema==4.26.0 jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1
for f in retain_mmlu.json retain_bbh.json truthful.json triviaqa.json fluency.json; do
  cp ../shared/data/rwku/Target/1_Stephen_King/$f .gpu_data/utility/
done
du -sh .whl .gpu_data
