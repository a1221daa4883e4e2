(function () {
  var el = document.getElementById("map");
  if (!el) return;
  var map = L.map(el, { zoomControl: true });
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
  }
  fetch(el.dataset.source, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    var layer = L.geoJSON(data, {
      style: function () { return { color: "#b5262b", weight: 2, fillColor: "#b5262b", fillOpacity: 0.06 }; },
      pointToLayer: function (f, latlng) {
        var p = f.properties;
        var color = p.role === "station" ? "#b5262b" : (p.center ? "#5b2a2c" : "#7a828b");
        return L.circleMarker(latlng, { radius: p.center ? 9 : 6, color: "#fff", weight: 2, fillColor: color, fillOpacity: 1 });
      },
      onEachFeature: function (f, l) {
        var p = f.properties, div = document.createElement("div");
        if (p.kind === "site") {
          var a = document.createElement("a"); a.href = p.url; a.textContent = p.name;
          div.appendChild(a);
          div.appendChild(document.createElement("br"));
          div.appendChild(document.createTextNode(p.community + " · " + p.role_label));
        } else { div.textContent = p.name; }
        l.bindPopup(div);
        if (p.kind === "community") l.bindTooltip(p.name, { sticky: true });
      }
    }).addTo(map);
    if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    else map.setView([25.79, 114.54], 13);
  });
})();
