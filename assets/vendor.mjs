// Copies the front-end libraries from node_modules into static/vendor (served by Django, never a CDN).
import { cpSync, mkdirSync } from "node:fs";

const copies = [
  ["node_modules/htmx.org/dist/htmx.min.js", "static/vendor/htmx.min.js"],
  ["node_modules/htmx-ext-sse/dist/sse.min.js", "static/vendor/htmx-ext-sse.min.js"],
  ["node_modules/alpinejs/dist/cdn.min.js", "static/vendor/alpine.min.js"],
  ["node_modules/leaflet/dist/leaflet.js", "static/vendor/leaflet/leaflet.js"],
  // leaflet.js ends with a sourceMappingURL: manifest storage fails without the map.
  ["node_modules/leaflet/dist/leaflet.js.map", "static/vendor/leaflet/leaflet.js.map"],
  ["node_modules/leaflet/dist/leaflet.css", "static/vendor/leaflet/leaflet.css"],
  ["node_modules/leaflet/dist/images", "static/vendor/leaflet/images"],
  // Marker clustering for maps with many markers: its script (with the map it points to) and both stylesheets.
  ["node_modules/leaflet.markercluster/dist/leaflet.markercluster.js", "static/vendor/leaflet.markercluster/leaflet.markercluster.js"],
  ["node_modules/leaflet.markercluster/dist/leaflet.markercluster.js.map", "static/vendor/leaflet.markercluster/leaflet.markercluster.js.map"],
  ["node_modules/leaflet.markercluster/dist/MarkerCluster.css", "static/vendor/leaflet.markercluster/MarkerCluster.css"],
  ["node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css", "static/vendor/leaflet.markercluster/MarkerCluster.Default.css"],
  // Vector tiles (/tiles/<layer>/<z>/<x>/<y>.mvt) on the network map: the bundle carries its protobuf decoder.
  ["node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.js", "static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js"],
  ["node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.js.map", "static/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.js.map"],
];
mkdirSync("static/vendor/leaflet.vectorgrid", { recursive: true });
mkdirSync("static/vendor/leaflet", { recursive: true });
mkdirSync("static/vendor/leaflet.markercluster", { recursive: true });
for (const [from, to] of copies) cpSync(from, to, { recursive: true });
