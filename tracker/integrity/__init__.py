"""Tamper-evident history: signing the hash chain's head, verifying the log and exports."""
