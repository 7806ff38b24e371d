"""Refunds: money given back against a paid invoice, each with its credit note.

The rule this package exists for: the refunds of an invoice that are pending or completed never add
up to more than what was paid for it, whatever runs at the same time. Every decision is taken with
the invoice, its payments and its refunds locked in the order of :mod:`praho_cli.ledger.refunds`.

A refund is a durable intent in two phases. The refund is committed ``pending`` (reserving its
amount) before any money moves (:mod:`.create`); the configured refund command then moves the money
(:mod:`.command`); the outcome is recorded in a second unit of work (:mod:`.settle`: ``completed``
with its credit note, or ``failed``, which releases the reservation). A crash or timeout in between
leaves it pending, and `refunds reconcile` runs the command again with the same idempotency key. The
credit note is issued when the refund completes (:mod:`.completion`), so a transfer that never
happened leaves no fiscal document to be corrected again. Without a refund command the money is
returned outside praho and the refund completes in the first unit of work.

Modules: :mod:`.records` (the record types and inputs), :mod:`.eligibility` (what can be refunded),
:mod:`.view` (show and list), :mod:`.create` (phase one, and the dry run), :mod:`.command` (running
``refunds.command``), :mod:`.settle` (phase two and reconcile), :mod:`.completion` (credit note and
invoice status when a refund completes), :mod:`.credit_note` and :mod:`.vat_split` (the credit note's
lines).
"""
