// The incident map. Offline it draws the bundled Natural Earth layers (land, lakes, coast,
// rivers, borders, place and region names by zoom) under the incidents; with --tile-url the
// online tiles replace them. Incidents come from /api/map (bounded), are coloured by ACLED
// event type and sized by fatalities; the date range, type, actor and grade filters redraw
// the markers and the list below the map together. Incidents at one point cluster and open
// into a ring (markercluster's spiderfy), so each stays reachable.
(function () {
  "use strict";
  const el = document.getElementById("map");
  const TYPES = {
    "Battles": "#c0392b",
    "Explosions/Remote violence": "#e67e22",
    "Violence against civilians": "#8e44ad",
    "Protests": "#27ae60",
    "Riots": "#795548",
    "Strategic developments": "#2471a3",
  };
  const OTHER = "#555";
  const LIST_ROWS = 200; // rows the list shows; the filters narrow the rest

  // maxZoom is needed by the cluster layer when no tile layer sets one (offline basemap).
  const map = L.map(el, { worldCopyJump: true, maxZoom: 12, minZoom: 2 }).setView([30, 20], 3);
  const tileUrl = el.dataset.tileUrl;
  const loaded = [];

  function json(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.json();
    });
  }

  function drawBasemap() {
    map.createPane("basemap"); // stacked by map.css: under the markers, over the tiles
    map.createPane("labels");
    const canvas = L.canvas({ pane: "basemap", padding: 0.2 });
    const base = el.dataset.basemap;
    const layers = [
      // name, url, style; drawn in this order (lakes over land, borders over rivers)
      ["land", el.dataset.land, { stroke: false, fillColor: "#f4f1ea", fillOpacity: 1 }],
      ["lakes", base + "lakes.geojson", { color: "#7fa7c9", weight: 0.6, fillColor: "#cfe3f5", fillOpacity: 1 }],
      ["coast", base + "coast.geojson", { color: "#6b8fb3", weight: 0.9 }],
      ["rivers", base + "rivers.geojson", { color: "#7fa7c9", weight: 1 }],
      ["admin1", base + "admin1.geojson", { color: "#a39e93", weight: 0.7, dashArray: "3 3" }],
      ["admin0", base + "admin0.geojson", { color: "#6d6875", weight: 1.3 }],
    ];
    Promise.all(layers.map(function (l) { return json(l[1]); })).then(function (all) {
      all.forEach(function (fc, n) {
        L.geoJSON(fc, { style: layers[n][2], renderer: canvas, interactive: false, pane: "basemap" }).addTo(map);
        loaded.push(layers[n][0]);
      });
      return Promise.all([json(base + "places.geojson"), json(base + "regions.geojson")]);
    }).then(function (names) {
      placeLabels(names[0].features, names[1].features);
      loaded.push("places", "regions");
      el.dataset.basemapLayers = loaded.join(" ");
    }).catch(function (err) { console.error("basemap: " + err.message); });
    map.attributionControl.addAttribution("Made with Natural Earth (public domain)");
  }

  // Place names from the zoom Natural Earth gives each (min_zoom: Raqqa 6.1, Aleppo 4.7),
  // one zoom early so the towns of a region show when it fills the map, the most important
  // first; region (governorate) names from zoom 6. Only names inside the view are made,
  // and a name that would overlap one already placed is left out.
  function placeLabels(places, regions) {
    const group = L.layerGroup().addTo(map);
    places = places.slice().sort(function (a, b) { return a.properties.min_zoom - b.properties.min_zoom; });
    function label(f, cls) {
      const c = f.geometry.coordinates;
      const span = document.createElement("span");
      span.textContent = f.properties.name;
      return L.marker([c[1], c[0]], {
        pane: "labels", interactive: false, keyboard: false,
        icon: L.divIcon({ className: cls, html: span, iconSize: null }),
      });
    }
    function redraw() {
      group.clearLayers();
      const zoom = map.getZoom();
      const view = map.getBounds().pad(0.1);
      const taken = [];
      function free(f) {
        const c = f.geometry.coordinates;
        if (!view.contains([c[1], c[0]])) { return false; }
        const p = map.latLngToContainerPoint([c[1], c[0]]);
        const box = [p.x - 3, p.y - 9, p.x + 8 + 6.5 * f.properties.name.length, p.y + 7];
        const clash = taken.some(function (b) {
          return box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3];
        });
        if (!clash) { taken.push(box); }
        return !clash;
      }
      let n = 0;
      places.forEach(function (f) {
        if (f.properties.min_zoom <= zoom + 1 && n < 400 && free(f)) {
          group.addLayer(label(f, "place-label" + (f.properties.capital ? " capital" : "")));
          n += 1;
        }
      });
      if (zoom >= 6) {
        regions.forEach(function (f) { if (free(f)) { group.addLayer(label(f, "region-label")); } });
      }
      el.dataset.labels = String(n);
    }
    map.on("moveend", redraw);
    redraw();
  }

  if (tileUrl) {
    L.tileLayer(tileUrl, { maxZoom: 18, attribution: "map tiles: see --tile-url" }).addTo(map);
    el.dataset.basemapLayers = "tiles";
  }

  // -- incidents ------------------------------------------------------------------------

  function fatalities(i) {
    const best = i.fatalities == null ? "unknown" : String(i.fatalities);
    if (i.low != null && i.high != null && i.low !== i.high) { return i.low + "–" + i.high + " (best " + best + ")"; }
    return best;
  }

  function radius(i) {
    const n = Math.max(i.high || 0, i.fatalities || 0);
    return Math.min(5 + 2.2 * Math.sqrt(n), 24);
  }

  function popup(i) {
    // Built as DOM nodes so incident fields (from article text) stay text.
    const box = document.createElement("div");
    box.className = "incident-popup";
    const link = document.createElement("a");
    link.href = "/incidents/" + encodeURIComponent(i.id);
    link.textContent = (i.date || "date unknown") + " · " + (i.type || "type unknown");
    box.append(link);
    const rows = [
      ["what", [i.sub_type, i.location].filter(Boolean).join(", ")],
      ["actors", [i.actor1, i.actor2].filter(Boolean).join(" v. ") || "not named"],
      ["fatalities", fatalities(i)],
      ["grade", i.grade || "ungraded"],
      ["sources", (i.outlets.join(", ") || "no outlet named") + " (" + i.reports + (i.reports === 1 ? " report)" : " reports)")],
    ];
    const dl = document.createElement("dl");
    rows.forEach(function (r) {
      const dt = document.createElement("dt");
      dt.textContent = r[0];
      const dd = document.createElement("dd");
      dd.textContent = r[1];
      dl.append(dt, dd);
    });
    box.append(dl);
    return box;
  }

  function legend() {
    const control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      const box = L.DomUtil.create("div", "map-legend");
      const title = document.createElement("strong");
      title.textContent = "Event type";
      box.append(title);
      Object.keys(TYPES).concat(["other"]).forEach(function (t) {
        const row = document.createElement("div");
        row.className = "legend-row";
        const swatch = document.createElement("span");
        swatch.className = "swatch type-" + slug(t);
        const text = document.createElement("span");
        text.textContent = t;
        row.append(swatch, text);
        box.append(row);
      });
      const size = document.createElement("div");
      size.className = "legend-size";
      size.textContent = "larger circle: more fatalities";
      box.append(size);
      return box;
    };
    control.addTo(map);
  }

  function slug(t) { return t.toLowerCase().replace(/[^a-z]+/g, "-"); }

  const clusters = L.markerClusterGroup({ maxClusterRadius: 24, spiderfyDistanceMultiplier: 1.6 });
  map.addLayer(clusters);
  legend();

  const form = document.getElementById("map-filters");
  const from = document.getElementById("f-from");
  const to = document.getElementById("f-to");
  const undated = document.getElementById("f-undated");
  const actorSelect = document.getElementById("f-actor");
  const tbody = document.querySelector("#map-list tbody");
  let incidents = [];
  let days = [];

  function checkboxes(container, values, name) {
    values.forEach(function (v) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = name;
      box.value = v;
      box.checked = true;
      const text = document.createElement("span");
      text.textContent = v;
      if (name === "type") { text.className = "type-" + slug(TYPES[v] ? v : "other"); }
      label.append(box, " ", text);
      container.append(label);
    });
  }

  function checked(name) {
    return new Set(Array.from(form.querySelectorAll("input[name=" + name + "]:checked")).map(function (b) { return b.value; }));
  }

  function setup(items) {
    incidents = items.map(function (i) {
      const marker = L.circleMarker([i.lat, i.lon], {
        radius: radius(i), color: "#222", weight: 1, fillColor: TYPES[i.type] || OTHER, fillOpacity: 0.85,
        className: "incident-marker",
      });
      marker.bindPopup(function () { return popup(i); }); // built when opened
      return { i: i, marker: marker };
    });
    days = Array.from(new Set(items.map(function (i) { return i.date; }).filter(Boolean))).sort();
    [from, to].forEach(function (r) { r.max = String(Math.max(days.length - 1, 0)); });
    from.value = "0";
    to.value = String(Math.max(days.length - 1, 0));
    document.getElementById("f-dates").disabled = days.length === 0;
    const values = function (key) {
      return Array.from(new Set(items.map(function (i) { return i[key] || "none"; }))).sort();
    };
    checkboxes(document.getElementById("f-types"), values("type"), "type");
    checkboxes(document.getElementById("f-grades"), values("grade"), "grade");
    const actors = new Set();
    items.forEach(function (i) { [i.actor1, i.actor2].forEach(function (a) { if (a) { actors.add(a); } }); });
    Array.from(actors).sort().forEach(function (a) {
      const o = document.createElement("option");
      o.value = a;
      o.textContent = a;
      actorSelect.append(o);
    });
    form.addEventListener("input", apply);
    form.addEventListener("change", apply);
    apply();
    const bounds = L.latLngBounds(items.map(function (i) { return [i.lat, i.lon]; }));
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.3), { maxZoom: 7 }); }
  }

  function apply() {
    let lo = Number(from.value);
    let hi = Number(to.value);
    if (lo > hi) { const t = lo; lo = hi; hi = t; }
    const first = days[lo];
    const last = days[hi];
    document.getElementById("f-from-out").textContent = first || "";
    document.getElementById("f-to-out").textContent = last || "";
    const types = checked("type");
    const grades = checked("grade");
    const actor = actorSelect.value;
    const shown = incidents.filter(function (x) {
      const i = x.i;
      const dated = i.date ? (i.date >= first && i.date <= last) : undated.checked;
      return dated && types.has(i.type || "none") && grades.has(i.grade || "none")
        && (!actor || i.actor1 === actor || i.actor2 === actor);
    });
    clusters.clearLayers();
    clusters.addLayers(shown.map(function (x) { return x.marker; }));
    list(shown);
    el.dataset.markers = String(shown.length);
    document.getElementById("map-count").textContent =
      shown.length + " of " + incidents.length + " incidents shown";
  }

  function list(shown) {
    tbody.replaceChildren();
    shown.slice(0, LIST_ROWS).forEach(function (x) {
      const i = x.i;
      const tr = document.createElement("tr");
      tr.dataset.id = i.id;
      const cells = [i.date || "date unknown", i.type || "", i.location || "",
        [i.actor1, i.actor2].filter(Boolean).join(" v. "), fatalities(i), i.grade || "ungraded"];
      cells.forEach(function (c, n) {
        const td = document.createElement("td");
        if (n === 1) {
          const swatch = document.createElement("span");
          swatch.className = "swatch type-" + slug(TYPES[i.type] ? i.type : "other");
          td.append(swatch, " ");
        }
        td.append(c);
        tr.append(td);
      });
      tr.addEventListener("click", function () {
        clusters.zoomToShowLayer(x.marker, function () { x.marker.openPopup(); });
      });
      tbody.append(tr);
    });
    const more = shown.length - LIST_ROWS;
    document.getElementById("map-list-more").textContent =
      more > 0 ? more + " more on the map; narrow the filters to list them" : "";
  }

  json(el.dataset.incidents).then(function (data) {
    setup(data.items);
    const notes = [];
    if (data.total > data.items.length + data.unlocated) {
      notes.push("the latest " + data.cap + " of " + data.total + (data.total_is_lower_bound ? "+" : "") + " incidents drawn");
    }
    if (data.unlocated) { notes.push(data.unlocated + " without a location not drawn"); }
    if (notes.length) { document.getElementById("map-count").append(" (" + notes.join("; ") + ")"); }
    el.dataset.loaded = "yes";
  }).catch(function (err) {
    console.error("incidents: " + err.message);
  }).finally(function () {
    // after the incidents: parsing the 4 MB of layers would otherwise hold them back
    if (!tileUrl) { drawBasemap(); }
  });
})();
