// A dispatch run's proposal (/dispatch/runs/<id>/): each technician's proposed route from #run-routes drawn on
// #run-map, one colour per technician (home base square, then the jobs in order). Drawn again when htmx swaps in
// a new #run-body (the polling ends with the proposal, or Apply / Discard answers).
(function () {
  var COLOURS = ["#0369a1", "#b45309", "#047857", "#7c3aed", "#be123c", "#0f766e", "#a16207", "#4338ca"];
  var drawn = null;

  function draw() {
    var data = document.getElementById("run-routes");
    var element = document.getElementById("run-map");
    if (!data || data === drawn || !element || !window.L || !window.omniMap) return;
    drawn = data;
    var map = window.omniMap(element, { zoomSnap: 0.5 });
    map.setView([0, 0], 2);
    window.omniRunMap = map;
    var layer = L.featureGroup().addTo(map);
    JSON.parse(data.textContent).forEach(function (route, n) {
      var colour = COLOURS[n % COLOURS.length];
      var line = [];
      if (route.home) {
        line.push(route.home);
        var square = '<span style="display:block;width:14px;height:14px;border:2px solid #111827;background:' + colour + '"></span>';
        L.marker(route.home, { icon: L.divIcon({ className: "", html: square, iconSize: [14, 14] }), keyboard: false })
          .bindTooltip(route.name).addTo(layer);
      }
      route.stops.forEach(function (stop, i) {
        if (!stop.at) return;
        line.push(stop.at);
        L.circleMarker(stop.at, { radius: 7, color: colour, weight: 2, fillOpacity: 0.8 })
          .bindTooltip((i + 1) + ". " + stop.number + " · " + stop.start + " · " + route.name).addTo(layer);
      });
      if (line.length > 1) {
        var polyline = L.polyline(line, { color: colour, weight: 3, opacity: 0.8, className: "run-route" }).addTo(layer);
        polyline.bindTooltip(route.name);
      }
    });
    if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 15 });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  if (document.readyState !== "loading") draw();
})();
