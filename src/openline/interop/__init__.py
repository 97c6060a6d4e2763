"""Formats at the edges: GeoJSON, ICAO NOTAM, ED-269/ED-318 geozones, ASTM F3548 volumes."""
