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
