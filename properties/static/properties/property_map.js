// The property page's map (Leaflet, from xstatic-leaflet): the property, the QC distance limit
// around it, and each photo's GPS position coloured by its QC result. Drawn as vectors, so it
// shows even when the tile server (LEAFLET_TILE_URL) cannot be reached.
//
// Every label is text (addresses come from clients, camera names from files): Leaflet writes a
// string tooltip with innerHTML, so tooltips get DOM text nodes, and the attribution, which
// Leaflet only takes as HTML, is escaped.
"use strict";
(function () {
  var COLOURS = { PASS: "#2e7d32", WARN: "#ef6c00", FAIL: "#c62828", ERROR: "#6a1b9a" };
  var HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  function escapeHtml(text) {
    return text.replace(/[&<>"']/g, function (character) {
      return HTML_ESCAPES[character];
    });
  }

  function draw() {
    var container = document.getElementById("property-map");
    var source = document.getElementById("property-map-data");
    if (!container || !source || typeof L === "undefined") return;
    var data = JSON.parse(source.textContent);
    if (!data.property) return;
    var centre = [data.property.lat, data.property.lon];
    var map = L.map(container, { scrollWheelZoom: false }).setView(centre, 15);
    if (data.tile_url) {
      var attribution = escapeHtml(data.attribution);
      L.tileLayer(data.tile_url, { maxZoom: 19, attribution: attribution }).addTo(map);
    }
    var limit = L.circle(centre, {
      radius: data.radius_m,
      className: "qc-radius",
      color: "#1565c0",
      weight: 2,
      fillOpacity: 0.08,
    }).addTo(map);
    // A vector marker rather than Leaflet's image icon: no image request, a stable class name.
    L.circleMarker(centre, {
      radius: 9,
      className: "property-marker",
      color: "#0d47a1",
      fillColor: "#1e88e5",
      fillOpacity: 1,
      weight: 3,
    })
      .bindTooltip(document.createTextNode(data.property.label))
      .addTo(map);
    var bounds = limit.getBounds();
    data.photos.forEach(function (photo) {
      var colour = COLOURS[photo.qc_status] || "#607d8b";
      L.circleMarker([photo.lat, photo.lon], {
        radius: 6,
        className: "photo-marker photo-marker-" + photo.qc_status.toLowerCase(),
        color: "#263238",
        fillColor: colour,
        fillOpacity: 0.9,
        weight: 1,
      })
        .bindTooltip(document.createTextNode(photo.label))
        .addTo(map);
      bounds.extend([photo.lat, photo.lon]);
    });
    map.fitBounds(bounds, { padding: [20, 20] });
    container.dataset.markers = String(data.photos.length + 1);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
