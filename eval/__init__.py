"""Evaluation: IS, FID and KID over repeated runs."""
