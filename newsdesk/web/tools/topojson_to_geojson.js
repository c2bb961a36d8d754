// Build-time conversion of world-atlas's TopoJSON country outlines into the small GeoJSON
// basemap the desk serves offline. Usage (from a folder where the npm packs were unpacked):
//   npm pack world-atlas@2.0.2 topojson-client@3.1.0 && tar xzf ... (see static/vendor/README.md)
//   node topojson_to_geojson.js world-atlas/countries-110m.json topojson-client/dist/topojson-client.js > countries-110m.geojson
// Coordinates are rounded to 0.01 degree (about 1 km): enough for outlines at country zoom,
// and it keeps the committed file under 200 kB.
const path = require('path');
const [atlasPath, clientPath] = process.argv.slice(2);
const topo = require(path.resolve(clientPath));
const t = require(path.resolve(atlasPath));
const fc = topo.feature(t, t.objects.countries);
const r = (c) => Array.isArray(c[0]) ? c.map(r) : [Math.round(c[0] * 100) / 100, Math.round(c[1] * 100) / 100];
for (const f of fc.features) {
  f.geometry.coordinates = r(f.geometry.coordinates);
  f.properties = { name: f.properties.name };
  delete f.id;
}
process.stdout.write(JSON.stringify(fc));
