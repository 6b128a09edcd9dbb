"""OpenSSF model signatures: find, parse and verify them; the trust policy."""
