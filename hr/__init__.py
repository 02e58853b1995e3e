"""HR: employees, leave, recruiting and training."""
