"""Deploy: clean a frozen graph up for a runtime, convert it per target, prove each artifact numerically."""
