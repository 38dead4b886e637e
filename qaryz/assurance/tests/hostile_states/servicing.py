"""Loans in the client's servicing states: payout, refund, restructuring (issue 15)."""
