// The staff network map (templates/staff/network/map.html): the plant as vector tiles (/tiles/<layer>/...), details
// on click from the API, a trace (GET /api/v1/network/trace/) and a cut (POST /api/v1/network/impact/) drawn on the
// map and listed beside it. Every text from the server goes in through textContent, never as HTML.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("network-map-config").textContent);
  var texts = JSON.parse(document.getElementById("network-map-texts").textContent);
  var element = document.getElementById("network-map");
  if (!element || !window.L || !L.vectorGrid) return;

  var map = window.omniMap(element, { scrollWheelZoom: true }).setView(config.center, config.zoom);
  window.omniNetworkMap = map; // for the browser test: where a point of the plant is on the screen
  var RESOURCES = {
    structures: "structures", pathways: "pathways", cables: "cables",
    enclosures: "enclosures", service_points: "service-points"
  };
  var ROLE_WEIGHT = { backbone: 6, feeder: 5, distribution: 3, drop: 1.5 };

  function capacityColour(p) {
    var total = (p.lit || 0) + (p.reserved || 0) + (p.dark || 0) + (p.damaged || 0);
    var used = total ? (p.lit || 0) / total : 0;
    if (!p.lit) return "#64748b";
    if (used > 0.9) return "#dc2626";
    if (used >= 0.5) return "#d97706";
    return "#16a34a";
  }
  var STYLES = {
    structures: function () { return { radius: 4, weight: 1, color: "#334155", fill: true, fillColor: "#94a3b8", fillOpacity: 1 }; },
    pathways: function () { return { weight: 2, color: "#a8a29e", dashArray: "4 4" }; },
    cables: function (p) { return { weight: ROLE_WEIGHT[p.role] || 2, color: capacityColour(p), opacity: 0.9 }; },
    enclosures: function () { return { radius: 6, weight: 2, color: "#7c3aed", fill: true, fillColor: "#ede9fe", fillOpacity: 1 }; },
    service_points: function () { return { radius: 5, weight: 1, color: "#0369a1", fill: true, fillColor: "#38bdf8", fillOpacity: 1 }; }
  };
  var HIGHLIGHT = {
    trace: { weight: 7, color: "#2563eb", opacity: 1, radius: 8, fill: true, fillColor: "#2563eb", fillOpacity: 1 },
    cut: { radius: 9, weight: 3, color: "#be123c", fill: true, fillColor: "#fb7185", fillOpacity: 1 }
  };

  var layers = {};
  var highlighted = [];
  Object.keys(config.layers).forEach(function (name) {
    var styles = {};
    styles[name] = STYLES[name];
    var layer = L.vectorGrid.protobuf(config.tiles.replace("{layer}", name), {
      rendererFactory: L.svg.tile, // SVG: each feature takes its own clicks, whichever layer is on top
      vectorTileLayerStyles: styles,
      interactive: true,
      minZoom: config.layers[name],
      maxNativeZoom: 20,
      getFeatureId: function (f) { return f.properties.id; }
    });
    layer.on("click", function (event) {
      var answer = showDetails(name, event.layer.properties);
      if (cutting) return;  // the click is the cut's place
      // The tile holds what the map draws (id, kind or role, capacity); number, name and status come from the API.
      var p = event.layer.properties;
      var box = document.createElement("div");
      var title = box.appendChild(text("strong", p.kind || p.role || p.status || ""));
      var line = box.appendChild(text("div", ""));
      if (name === "cables") box.appendChild(text("div", p.lit + " lit / " + p.reserved + " reserved / " + p.dark + " dark"));
      L.popup().setLatLng(event.latlng).setContent(box).openOn(map);
      answer.then(function (body) {
        if (!body) return;
        title.textContent = [body.number, body.name].filter(Boolean).join(" ") || title.textContent;
        line.textContent = [body.kind || body.role, body.status].filter(Boolean).join(" · ");
      });
    });
    layer.addTo(map);
    layers[name] = layer;
  });
  document.querySelectorAll("[data-layer-toggle]").forEach(function (box) {
    box.addEventListener("change", function () {
      var layer = layers[box.dataset.layerToggle];
      if (box.checked) layer.addTo(map); else map.removeLayer(layer);
    });
  });

  function api(path, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    if (options.body) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = config.csrf;
    }
    return fetch(config.api + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) throw body;
        return body;
      });
    });
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value === null || value === undefined ? "" : String(value);
    if (className) node.className = className;
    return node;
  }
  function errorText(body) {
    if (body && body.detail) return body.detail;
    try { return JSON.stringify(body); } catch (e) { return texts.failed; }
  }
  function label(item) {
    if (item === null || typeof item !== "object") return String(item);
    return item.number || item.name || item.serial || item.id;
  }
  function unhighlight() {
    highlighted.forEach(function (pair) { layers[pair[0]].resetFeatureStyle(pair[1]); });
    highlighted = [];
  }
  function highlight(layer, id, style) {
    if (!id || !layers[layer]) return;
    layers[layer].setFeatureStyle(id, style);
    highlighted.push([layer, id]);
  }

  // Details: the tile's properties at once, then the element's fields from the API.
  var details = document.getElementById("network-details");
  function showDetails(layer, properties) {
    var fill = function (fields) {
      clear(details);
      Object.keys(fields).forEach(function (key) {
        var value = fields[key];
        if (value !== null && typeof value === "object") value = value.number || value.name || value.id || JSON.stringify(value);
        details.appendChild(text("dt", key, "font-medium"));
        details.appendChild(text("dd", value, "break-all"));
      });
    };
    var fields = Object.assign({ layer: layer }, properties);
    delete fields.geom;
    fill(fields);
    return api(RESOURCES[layer] + "/" + properties.id + "/").then(function (body) {
      delete body.geom;
      fill(Object.assign({ layer: layer }, properties, body));
      if (layer === "service_points" && body.ont) prefillTrace("ont", body.ont.id || body.ont, "upstream");
      return body;
    }).catch(function () { return null; /* the tile's properties stay */ });
  }

  // Trace: GET trace/?from=<kind>:<id>&direction=..., the hops listed and the cables on the path drawn.
  var traceForm = document.getElementById("trace-form");
  var traceResult = document.getElementById("trace-result");
  function prefillTrace(kind, id, direction) {
    traceForm.elements.kind.value = kind;
    traceForm.elements.id.value = id;
    traceForm.elements.direction.value = direction;
  }
  traceForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var f = traceForm.elements;
    clear(traceResult).appendChild(text("p", texts.working));
    var query = "?from=" + encodeURIComponent(f.kind.value + ":" + f.id.value.trim()) + "&direction=" + f.direction.value;
    api("trace/" + query).then(function (body) {
      unhighlight();
      clear(traceResult);
      var summary = texts.trace_summary
        .replace("%(length)s", Math.round(body.total_length_m || 0))
        .replace("%(loss)s", (body.total_loss_db || 0).toFixed ? (body.total_loss_db || 0).toFixed(2) : body.total_loss_db);
      traceResult.appendChild(text("p", summary));
      if (body.budget) {
        traceResult.appendChild(text("p", texts.budget
          .replace("%(class)s", body.budget["class"]).replace("%(margin)s", body.budget.margin_db)
          + (body.budget.over ? " " + texts.over : ""), body.budget.over ? "text-rose-700 font-medium" : ""));
      }
      var list = document.createElement("ol");
      list.id = "trace-hops";
      list.className = "mt-1 list-decimal pl-5";
      (body.hops || []).forEach(function (hop) {
        list.appendChild(text("li", [hop.kind, hop.name || hop.id, hop.cumulative_loss_db !== undefined ? hop.cumulative_loss_db + " dB" : ""].join(" ")));
        var kind = hop.kind || hop.element;
        if (kind === "strand" || kind === "cable") highlight("cables", hop.cable || hop.cable_id || hop.id, HIGHLIGHT.trace);
        if (hop.cable_id || hop.cable) highlight("cables", hop.cable_id || hop.cable, HIGHLIGHT.trace);
        if (kind === "enclosure" || hop.enclosure_id) highlight("enclosures", hop.enclosure_id || hop.id, HIGHLIGHT.trace);
      });
      traceResult.appendChild(list);
      var onts = body.onts || [];
      traceResult.appendChild(text("p", texts.onts.replace("%(count)s", onts.length), "mt-1 font-medium"));
      onts.forEach(function (ont) {
        if (ont && typeof ont === "object") highlight("service_points", ont.service_point_id || ont.service_point, HIGHLIGHT.trace);
      });
    }).catch(function (body) { clear(traceResult).appendChild(text("p", errorText(body), "text-rose-700")); });
  });

  // Cut: the next click on the map is where the cable is cut; POST impact/ with the point and the radius.
  var cutButton = document.getElementById("cut-tool");
  var cutHint = document.getElementById("cut-hint");
  var cutResult = document.getElementById("cut-result");
  var cutMark = null;
  var cutting = false;
  function arm(on) {
    cutting = on;
    cutButton.setAttribute("aria-pressed", on ? "true" : "false");
    cutHint.classList.toggle("hidden", !on);
    element.style.cursor = on ? "crosshair" : "";
  }
  cutButton.addEventListener("click", function () { arm(!cutting); });
  map.on("click", function (event) {
    if (!cutting) return;
    arm(false);
    cut(event.latlng);
  });
  function cut(latlng) {
    var radius = Number(document.getElementById("cut-radius").value) || 15;
    if (cutMark) map.removeLayer(cutMark);
    cutMark = L.circle(latlng, { radius: radius, color: "#be123c", weight: 2 }).addTo(map);
    clear(cutResult).appendChild(text("p", texts.working));
    api("impact/", {
      method: "POST",
      body: JSON.stringify({ point: { type: "Point", coordinates: [latlng.lng, latlng.lat] }, radius_m: radius })
    }).then(function (body) {
      unhighlight();
      clear(cutResult);
      var points = body.service_points || [];
      var accounts = body.accounts || [];
      cutResult.appendChild(text("p", texts.affected.replace("%(count)s", body.count !== undefined ? body.count : points.length), "font-medium"));
      var list = document.createElement("ul");
      list.id = "cut-affected";
      list.className = "mt-1 list-disc pl-5";
      points.forEach(function (point) {
        list.appendChild(text("li", label(point) + (point && point.account_number ? " · " + point.account_number : "")));
        highlight("service_points", point && typeof point === "object" ? point.id : point, HIGHLIGHT.cut);
      });
      cutResult.appendChild(list);
      if (accounts.length) {
        cutResult.appendChild(text("p", texts.accounts, "mt-2 font-medium"));
        var accountList = document.createElement("ul");
        accountList.id = "cut-accounts";
        accountList.className = "list-disc pl-5";
        accounts.forEach(function (account) {
          var item = document.createElement("li");
          if (account && account.id) {
            var link = text("a", label(account), "text-sky-700 underline");
            link.href = "/accounts/" + account.id + "/";
            item.appendChild(link);
          } else {
            item.textContent = label(account);
          }
          accountList.appendChild(item);
        });
        cutResult.appendChild(accountList);
      }
    }).catch(function (body) { clear(cutResult).appendChild(text("p", errorText(body), "text-rose-700")); });
  }
})();
