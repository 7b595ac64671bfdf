"""rulepipe.gpus: devices read from recorded `nvidia-smi -L` listings, locks keyed by UUID."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys

import pytest

from rulepipe.gpus import acquire, lock_name, parse_listing, schedulable

# Recorded from a node with GPU 1 in MIG mode (two 3g.40gb instances): the MIG lines sit between
# GPU lines, so numbering the listing's lines would call GPU 1 "3" and GPU 2 "4".
MIG_NODE = """\
GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-5b2d6c3e-1111-2222-3333-444455556666)
GPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-7a8b9c0d-aaaa-bbbb-cccc-ddddeeeeffff)
  MIG 3g.40gb     Device  0: (UUID: MIG-0f1e2d3c-0000-1111-2222-333344445555)
  MIG 3g.40gb     Device  1: (UUID: MIG-9a8b7c6d-6666-7777-8888-9999aaaabbbb)
GPU 2: NVIDIA A100-SXM4-80GB (UUID: GPU-c0ffee00-1234-5678-9abc-def012345678)
"""
G0 = "GPU-5b2d6c3e-1111-2222-3333-444455556666"
G1 = "GPU-7a8b9c0d-aaaa-bbbb-cccc-ddddeeeeffff"
G2 = "GPU-c0ffee00-1234-5678-9abc-def012345678"
M0, M1 = "MIG-0f1e2d3c-0000-1111-2222-333344445555", "MIG-9a8b7c6d-6666-7777-8888-9999aaaabbbb"


def test_listing_with_mig_devices_is_read_per_gpu():
    gpus = parse_listing(MIG_NODE)
    assert [g.uuid for g in gpus] == [G0, G1, G2]
    assert gpus[1].migs == (M0, M1) and gpus[0].migs == gpus[2].migs == ()
    assert schedulable(gpus, None) == [G0, M0, M1, G2]


def test_visible_devices_by_index_uuid_prefix_and_empty():
    gpus = parse_listing(MIG_NODE)
    assert schedulable(gpus, "2,0") == [G2, G0]  # indices in nvidia-smi's (PCI) order, not line numbers
    assert schedulable(gpus, "1") == [M0, M1]  # a GPU in MIG mode is its MIG devices
    assert schedulable(gpus, f"{G2},{M1}") == [G2, M1]
    assert schedulable(gpus, "GPU-c0ffee") == [G2]  # a UUID prefix, as CUDA accepts
    assert schedulable(gpus, "0,GPU-5b2d") == [G0]  # an index and a UUID of one GPU: one device
    assert schedulable(gpus, "") == []  # empty: no GPU, as CUDA reads it (not "unset")
    assert schedulable([], "3,5") == ["3", "5"]  # no nvidia-smi: the names as given
    with pytest.raises(SystemExit, match="names GPU 7, nvidia-smi -L shows 3"):
        schedulable(gpus, "7")
    with pytest.raises(SystemExit, match="matches 0 devices"):
        schedulable(gpus, "GPU-deadbeef")


def test_an_index_and_a_uuid_take_the_same_lock(tmp_path):
    gpus = parse_listing(MIG_NODE)
    by_index, fds = acquire(1, schedulable(gpus, "0"), str(tmp_path))
    try:
        assert by_index == [G0] and lock_name(G0) == f"gpu-{G0}.lock"
        with pytest.raises(BlockingIOError):  # the same GPU named by UUID is held
            with open(tmp_path / lock_name(schedulable(gpus, G0)[0]), "w") as other:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        for fd in fds:
            os.close(fd)


def test_a_job_of_several_gpus_takes_whole_gpus(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    units = schedulable(parse_listing(MIG_NODE), None)
    mine, fds = acquire(2, units, str(tmp_path))
    for fd in fds:
        os.close(fd)
    assert mine == [G0, G2]
    with pytest.raises(SystemExit, match="needs 3 GPUs, this machine shows 2 whole GPUs"):
        acquire(3, units, str(tmp_path))
    one, fds = acquire(1, [M0, M1], str(tmp_path))  # one GPU may be a MIG device
    for fd in fds:
        os.close(fd)
    assert one == [M0]


def test_gpu_lock_gives_concurrent_jobs_different_gpus(tmp_path):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="3,5", RULEPIPE_GPU_LOCKS=str(tmp_path))
    env.pop("SLURM_JOB_ID", None)
    shown = "import os; print(os.environ['CUDA_VISIBLE_DEVICES'], os.environ['CUDA_DEVICE_ORDER'])"

    def run(count: int) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "rulepipe.gpus", str(count), sys.executable, "-c", shown]
        return subprocess.run(command, env=env, capture_output=True, text=True)

    assert run(1).stdout.split() == ["3", "PCI_BUS_ID"]
    with open(tmp_path / lock_name("3"), "w") as held:  # another job holds GPU 3
        fcntl.flock(held, fcntl.LOCK_EX)
        assert run(1).stdout.split()[0] == "5"
    assert run(2).stdout.split()[0] == "3,5"
    too_many = run(3)
    assert too_many.returncode != 0 and "needs 3 GPUs, CUDA_VISIBLE_DEVICES shows 2" in too_many.stderr
    env["CUDA_VISIBLE_DEVICES"] = ""
    none = run(1)
    assert none.returncode != 0 and "CUDA_VISIBLE_DEVICES shows 0" in none.stderr
