"""Back-office money queues: cash desk, payout approvals, collections requests and write-offs."""
