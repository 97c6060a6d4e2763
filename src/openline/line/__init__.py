"""The running line between nodes: outbox, delivery, receipts, line checks, escalation."""
