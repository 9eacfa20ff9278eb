"""The toy regression task of Sec. 5.1 (spec §1)."""

from advnas.toy.space import ToySpace

__all__ = ["ToySpace"]
