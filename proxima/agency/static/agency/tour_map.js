/*
 * Proxima — carte d'une tournée de l'agence mobile (amélioration progressive).
 *
 * Gabarit (agency/map.html) :
 *   {{ data|json_script:"tour-map-data" }}
 *   <div data-tour-map="tour-map-data" …></div>
 * Données : {"tiles": {"url", "attribution"}, "depot": {"name", "lat", "lon"} | null,
 *   "days": [{"label", "colour", "dash", "stops": [{"position", "name", "start", "end"}], "route": [[lat, lon]]}],
 *   "stops": [{"name", "lat", "lon", "visits": ["mardi 1 décembre 2026, 09:30–11:30"]}],
 *   "sites": [{"name", "commune", "lat", "lon", "reached", "never_reached"}]}
 * Les ménages ne sont que des nombres par résidence : aucun nom. Sans JavaScript ou sans Leaflet, le
 * conteneur reste masqué et les tableaux de la page donnent les mêmes informations. Les bulles sont
 * construites avec textContent (jamais innerHTML) ; chaque point est atteignable au clavier.
 */
(function () {
  "use strict";

  var READY_CLASS = "map-ready";
  var SITE_COLOURS = { all: "#1E7B34", some: "#B35C00", none: "#B00020" };

  function read(el) {
    var source = document.getElementById(el.getAttribute("data-tour-map"));
    if (!source) return null;
    try {
      return JSON.parse(source.textContent);
    } catch (e) {
      return null;
    }
  }

  function isPoint(lat, lon) {
    return isFinite(Number(lat)) && isFinite(Number(lon)) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
  }

  function box(title, lines) {
    var div = document.createElement("div");
    var strong = document.createElement("strong");
    strong.textContent = title;
    div.appendChild(strong);
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.textContent = line;
      div.appendChild(p);
    });
    return div;
  }

  function plural(n, one, many) {
    return n + " " + (n > 1 ? many : one);
  }

  /* Un cercle SVG atteignable au clavier : Tab, puis Entrée ou Espace ouvre sa bulle. */
  function focusable(marker, label) {
    var path = marker.getElement && marker.getElement();
    if (!path) return;
    path.setAttribute("tabindex", "0");
    path.setAttribute("role", "button");
    path.setAttribute("aria-label", label);
    path.addEventListener("keydown", function (evt) {
      if (evt.key === "Enter" || evt.key === " ") {
        evt.preventDefault();
        marker.openPopup();
      }
    });
  }

  function siteColour(site) {
    if (!site.never_reached) return SITE_COLOURS.all;
    return site.reached ? SITE_COLOURS.some : SITE_COLOURS.none;
  }

  function init(el) {
    if (el.classList.contains(READY_CLASS) || typeof window.L === "undefined") return;
    var data = read(el);
    if (!data) return;
    var L = window.L;
    var bounds = [];
    (data.days || []).forEach(function (day) {
      (day.route || []).forEach(function (p) { if (isPoint(p[0], p[1])) bounds.push(p); });
    });
    (data.sites || []).forEach(function (s) { if (isPoint(s.lat, s.lon)) bounds.push([s.lat, s.lon]); });
    if (!bounds.length) return;

    var reduce = !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
    el.classList.add(READY_CLASS);
    var map = L.map(el, {
      keyboard: true,
      zoomControl: false,
      scrollWheelZoom: false,
      zoomAnimation: !reduce,
      fadeAnimation: !reduce,
      markerZoomAnimation: !reduce
    });
    L.control.zoom({ zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière" }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    L.tileLayer(data.tiles.url, { maxZoom: 19, attribution: data.tiles.attribution || "" }).addTo(map);
    map.fitBounds(L.latLngBounds(bounds), { padding: [24, 24], maxZoom: 13, animate: false });

    var overlays = {};
    var markers = [];

    /* Résidences d'abord (dessous), puis les trajets et les arrêts par-dessus. */
    var sites = L.layerGroup();
    var most = Math.max.apply(null, (data.sites || []).map(function (s) { return s.reached + s.never_reached; }).concat([1]));
    (data.sites || []).forEach(function (site) {
      if (!isPoint(site.lat, site.lon)) return;
      var total = site.reached + site.never_reached;
      var text = site.name + " (" + site.commune + ") : " + plural(site.reached, "ménage atteint", "ménages atteints") +
        ", " + plural(site.never_reached, "jamais atteint", "jamais atteints");
      var marker = L.circleMarker([site.lat, site.lon], {
        radius: 5 + 13 * Math.sqrt(total / most),
        color: "#161616",
        weight: 1,
        fillColor: siteColour(site),
        fillOpacity: 0.75
      }).bindPopup(box(site.name, [
        site.commune,
        plural(site.reached, "ménage atteint", "ménages atteints") + " au moins une fois",
        plural(site.never_reached, "ménage jamais atteint", "ménages jamais atteints")
      ]));
      sites.addLayer(marker);
      markers.push([marker, text]);
    });
    if (data.sites && data.sites.length) {
      sites.addTo(map);
      overlays["Résidences : ménages atteints ou non"] = sites;
    }

    (data.days || []).forEach(function (day) {
      var group = L.layerGroup();
      var points = (day.route || []).filter(function (p) { return isPoint(p[0], p[1]); });
      if (points.length > 1) {
        group.addLayer(L.polyline(points, {
          color: day.colour, weight: 4, opacity: 0.9, dashArray: day.dash || null, interactive: false
        }));
      }
      group.addTo(map);
      /* Le contrôle des calques prend du HTML : couleur vérifiée, libellé échappé. */
      var colour = /^#[0-9A-Fa-f]{6}$/.test(day.colour) ? day.colour : "#161616";
      var swatch = '<span class="swatch" style="border-top-color:' + colour + '" aria-hidden="true"></span>';
      overlays[swatch + " " + escapeHtml(day.label)] = group;
    });

    (data.stops || []).forEach(function (stop) {
      if (!isPoint(stop.lat, stop.lon)) return;
      var marker = L.circleMarker([stop.lat, stop.lon], {
        radius: 7, color: "#161616", weight: 2, fillColor: "#FFFFFF", fillOpacity: 1
      }).bindPopup(box("Arrêt : " + stop.name, stop.visits || [])).addTo(map);
      markers.push([marker, "Arrêt " + stop.name + " : " + (stop.visits || []).join(" ; ")]);
    });

    if (data.depot && isPoint(data.depot.lat, data.depot.lon)) {
      var depot = L.circleMarker([data.depot.lat, data.depot.lon], {
        radius: 8, color: "#FFFFFF", weight: 3, fillColor: "#161616", fillOpacity: 1
      }).bindPopup(box("Dépôt : " + data.depot.name, ["Départ et retour de chaque tournée"])).addTo(map);
      markers.push([depot, "Dépôt : " + data.depot.name]);
    }

    markers.forEach(function (pair) { focusable(pair[0], pair[1]); });
    if (Object.keys(overlays).length > 1) {
      L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    }
    map.on("focus", function () { map.scrollWheelZoom.enable(); });
    map.on("blur", function () { map.scrollWheelZoom.disable(); });
    map.on("popupopen", function (evt) {
      var close = evt.popup.getElement() && evt.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", "Fermer la bulle");
        close.setAttribute("title", "Fermer la bulle");
      }
    });
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = String(text);
    return div.innerHTML;
  }

  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll("div[data-tour-map]"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
