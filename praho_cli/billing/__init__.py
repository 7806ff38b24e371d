"""Billing domain: VAT rates and regimes, document totals, numbering templates, FX snapshots.

Pure functions over plain values: no SQL, no I/O, no clock. Services feed them rows from the
ledger and the injected clock's date.
"""
