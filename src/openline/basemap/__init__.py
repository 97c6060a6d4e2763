"""The node's base map: places and water at working zooms, from data sets installed as packages
(GeoNames' places through npm, GSHHG's shorelines and rivers through PyPI), read once and
answered a map view at a time (docs/console.md#the-base-map)."""
