"""The toy regression task of Sec. 5.1 (official code: toy/toy.py)."""

from advnas.toy.space import ToySpace

__all__ = ["ToySpace"]
