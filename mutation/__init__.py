"""``make mutation``: mutation testing of the rules of money and fairness (issue 24)."""
