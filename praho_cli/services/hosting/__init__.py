"""Hosting use cases: Virtualmin servers, accounts and their provisioning, manifests."""
