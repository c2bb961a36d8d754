// Build-time conversion of world-atlas's TopoJSON country outlines into the small GeoJSON
// basemap the desk serves offline. Usage (from a folder where the npm packs were unpacked):
//   npm pack world-atlas@2.0.2 topojson-client@3.1.0 && tar xzf ... (see static/vendor/README.md)
//   node topojson_to_geojson.js world-atlas/countries-110m.json topojson-client/dist/topojson-client.js > countries-110m.geojson
// Rings cut at the antimeridian are joined again (see `unwrap`). Coordinates are rounded to 0.01 degree (about 1 km): enough for outlines at country zoom,
// and it keeps the committed file under 200 kB.
const path = require('path');
const [atlasPath, clientPath] = process.argv.slice(2);
const topo = require(path.resolve(clientPath));
const t = require(path.resolve(atlasPath));
const fc = topo.feature(t, t.objects.countries);
const r = (c) => Array.isArray(c[0]) ? c.map(r) : [Math.round(c[0] * 100) / 100, Math.round(c[1] * 100) / 100];
// world-atlas cuts rings at the antimeridian for spherical renderers: eastern Russia and
// Fiji jump from 180 to -180 and back, which a flat map (Leaflet) draws as lines across
// the world. Such a ring is unwrapped so that its longitudes run on past 180; a ring that
// goes round the pole (Antarctica) ends 360 degrees from its start and is kept as it is.
const unwrap = (ring) => {
  const out = [ring[0]];
  for (const [lon, lat] of ring.slice(1)) {
    const prev = out[out.length - 1][0];
    out.push([lon + 360 * Math.round((prev - lon) / 360), lat]);
  }
  return Math.abs(out[out.length - 1][0] - out[0][0]) < 180 ? out : ring;
};
const rings = (g) => g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
for (const f of fc.features) {
  for (const polygon of rings(f.geometry)) polygon.forEach((ring, i) => { polygon[i] = unwrap(ring); });
  f.geometry.coordinates = r(f.geometry.coordinates);
  f.properties = { name: f.properties.name };
  delete f.id;
}
process.stdout.write(JSON.stringify(fc));
