"""praho — operations toolkit for hosting administrators running Virtualmin."""

__version__ = "0.1.0"
