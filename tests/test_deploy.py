"""The example manifests for grading beyond one machine parse, and run the grader the way the
README says: one shard per task, then one merge over every shard."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def test_the_kubernetes_jobs_shard_and_merge() -> None:
    grade, merge = list(yaml.safe_load_all((DEPLOY / "kubernetes-grade-job.yaml").read_text()))
    assert grade["kind"] == merge["kind"] == "Job"
    spec = grade["spec"]
    assert spec["completionMode"] == "Indexed"
    count = spec["completions"]
    assert spec["parallelism"] == count
    command = " ".join(spec["template"]["spec"]["containers"][0]["args"])
    assert f'--shard "${{JOB_COMPLETION_INDEX}}/{count}"' in command
    assert '--out "/data/out/shard-${JOB_COMPLETION_INDEX}"' in command
    merged = " ".join(merge["spec"]["template"]["spec"]["containers"][0]["args"])
    assert merged.split()[:3] == ["lrcourse", "merge", "/data/out/all"]
    assert merged.split()[3:] == [f"/data/out/shard-{i}" for i in range(count)]


def _fake_tools(folder: Path, log: Path) -> dict[str, str]:
    for name in ("lrcourse", "sbatch"):
        tool = folder / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\necho 4242\n')
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}"}


def test_the_slurm_script_grades_its_shard_and_submits_the_merge(tmp_path: Path) -> None:
    script = DEPLOY / "slurm-grade.sh"
    text = script.read_text()
    first, last = map(int, re.search(r"#SBATCH --array=(\d+)-(\d+)", text).groups())  # type: ignore[union-attr]
    shards = int(re.search(r"^SHARDS=(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    assert (first, last + 1) == (0, shards)
    log = tmp_path / "calls.log"
    env = _fake_tools(tmp_path, log)
    env.update(SLURM_ARRAY_TASK_ID="2", OUT=str(tmp_path / "out"), SLURM_CPUS_PER_TASK="2")
    subprocess.run(["bash", str(script)], env=env, check=True)
    call = log.read_text().split()
    assert call[:2] == ["lrcourse", "grade"]
    assert call[call.index("--shard") + 1] == f"2/{shards}"
    assert call[call.index("--out") + 1] == str(tmp_path / "out" / "shard-2")
    log.unlink()
    env.pop("SLURM_ARRAY_TASK_ID")
    subprocess.run(["bash", str(script)], env=env, check=True)
    submit, merge = log.read_text().splitlines()
    assert submit.startswith("sbatch --parsable")
    assert "--dependency=afterok:4242" in merge
    assert all(f"shard-{i}" in merge for i in range(shards))
