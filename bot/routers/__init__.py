"""One router per feature, each built by a factory (a router attaches to one dispatcher only)."""
