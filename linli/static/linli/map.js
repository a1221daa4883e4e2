(function () {
  var el = document.getElementById("map");
  if (!el) return;
  // The colours the legend under the map promises (see .legend in app.css).
  var COLOURS = { station: "#b5262b", center: "#5b2a2c", point: "#7a828b", boundary: "#2f6690" };
  var map = L.map(el, { zoomControl: true });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
  }
  function siteColour(p) { return p.role === "station" ? COLOURS.station : (p.center ? COLOURS.center : COLOURS.point); }
  fetch(el.dataset.source, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    var layer = L.geoJSON(data, {
      // Only boundaries take this style: a style here would also repaint every site marker.
      style: function (f) {
        if (f.geometry.type === "Point") return {};
        return { color: COLOURS.boundary, weight: 2, dashArray: "6 4", fillColor: COLOURS.boundary, fillOpacity: 0.05 };
      },
      pointToLayer: function (f, latlng) {
        var p = f.properties;
        return L.circleMarker(latlng, { radius: p.center ? 9 : 6, color: "#fff", weight: 2, fillColor: siteColour(p),
                                        fillOpacity: 1, className: "site-marker site-" + (p.role === "station" ? "station" : (p.center ? "center" : "point")) });
      },
      onEachFeature: function (f, l) {
        var p = f.properties, div = document.createElement("div");
        if (p.kind === "site") {
          var a = document.createElement("a"); a.href = p.url; a.textContent = p.name;
          div.appendChild(a);
          div.appendChild(document.createElement("br"));
          div.appendChild(document.createTextNode(p.community + " · " + p.role_label));
          l.bindTooltip(p.name, { permanent: true, direction: "right", offset: [8, 0], className: "map-label site-label" });
        } else {
          div.textContent = p.name;
          l.bindTooltip(p.name, { permanent: true, direction: "center", className: "map-label community-label" });
        }
        l.bindPopup(div);
      }
    }).addTo(map);
    // Site names crowd a county-wide view: they show from street level in.
    function labels() { el.classList.toggle("map-far", map.getZoom() < 15); }
    map.on("zoomend", labels);
    if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    else map.setView([25.79, 114.54], 13);
    labels();
  });
})();
