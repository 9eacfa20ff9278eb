"""How much the golden runs' outputs move between CPU kernels: the measurement behind
``advnas.behaviour.RTOL``.

Every golden run (``advnas/behaviour.py``) is executed in a fresh process under each of
torch's CPU kernel sets this CPU can run (``ATEN_CPU_CAPABILITY`` default, avx2, avx512) and
with oneDNN switched off, and its full-precision outputs are compared with the committed
reference (``advnas/behaviour_reference.json``). The largest difference (relative above 1,
absolute below: ``behaviour.difference``) per golden run and setting is written, with where
and on what it was measured, to ``advnas/behaviour_drift.json``; ``RTOL`` must lie an order
of magnitude above the largest (tests/test_behaviour.py checks it).

    python scripts/measure_golden_drift.py            # a few minutes on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def settings(flags: set[str]) -> dict[str, dict[str, str]]:
    """Setting name -> environment: the kernel sets this CPU can run, and oneDNN off."""
    chosen = {"ATEN_CPU_CAPABILITY=default": {"ATEN_CPU_CAPABILITY": "default"}}
    if "avx2" in flags:
        chosen["ATEN_CPU_CAPABILITY=avx2"] = {"ATEN_CPU_CAPABILITY": "avx2"}
    if "avx512f" in flags:
        chosen["ATEN_CPU_CAPABILITY=avx512"] = {"ATEN_CPU_CAPABILITY": "avx512"}
    chosen["oneDNN off"] = {"ADVNAS_DRIFT_NO_ONEDNN": "1"}
    return chosen


def cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    line = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
    return set(line.partition(":")[2].split())


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
        return next(ln.partition(":")[2].strip() for ln in text.splitlines() if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def worker(out: Path) -> None:
    """In the child process: every golden run's outputs, and the kernels that computed them."""
    import torch

    if os.environ.get("ADVNAS_DRIFT_NO_ONEDNN"):
        torch.backends.mkldnn.enabled = False
    from advnas import behaviour

    outputs = {name: behaviour.run_golden(name) for name in behaviour.EXPERIMENTS}
    out.write_text(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(),
                               "onednn": torch.backends.mkldnn.enabled, "outputs": outputs}))


def measure() -> dict:
    from advnas import behaviour, provenance

    reference = behaviour.reference()
    rows = []
    for setting, env in settings(cpu_flags()).items():
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "outputs.json"
            print(f"[drift] golden runs under {setting}", file=sys.stderr)
            subprocess.run([sys.executable, __file__, "--worker", str(out)], cwd=ROOT, check=True,
                           env={**os.environ, **env}, stdout=subprocess.DEVNULL)
            child = json.loads(out.read_text())
        for name, outputs in child["outputs"].items():
            rows.append({"golden_run": name, "setting": setting, "kernels": child["capability"],
                         "onednn": child["onednn"],
                         "largest_difference": behaviour.largest_difference(outputs, reference[name]["outputs"])})
    import torch

    return {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "git_commit": provenance.git_commit(), "cpu": cpu_model(), "native_kernels":
            torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__, "platform": platform.platform(),
            "largest": max(r["largest_difference"] for r in rows), "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    from advnas import behaviour
    from advnas.store import atomic_write_json

    result = measure()
    atomic_write_json(behaviour.DRIFT, result)
    print(f"[drift] largest difference {result['largest']:.3g} (RTOL {behaviour.RTOL:g}); "
          f"written to {behaviour.DRIFT}")


if __name__ == "__main__":
    main()
