"""The built-in Virtualmin simulator."""
