"""What the bot writes and keeps outside main: the ledger, and the `state` branch that holds it."""
