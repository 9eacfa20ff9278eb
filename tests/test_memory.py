"""The memory command: one object per strategy, one-line errors."""

import json
import subprocess
import sys


def _memory(*args):
    return subprocess.run([sys.executable, "-m", "advnas", "memory", *args], capture_output=True, text=True)


def test_memory_json_has_one_object_per_strategy_with_the_required_keys():
    result = _memory("--strategies", "advantage,darts,plain", "--channels", "2", "--cells-per-stage", "1",
                     "--batch", "8", "--iterations", "1", "--cell-seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["strategy"] for r in rows] == ["advantage", "darts", "plain"]
    for row in rows:
        assert {"strategy", "peak_bytes", "seconds_per_iteration", "device"} <= set(row)
        assert row["peak_bytes"] > 0 and row["seconds_per_iteration"] > 0 and row["n_ops"] == 4
    assert len({row["cell"] for row in rows}) == 1  # every measurement runs the same sampled cell


def test_memory_rejects_bad_input_in_one_line():
    result = _memory("--strategies", "advantage,enas")
    assert result.returncode == 2
    from advnas import strategies  # the registry is the only list of names

    assert result.stderr.strip().splitlines() == [
        f"error: strategies must be drawn from {', '.join([*strategies.STRATEGIES, 'plain'])}; got 'enas'"]
    result = _memory("--batch", "1")
    assert result.returncode == 2 and "--batch must be an integer >= 2; got 1" in result.stderr
    result = _memory("--cell-seed", "-1")
    assert result.returncode == 2 and "--cell-seed must be an integer >= 0; got -1" in result.stderr
