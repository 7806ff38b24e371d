"""Billing use cases: customers, documents and their numbering, tax, FX, payments, refunds, dunning."""
