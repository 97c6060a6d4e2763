"""Tests against reference implementations: GeographicLib's command-line tools, InterUSS data."""
