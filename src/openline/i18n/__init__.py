"""Message catalogues that render phrasebook messages in each operator's language."""
