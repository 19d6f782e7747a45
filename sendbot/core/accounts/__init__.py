"""Officers' console accounts: passwords, second factor, lock-out and sessions."""
