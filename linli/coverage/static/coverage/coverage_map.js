/* The coverage map: isochrone bands, centers, households coloured by walking time (canvas, so thousands
   of points stay fast), uncovered clusters and suggested sites. Offline: no tiles unless configured. */
(function () {
  var el = document.getElementById("coverage-map");
  if (!el) return;
  var labels = JSON.parse(document.getElementById("coverage-map-labels").textContent);
  var map = L.map(el, { zoomControl: true });
  var canvas = L.canvas({ padding: 0.5 });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
  }
  function colour(m) {
    if (m === null) return "#7a828b";
    if (m <= 5) return "#1d7a46";
    if (m <= 10) return "#7fae3a";
    if (m <= 15) return "#e0a526";
    return "#c0392b";
  }
  function text(s) { var d = document.createElement("div"); d.textContent = s; return d; }
  fetch(el.dataset.source, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    // a view first: canvas layers cannot be added to a map without one
    if (data.bbox && data.bbox.length === 4) map.fitBounds([[data.bbox[1], data.bbox[0]], [data.bbox[3], data.bbox[2]]]);
    else map.setView([25.79, 114.54], 13);
    var bounds = L.latLngBounds([]);
    var iso = (data.isochrones && data.isochrones.features) || [];
    iso.slice().sort(function (a, b) { return b.properties.minutes - a.properties.minutes; }).forEach(function (f) {
      if (!f.geometry) return;
      var layer = L.geoJSON(f, { style: { color: "#1d7a46", weight: 1, opacity: 0.5, fillColor: "#1d7a46", fillOpacity: 0.14 } })
        .bindTooltip("≤ " + f.properties.minutes + " " + labels.minutes, { sticky: true }).addTo(map);
      bounds.extend(layer.getBounds());
    });
    var h = data.households;
    if (h) {
      for (var i = 0; i < h.lat.length; i++) {
        var m = h.minutes[i];
        L.circleMarker([h.lat[i], h.lng[i]], { renderer: canvas, radius: 3, stroke: false, fillColor: colour(m), fillOpacity: 0.85 })
          .bindTooltip(m === null ? labels.unreachable : m.toFixed(1) + " " + labels.minutes).addTo(map);
        bounds.extend([h.lat[i], h.lng[i]]);
      }
    }
    (data.clusters || []).forEach(function (c) {
      L.circle([c.lat, c.lng], { radius: 60 + 8 * Math.sqrt(c.households), color: "#c0392b", weight: 2, dashArray: "4 4", fill: false })
        .bindTooltip(c.households + " · " + c.residents + " " + labels.residents + " — " + labels.cluster).addTo(map);
    });
    (data.centers || []).forEach(function (c) {
      if (!c.on_network) return;
      L.circleMarker([c.lat, c.lng], { radius: 8, color: "#fff", weight: 2, fillColor: "#b5262b", fillOpacity: 1 })
        .bindPopup(text(c.name + " · " + c.division)).addTo(map);
    });
    (data.suggested || []).forEach(function (c, i) {
      L.circleMarker([c.lat, c.lng], { radius: 10, color: "#fff", weight: 3, fillColor: "#1f5fbf", fillOpacity: 1 })
        .bindPopup(text(labels.suggested + " " + (i + 1) + (c.community ? " · " + c.community : ""))).addTo(map);
    });
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
    el.dataset.ready = "1";
  });
})();
