"""The geometry engine (coordinates, geodesy, 4D volumes, conflict predicates): pure, no I/O."""
