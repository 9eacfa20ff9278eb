import json
import subprocess
import sys

import pytest
import torch

from advnas.nb201.network import NB201Network, params_mb, parse_arch

ALL_3X3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
ALL_SKIP = ALL_3X3.replace("nor_conv_3x3", "skip_connect")


def test_parse_arch_edges():
    assert parse_arch(ALL_3X3) == [(0, 1, "nor_conv_3x3"), (0, 2, "nor_conv_3x3"), (1, 2, "nor_conv_3x3"),
                                   (0, 3, "nor_conv_3x3"), (1, 3, "nor_conv_3x3"), (2, 3, "nor_conv_3x3")]


def test_params_match_the_paper_for_the_all_conv3x3_cell():
    # Table 2: AdvantageNAS's argmax cell (all nor_conv_3x3) has 1.53 MB of parameters.
    assert round(params_mb(ALL_3X3), 2) == 1.53
    # A cell without convolutions leaves only stem, reductions and classifier.
    assert params_mb(ALL_SKIP) < 0.1


def test_network_forward_and_zero_cell():
    net = NB201Network(ALL_3X3, channels=4, cells_per_stage=1)
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    none = ALL_3X3.replace("nor_conv_3x3", "none")
    cell_out = NB201Network(none, channels=4, cells_per_stage=1).layers[0](torch.randn(1, 4, 8, 8))
    assert torch.all(cell_out == 0)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "advnas", "nb201", "lookup", *args], capture_output=True, text=True)


def test_lookup_cli_json():
    result = json.loads(_cli(ALL_3X3, "--json").stdout)
    assert result["index"] == 1462 and result["cifar10"] == pytest.approx(93.76)
    assert round(result["params_mb"], 2) == 1.53


@pytest.mark.parametrize("arch,needle", [("|nor_conv_3x3~0|+|nor_conv_3x3~0|", "3 node groups"),
                                         (ALL_3X3.replace("nor_conv_3x3~0|+", "conv9~0|+", 1), "op must be one of")])
def test_lookup_cli_malformed_arch_is_one_line(arch, needle):
    proc = _cli(arch, "--json")
    assert proc.returncode == 2 and needle in proc.stderr and proc.stderr.count("\n") == 1


def test_lookup_official_api_file_not_found_is_one_line(tmp_path):
    proc = _cli(ALL_3X3, "--api", str(tmp_path / "NAS-Bench-201-v1_0-e61699.pth"))
    assert proc.returncode == 2 and "--api" in proc.stderr and proc.stderr.count("\n") == 1


def test_percentile_among_the_cells_of_the_searched_space():
    from advnas.data.nb201_table import _by_arch, nb201_percentile, nb201_space_size
    from advnas.nb201.search_config import OP_SETS

    four, five = OP_SETS["nb201"], OP_SETS["with-none"]
    assert nb201_space_size(four) == 4 ** 6 and nb201_space_size(five) == 5 ** 6
    table = _by_arch()
    in_four = [a for a in table.index if "none" not in a]
    best = max(in_four, key=lambda a: table.at[a, "cifar10"])
    worst = min(in_four, key=lambda a: table.at[a, "cifar10"])
    assert nb201_percentile(best, four) == 100.0
    ties = int((table.loc[in_four, "cifar10"] <= table.at[worst, "cifar10"]).sum())  # equal accuracies
    assert nb201_percentile(worst, four) == 100.0 * ties / 4 ** 6 < 0.1
    # the median cell of the four-operation space sits near the 50th percentile
    median = sorted(in_four, key=lambda a: table.at[a, "cifar10"])[len(in_four) // 2]
    assert abs(nb201_percentile(median, four) - 50) < 0.1
