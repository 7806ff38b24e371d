"""Drift: where Virtualmin differs from the ledger, found and resolved."""
