"""Billing documents — invoices, proformas and credit notes — one verb per module: ``records``
(public records), ``lookup`` (find by number or id), ``lines`` (line parsing, limits, stored lines),
``pricing`` (regime, rates, totals), ``detail`` (show), ``drafts`` (create, add/remove line, delete),
``issuing`` (issue), ``credit_notes``, ``cancel`` and ``overdue`` (the sweep)."""
