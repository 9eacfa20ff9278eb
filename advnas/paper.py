"""The paper's own reported values, shown beside ours and labelled as the paper's.

Sources are cited per constant (Sato, Sakuma, Akimoto, AAAI 2021).
"""

from __future__ import annotations

# Table 1: method -> (propagation, a_i, stochastic, theoretical guarantee).
# NASP is "dense" with a footnote: sparse in the weight step, dense in the architecture step.
TABLE1 = {
    "DARTS": ("dense", "n-hot", False, False),
    "SNAS": ("dense", "n-hot", True, False),
    "NASP": ("dense", "1-hot", False, True),
    "ProxylessNAS": ("sparse", "2-hot", True, False),
    "PARSEC": ("sparse", "1-hot", True, False),
    "GDAS": ("sparse", "1-hot", True, False),
    "ENAS": ("sparse", "1-hot", True, False),
    "AdvantageNAS": ("sparse", "1-hot", True, True),
}

# Sec. 5.1, "Results" (Fig. 1), quoted.
TOY_CLAIMS = (
    "We observe that AdvantageNAS converges faster than existing SP-NAS such as REINFORCE, "
    "PARSEC and GDAS. Moreover, it is more stable than ProxylessNAS when the number of "
    "iterations is large. Existing DP-NAS approaches such as DARTS, SNAS and NASP converge "
    "faster than AdvantageNAS."
)
TOY_FIGURE_WINDOW = 600  # Fig. 1 shows iterations 0-600 of 2000 (spec §6, discrepancy 14)

# Table 2 (CIFAR-10, NAS-Bench-201 lookup, mean ± std over 3 search trials):
# method -> {"argmax": (acc, acc_std, params_mb, params_std), "process_best": (...) or None}.
# ProxylessNAS has no process best (two-hot samples, Table 2's note).
TABLE2 = {
    "reinforce": {"argmax": (93.01, 0.47, 0.67, 0.18), "process_best": (92.69, 0.52, 0.68, 0.20)},
    "parsec": {"argmax": (93.68, 0.12, 1.39, 0.20), "process_best": (92.51, 0.65, 0.47, 0.12)},
    "proxyless": {"argmax": (93.22, 0.08, 0.74, 0.10), "process_best": None},
    "gdas": {"argmax": (93.46, 0.13, 1.24, 0.10), "process_best": (92.53, 0.98, 0.62, 0.20)},
    "advantage": {"argmax": (93.76, 0.00, 1.53, 0.00), "process_best": (93.29, 0.21, 0.94, 0.11)},
}

# Table 4 (App. F): as Table 2, with the zero operation in the search space.
TABLE4 = {
    "reinforce": {"argmax": (65.15, 39.00, 0.54, 0.08), "process_best": (91.40, 0.45, 0.49, 0.10)},
    "parsec": {"argmax": (92.67, 0.55, 0.59, 0.00), "process_best": (91.75, 0.57, 0.48, 0.17)},
    "proxyless": {"argmax": (10.00, 0.00, 0.07, 0.00), "process_best": None},
    "gdas": {"argmax": (88.62, 0.00, 0.34, 0.00), "process_best": (92.82, 0.71, 0.47, 0.14)},
    "advantage": {"argmax": (93.63, 0.18, 1.46, 0.10), "process_best": (93.18, 0.19, 0.86, 0.20)},
}

# Fig. 5 (App. I): AdvantageNAS's best CIFAR-10 cell, 93.76 % (all six edges nor_conv_3x3).
FIG5_ARCH = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
FIG5_ACCURACY = 93.76

# Sec. 5.2 and App. H, quoted: what Figs. 2 and 4 show.
FIG2_CLAIM = ("At the early stage in the search process, AdvantageNAS achieved a higher accuracy than that "
              "of the existing SP-NAS and was more stable at the high accuracy.")
FIG4_CLAIM = ("We observe that the entropy decreases more quickly in AdvantageNAS than it does in "
              "REINFORCE, GDAS, and PARSEC.")
