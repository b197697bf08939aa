"""What the tests share: fixtures and drivers (not shipped in the wheel)."""
