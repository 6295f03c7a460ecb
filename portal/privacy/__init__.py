"""Audit and data protection: the audit view and its chain check, a debtor's export and erasure,
and masking of secrets in the logs."""
