"""The ``ptb search`` command: summary.json, and one-line errors."""

import importlib
import json


from advnas import cli
from advnas.ptb import corpus, experiment

from test_ptb import MIRROR, needs_mirror, tiny_corpus

locate_module = importlib.import_module("advnas.data.locate")  # the module, not the function


def test_ptb_search_writes_summary_with_the_headline_numbers(tmp_path, monkeypatch, capsys):
    data = tiny_corpus(n_train=4000)
    monkeypatch.setattr(experiment.corpus, "load", lambda path=None, dataset="ptb": data)
    out = tmp_path / "run"
    assert cli.main(["ptb", "search", "--strategy", "gdas", "--profile", "smoke", "--seed", "3",
                     "--out", str(out), "--json"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert {"arch", "val_ppl", "test_ppl", "params"} <= set(summary)
    assert summary["seed"] == 3 and summary["final_rule"] == "process_best"
    assert summary["arch"] == summary["process_best"]
    assert json.loads(capsys.readouterr().out)["arch"] == summary["arch"]
    assert not (out / "checkpoint.pt").exists()


def test_bad_strategy_is_one_line_and_exit_2(tmp_path, capsys):
    assert cli.main(["ptb", "search", "--strategy", "enas", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "strategy must be one of" in err and "'enas'" in err


@needs_mirror
def test_corrupted_corpus_stops_with_one_line_naming_file_and_checksum(tmp_path, monkeypatch, capsys):
    mirror = tmp_path / "mirror" / "ptb"
    mirror.mkdir(parents=True)
    for split in corpus.SPLITS:
        (mirror / f"ptb.{split}.txt").write_bytes((MIRROR / "ptb" / f"ptb.{split}.txt").read_bytes())
    with open(mirror / "ptb.test.txt", "a") as handle:
        handle.write("corrupted\n")
    monkeypatch.setenv("ADVNAS_DATA_DIR", str(tmp_path / "mirror"))
    monkeypatch.setenv("ADVNAS_PROJECT_DATA", str(tmp_path / "empty"))

    def offline(file, dest):
        raise OSError("offline")
    monkeypatch.setattr(locate_module, "_download", offline)
    # the cpu profile reads the full corpus (the smoke profile reads the shipped excerpts)
    assert cli.main(["ptb", "search", "--strategy", "advantage", "--profile", "cpu",
                     "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ptb/ptb.test.txt")
    assert "expected sha256 dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0" in err
    assert not (tmp_path / "run" / "summary.json").exists()
