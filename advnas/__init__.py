"""advnas: a reproducible companion to *AdvantageNAS: Efficient Neural Architecture
Search with Credit Assignment* (Sato, Sakuma, Akimoto, AAAI 2021)."""

__version__ = "0.1.0"
