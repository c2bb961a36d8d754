// The incident map: bundled country outlines (or online tiles when the desk was started
// with --tile-url), incidents as clustered markers linking to their review page.
(function () {
  "use strict";
  const el = document.getElementById("map");
  // maxZoom is needed by the cluster layer when no tile layer sets one (offline basemap).
  const map = L.map(el, { worldCopyJump: true, maxZoom: 18 }).setView([30, 20], 3);
  const tileUrl = el.dataset.tileUrl;
  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 18, attribution: "map tiles: see --tile-url" }).addTo(map);
  } else {
    fetch(el.dataset.basemap).then(function (r) { return r.json(); }).then(function (world) {
      L.geoJSON(world, {
        style: { color: "#8a8f98", weight: 0.8, fillColor: "#eef0f3", fillOpacity: 1 },
        interactive: false,
      }).addTo(map).bringToBack();
    });
    map.attributionControl.addAttribution("Natural Earth (public domain) via world-atlas");
  }
  const clusters = L.markerClusterGroup();
  fetch(el.dataset.geojson).then(function (r) { return r.json(); }).then(function (fc) {
    const layer = L.geoJSON(fc, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 7, color: "#b42318", fillOpacity: 0.8 });
      },
      onEachFeature: function (feature, marker) {
        const p = feature.properties;
        // Built as DOM nodes so incident fields (from article text) stay text.
        const box = document.createElement("div");
        const link = document.createElement("a");
        link.href = "/incidents/" + encodeURIComponent(feature.id);
        link.textContent = (p.event_date || "?") + " · " + p.event_type;
        const detail = document.createElement("div");
        detail.textContent = [p.sub_event_type, p.location, p.actor1, p.actor2]
          .filter(Boolean).join(" · ") + (p.fatalities != null ? " · fatalities " + p.fatalities : "");
        box.append(link, detail);
        marker.bindPopup(box);
      },
    });
    clusters.addLayer(layer);
    map.addLayer(clusters);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds().pad(0.5), { maxZoom: 8 }); }
    el.dataset.markers = String(layer.getLayers().length);
  });
})();
