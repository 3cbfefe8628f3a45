// The dispatch board (templates/staff/dispatch/board.html). Drag an appointment block, or an unassigned work
// order, onto a technician's row with native HTML5 drag and drop: the drop's x gives the start (the block's left
// edge, snapped to 15 minutes), htmx posts it to dispatch_drop and swaps the whole board back in. A refused drop
// (409 or 422, which the layouts' htmx-config swaps) comes back unchanged with the reason in #dispatch-message, so
// the block is back where it was. Listeners sit on the document, so they keep working after each swap.
// The map under the board draws each technician's route (home base, then the day's stops) and last position,
// from the board's #dispatch-routes, again after every swap.
(function () {
  "use strict";
  var SNAP_MS = 15 * 60 * 1000;
  var dragged = null; // {element, grabX}

  function board() {
    return document.getElementById("dispatch-board");
  }

  function classes(name) {
    var el = board();
    return ((el && el.dataset[name]) || "").split(" ").filter(Boolean);
  }

  function track(target) {
    return target && target.closest ? target.closest("[data-track]") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var el = event.target.closest && event.target.closest("[data-appointment-id][draggable=true], [data-work-order-id][draggable=true]");
    if (!el) return;
    var box = el.getBoundingClientRect();
    // An appointment keeps the point it was picked up by under the pointer; a work order starts where it drops.
    dragged = { element: el, grabX: el.dataset.appointmentId ? event.clientX - box.left : 0 };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", el.dataset.number || "");
    el.classList.add.apply(el.classList, classes("dragClasses"));
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.element.classList.remove.apply(dragged.element.classList, classes("dragClasses"));
    dragged = null;
    document.querySelectorAll("[data-track]").forEach(function (el) {
      el.classList.remove.apply(el.classList, classes("dropClasses"));
    });
  });

  document.addEventListener("dragover", function (event) {
    var target = track(event.target);
    if (!target || !dragged) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    target.classList.add.apply(target.classList, classes("dropClasses"));
  });

  document.addEventListener("dragleave", function (event) {
    var target = track(event.target);
    if (target && !target.contains(event.relatedTarget)) target.classList.remove.apply(target.classList, classes("dropClasses"));
  });

  // The time under x (px from the track's left edge), snapped to 15 minutes, as an ISO string with its offset (Z).
  function timeAt(target, x) {
    var el = board();
    var start = Date.parse(el.dataset.axisStart);
    var end = Date.parse(el.dataset.axisEnd);
    var width = target.getBoundingClientRect().width;
    var at = start + Math.max(0, Math.min(1, x / width)) * (end - start);
    return new Date(Math.round(at / SNAP_MS) * SNAP_MS).toISOString();
  }

  document.addEventListener("drop", function (event) {
    var target = track(event.target);
    if (!target || !dragged) return;
    event.preventDefault();
    target.classList.remove.apply(target.classList, classes("dropClasses"));
    var el = board();
    var x = event.clientX - target.getBoundingClientRect().left - dragged.grabX;
    var values = {
      technician: target.dataset.technicianId,
      start: timeAt(target, x),
      day: el.dataset.day,
      territory: el.dataset.territory,
      skill: el.dataset.skill
    };
    if (dragged.element.dataset.appointmentId) values.appointment = dragged.element.dataset.appointmentId;
    else values.work_order = dragged.element.dataset.workOrderId;
    dragged = null;
    htmx.ajax("POST", el.dataset.dropUrl, { source: el, target: "#dispatch-board", swap: "outerHTML", values: values });
  });

  // A malformed drop (400) or a failed request is not swapped: say so; the board is unchanged.
  document.addEventListener("htmx:responseError", function (event) {
    var el = board();
    if (!el || event.detail.elt !== el) return;
    var box = document.getElementById("dispatch-message");
    var p = document.createElement("p");
    p.setAttribute("role", "alert");
    p.textContent = el.dataset.failed + " " + (event.detail.xhr.responseText || "").slice(0, 300);
    box.replaceChildren(p);
  });

  // ---- the map ----------------------------------------------------------------------------------------------
  var COLOURS = ["#0369a1", "#b45309", "#047857", "#7c3aed", "#be123c", "#0f766e", "#a16207", "#4338ca"];
  var map = null;
  var layer = null;
  var drawn = null; // the #dispatch-routes element last drawn: a swap brings a new one

  function draw() {
    var data = document.getElementById("dispatch-routes");
    var element = document.getElementById("dispatch-map");
    if (!data || data === drawn || !element || !window.L || !window.omniMap) return;
    drawn = data;
    var routes = JSON.parse(data.textContent);
    if (!map) {
      map = window.omniMap(element, { zoomSnap: 0.5 });
      map.setView([0, 0], 2);
      window.omniDispatchMap = map;
    }
    if (layer) layer.remove();
    layer = L.featureGroup().addTo(map);
    routes.forEach(function (route, n) {
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
        L.circleMarker(stop.at, { radius: 7, color: stop.at_risk ? "#dc2626" : colour, weight: stop.at_risk ? 4 : 2, fillOpacity: 0.8 })
          .bindTooltip((i + 1) + ". " + stop.number + " · " + route.name).addTo(layer);
      });
      if (line.length > 1) L.polyline(line, { color: colour, weight: 3, opacity: 0.8 }).addTo(layer);
      if (route.last) {
        L.circleMarker(route.last, { radius: 5, color: "#111827", fillColor: colour, fillOpacity: 1, weight: 2 })
          .bindTooltip(route.name + (route.last_at ? " · " + route.last_at.slice(11, 16) : "")).addTo(layer);
      }
    });
    if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 15 });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  if (document.readyState !== "loading") draw();
})();
