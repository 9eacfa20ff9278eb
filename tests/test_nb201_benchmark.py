"""NAS-Bench-201 interop: the official API (nas-bench-201's NASBench201API, NATS-Bench's topology
API by duck typing) behind the adapter the code uses for the shipped table, and the export
script that rebuilds the table from a benchmark file.

The benchmark file here is a small archive in the official format, written with the package's
own classes (nas_201_api/api_utils.py: ResultsCount, ArchResults) and read by the real
NASBench201API: every cell string of the space (``meta_archs``, in the shipped table's index
order) and the results of three cells. Their 200-epoch test accuracies, averaged over two
seeds, are the shipped table's values; the 12-epoch results and the other evaluation sets
hold other values, so a wrong schedule or set would show."""

import gzip
import importlib.util
import inspect
import math
from pathlib import Path

import pytest
import torch

from advnas.paths import shipped_data_dir
from advnas.data import registry
from advnas.data.nb201_benchmark import APIBenchmark, TableBenchmark, as_benchmark
from advnas.data.nb201_table import NB201_DATASETS, load_nb201_table, nb201_accuracy, nb201_index

nas_201_api = pytest.importorskip("nas_201_api")

REPO = Path(__file__).resolve().parents[1]
ALL_3X3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
INDEXES = (0, 3, 1462)  # index 3 uses the zero operation; 1462 is the all-3x3 cell (93.76)
SEEDS = (777, 888)
# official names of the datasets and their evaluation sets (nas_201_api/api_201.py, get_more_info)
EVAL_SETS = {"cifar10-valid": ("x-valid", "ori-test"), "cifar10": ("ori-test",),
             "cifar100": ("x-valid", "x-test", "ori-test"), "ImageNet16-120": ("x-valid", "x-test", "ori-test")}
TEST_SET = {"cifar10": ("cifar10", "ori-test"), "cifar100": ("cifar100", "x-test"),
            "imagenet16_120": ("ImageNet16-120", "x-test")}


def _trial(arch, dataset, seed, epochs, final):
    """One trained seed (ResultsCount) whose test set ends at ``final[set]`` after the last epoch;
    every other number is off by whole points."""
    R = nas_201_api.ResultsCount
    last = epochs - 1
    losses = {e: 2.0 - e / epochs for e in range(epochs)}
    result = R(dataset, None, {e: 50.0 + e / 10 for e in range(epochs)}, losses, 1.5, 200.0,
               {"name": "infer.tiny", "C": 16, "N": 5, "arch_str": arch, "num_classes": 10}, seed, epochs, [0.01])
    result.update_train_info({e: 50.0 + e / 10 for e in range(epochs)}, None, losses, {e: 10.0 for e in range(epochs)})
    accs, times = {}, {}
    for name in EVAL_SETS[dataset]:
        for e in range(epochs):
            accs[f"{name}@{e}"] = final.get(name, 10.0) if e == last else 20.0 + e / 10
            times[f"{name}@{e}"] = 1.0
    result.update_eval(accs, {k: 1.0 for k in accs}, times)
    return result


def _arch_results(index, arch, epochs, accuracies):
    """ArchResults of one cell and one schedule: two seeds per dataset whose mean on the test set
    is ``accuracies[column]`` (the seeds differ by 0.2 points)."""
    results = nas_201_api.ArchResults(index, arch)
    for dataset in EVAL_SETS:
        for seed, delta in zip(SEEDS, (-0.1, 0.1)):
            final = {}
            for column, (name, test_set) in TEST_SET.items():
                if name == dataset:
                    final[test_set] = accuracies[column] + delta
                    final.update({s: accuracies[column] + 5.0 for s in EVAL_SETS[dataset] if s != test_set})
            results.update(dataset, seed, _trial(arch, dataset, seed, epochs, final))
    return results


def write_archive(path, table, indexes=INDEXES):
    """A benchmark file in NAS-Bench-201's format (the dict NASBench201API loads): the whole space
    in ``meta_archs``, results of the cells ``indexes`` (``less``: 12 epochs, ``full``: 200)."""
    rows = table.set_index("index")
    arch2infos = {}
    for index in indexes:
        row = rows.loc[index]
        full = {column: float(row[column]) for column in NB201_DATASETS}
        less = {column: value - 30.0 for column, value in full.items()}
        arch2infos[index] = {"less": _arch_results(index, row["arch"], 12, less).state_dict(),
                             "full": _arch_results(index, row["arch"], 200, full).state_dict()}
    torch.save({"meta_archs": list(table["arch"]), "arch2infos": arch2infos,
                "evaluated_indexes": list(indexes), "total_archs": len(table)}, path)
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return write_archive(tmp_path_factory.mktemp("nb201") / "NAS-Bench-201-test.pth", load_nb201_table())


@pytest.fixture(scope="module")
def api(archive):
    return nas_201_api.NASBench201API(str(archive), verbose=False)


def test_the_adapter_on_the_official_api_returns_the_table_rows(api):
    table = load_nb201_table().set_index("index")
    benchmark = as_benchmark(api)
    assert isinstance(benchmark, APIBenchmark) and "NASBench201API" in benchmark.source
    for index in INDEXES:
        arch = table.at[index, "arch"]
        assert benchmark.index(arch) == index == nb201_index(arch)
        for column in NB201_DATASETS:
            assert benchmark.accuracy(arch, column) == pytest.approx(table.at[index, column], abs=1e-9)
    assert benchmark.accuracy(ALL_3X3) == pytest.approx(93.76)


def test_the_package_pinned_takes_hp_and_averages_the_seeds(api):
    """The pinned nas-bench-201 selects the schedule by hp (default "12"): the adapter asks for "200"."""
    assert "hp" in inspect.signature(api.get_more_info).parameters
    twelve = api.get_more_info(1462, "cifar10", hp="12", is_random=False)["test-accuracy"]
    assert twelve == pytest.approx(93.76 - 30.0)
    one_seed = api.get_more_info(1462, "cifar10", hp="200", is_random=SEEDS[0])["test-accuracy"]
    assert one_seed == pytest.approx(93.76 - 0.1)


def test_lookup_with_the_benchmark_file_and_on_the_command_line(archive):
    import json
    import subprocess
    import sys

    from advnas.nb201.lookup import lookup

    result = lookup(ALL_3X3, archive)
    assert result["index"] == 1462 and result["cifar10"] == pytest.approx(93.76)
    assert archive.name in result["source"]
    proc = subprocess.run([sys.executable, "-m", "advnas", "nb201", "lookup", ALL_3X3, "--api", str(archive), "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["cifar10"] == pytest.approx(93.76)


def test_a_cell_the_benchmark_file_lacks_is_one_line(api):
    table = load_nb201_table()
    missing = table.at[5, "arch"]
    with pytest.raises(ValueError, match="Did not find"):
        as_benchmark(api).accuracy(missing)
    with pytest.raises(ValueError, match="arch must have 3 node groups"):
        as_benchmark(api).accuracy("|nor_conv_3x3~0|")


class _V1API:
    """Duck-typed nas-bench-201 v1.x (nas_201_api/api.py): get_more_info(index, dataset, iepoch=None,
    use_12epochs_result=False, is_random=True), answering from the shipped table."""

    def __init__(self, offset=0.0):
        self.table, self.offset, self.calls = load_nb201_table(), offset, []

    def query_index_by_arch(self, arch):
        hits = self.table.index[self.table["arch"] == arch]
        return int(hits[0]) if len(hits) else -1

    def get_more_info(self, index, dataset, iepoch=None, use_12epochs_result=False, is_random=True):
        self.calls.append((index, dataset, use_12epochs_result, is_random))
        column = {"cifar10": "cifar10", "cifar100": "cifar100", "ImageNet16-120": "imagenet16_120"}[dataset]
        value = float(self.table.at[index, column]) + self.offset
        return {"test-accuracy": value - 30.0 if use_12epochs_result else value}


class _NATSLikeAPI(_V1API):
    """Duck-typed NATS-Bench topology API (nats_bench/api_topology.py): hp instead of use_12epochs_result."""

    is_size = False

    def get_more_info(self, index, dataset, iepoch=None, hp="12", is_random=True):
        return super().get_more_info(index, dataset, iepoch, hp != "200", is_random)


@pytest.mark.parametrize("fake", [_V1API, _NATSLikeAPI])
def test_either_signature_selects_the_200_epoch_average(fake):
    api = fake()
    assert as_benchmark(api).accuracy(ALL_3X3, "cifar10") == pytest.approx(93.76)
    assert all(not twelve and random is False for _, _, twelve, random in api.calls)


def test_the_search_scores_found_cells_with_the_api_object():
    from advnas.nb201.experiment import synthetic_data
    from advnas.nb201.search import make_search
    from advnas.nb201.search_config import NB201SearchConfig

    cfg = NB201SearchConfig(channels=2, cells_per_stage=1, train_size=8, val_size=8, batch=4, epochs=2,
                            warmup_epochs=1, seeds=(0,))
    search = make_search(cfg, "advantage", 0, synthetic_data(8), torch.device("cpu"), benchmark=_V1API(offset=0.5))
    search.run(progress=False)
    summary = search.summary()
    assert summary["argmax_accuracy"] == pytest.approx(nb201_accuracy(summary["argmax_arch"]) + 0.5)
    assert search.rows[-1]["argmax_accuracy"] == summary["argmax_accuracy"]


def test_a_stored_search_scored_by_the_api_records_it_and_is_a_run_of_its_own(tmp_path, monkeypatch):
    from advnas.nb201 import experiment
    from advnas.nb201.search_config import NB201SearchConfig
    from advnas.store import ResultsStore

    monkeypatch.setattr(experiment, "_cifar", lambda *args: None)
    monkeypatch.setattr(experiment, "split", lambda cifar, cfg, device: experiment.synthetic_data(8))
    cfg = NB201SearchConfig(channels=2, cells_per_stage=1, train_size=8, val_size=8, batch=4, epochs=1,
                            warmup_epochs=0, seeds=(0,))
    store = ResultsStore(tmp_path / "results")
    scored = experiment.SEARCHES.run(cfg, "advantage", 0, "smoke", store, progress=False, benchmark=_V1API(offset=0.5))
    plain = experiment.SEARCHES.run(cfg, "advantage", 0, "smoke", store, progress=False)
    assert scored.config["nb201_benchmark"] == "official API _V1API" and "nb201_benchmark" not in plain.config
    assert scored.folder != plain.folder
    assert scored.summary["argmax_accuracy"] == pytest.approx(plain.summary["argmax_accuracy"] + 0.5)


def test_search_command_line_api_file_not_found_is_one_line(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "advnas", "nb201", "search", "--strategy", "advantage", "--profile",
                           "smoke", "--api", str(tmp_path / "none.pth"), "--out", str(tmp_path / "run")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: --api file not found")
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "run").exists()


@pytest.mark.parametrize("bad", ["NAS-Bench-201.pth", 3, object()])
def test_anything_else_is_a_one_line_error(bad):
    with pytest.raises(ValueError, match="benchmark must be None .*or a NAS-Bench-201 / NATS-Bench topology API") as caught:
        as_benchmark(bad)
    assert "\n" not in str(caught.value)


def test_the_size_space_is_refused():
    api = _NATSLikeAPI()
    api.is_size = True
    with pytest.raises(ValueError, match="topology-space API"):
        as_benchmark(api)


def test_none_is_the_shipped_table():
    assert isinstance(as_benchmark(None), TableBenchmark)
    assert as_benchmark(None).accuracy(ALL_3X3) == nb201_accuracy(ALL_3X3)


# The export script ---------------------------------------------------------------------------------

def _export_main():
    spec = importlib.util.spec_from_file_location("export_nb201_table", REPO / "scripts" / "export_nb201_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _shipped_lines():
    with gzip.open(shipped_data_dir() / registry.NB201_GZ.relpath, "rt") as handle:
        return handle.read().splitlines()


def test_export_round_trips_the_shipped_rows(archive, tmp_path, capsys):
    out = tmp_path / "nb201.csv"
    assert _export_main()([str(archive), "--out", str(out), "--partial", "--quiet"]) == 0
    assert "the tables agree" in capsys.readouterr().out
    shipped = _shipped_lines()
    # byte for byte the shipped CSV's header and rows (four decimals, index order)
    assert out.read_text().splitlines() == [shipped[0]] + [shipped[1 + i] for i in INDEXES]


def test_export_reports_differences_and_exits_non_zero(archive, tmp_path, capsys):
    shipped = _shipped_lines()
    rows = [shipped[1 + i].split(",") for i in INDEXES]
    rows[2][2] = f"{float(rows[2][2]) + 0.01:.4f}"  # the all-3x3 cell's CIFAR-10 accuracy, off by 0.01
    reference = tmp_path / "reference.csv"
    reference.write_text("\n".join([shipped[0]] + [",".join(r) for r in rows]) + "\n")
    main = _export_main()
    assert main([str(archive), "--table", str(reference), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "index 1462 cifar10: 93.7600 here, 93.7700 in the reference" in out and "differ in 1 place" in out
    assert main([str(archive), "--table", str(reference), "--tolerance", "0.02", "--quiet"]) == 0
    capsys.readouterr()
    # against the whole shipped table, the cells the file lacks are differences unless --partial
    assert main([str(archive), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "missing from the exported table" in out and f"differ in {len(shipped) - 1 - len(INDEXES)} place" in out


@pytest.mark.parametrize("args, words", [(["--tolerance", "-1"], "--tolerance must be a number >= 0"),
                                         (["--table", "/nonexistent.csv"], "--table cannot be read")])
def test_export_bad_arguments_are_one_line(archive, capsys, args, words):
    assert _export_main()([str(archive), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_export_of_a_missing_file_is_one_line(tmp_path, capsys):
    assert _export_main()([str(tmp_path / "none.pth"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "benchmark file not found" in err and err.count("\n") == 1


def test_nan_tolerance_is_refused():
    from advnas.data.nb201_export import compare_tables

    table = load_nb201_table().head(2)
    with pytest.raises(ValueError, match="tolerance must be"):
        compare_tables(table, table, math.nan)
