"""Image providers: the Provider protocol (base) and its fal.ai implementation (fal)."""
