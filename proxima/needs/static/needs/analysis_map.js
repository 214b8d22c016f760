/*
 * Proxima — carte des besoins par commune (amélioration progressive).
 *
 * Gabarit :
 *   {{ map_points|json_script:"needs-map-points" }}
 *   <div data-needs-map="needs-map-points" data-tile-url="…" data-tile-attribution="…"></div>
 * Chaque point : {"lat", "lon", "label", "respondents", "households", "share", "low", "high", "color"}.
 * Cercle : surface proportionnelle au nombre de répondants ; couleur : part redressée (calculée
 * par le serveur, la légende de la page donne les classes). Sans JavaScript ou sans Leaflet,
 * le conteneur reste masqué et le tableau par commune donne les mêmes chiffres.
 * Les bulles sont construites avec textContent (jamais innerHTML).
 */
(function () {
  "use strict";

  var READY_CLASS = "map-ready";
  var MIN_RADIUS = 5;
  var MAX_RADIUS = 22;

  function percent(value) {
    return (Math.round(value * 1000) / 10).toLocaleString("fr-FR") + " %";
  }

  function readPoints(el) {
    var source = document.getElementById(el.getAttribute("data-needs-map"));
    if (!source) return [];
    var data;
    try {
      data = JSON.parse(source.textContent);
    } catch (e) {
      return [];
    }
    if (!Array.isArray(data)) return [];
    return data.filter(function (p) {
      return p && isFinite(Number(p.lat)) && isFinite(Number(p.lon)) && isFinite(Number(p.share));
    });
  }

  function describe(point) {
    return point.label + " : " + percent(point.share) + " (IC 95 % : " + percent(point.low) + " – " +
      percent(point.high) + ") ; " + point.respondents + " répondants sur " + point.households + " ménages";
  }

  function popup(point) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = point.label;
    box.appendChild(title);
    var detail = document.createElement("p");
    detail.textContent = "Part redressée : " + percent(point.share) + " (IC 95 % : " + percent(point.low) +
      " – " + percent(point.high) + "). " + point.respondents + " répondants sur " + point.households + " ménages.";
    box.appendChild(detail);
    return box;
  }

  function init(el) {
    if (el.classList.contains(READY_CLASS) || typeof window.L === "undefined") return;
    var points = readPoints(el);
    if (!points.length) return;
    var L = window.L;
    var reduce = !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
    el.classList.add(READY_CLASS);
    var map = L.map(el, {
      keyboard: true,
      scrollWheelZoom: false,
      zoomAnimation: !reduce,
      fadeAnimation: !reduce,
      markerZoomAnimation: !reduce
    });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    L.tileLayer(el.getAttribute("data-tile-url"), {
      maxZoom: 19,
      attribution: el.getAttribute("data-tile-attribution") || ""
    }).addTo(map);
    var latLngs = points.map(function (p) { return [Number(p.lat), Number(p.lon)]; });
    map.fitBounds(L.latLngBounds(latLngs), { padding: [24, 24], maxZoom: 11, animate: false });
    var most = Math.max.apply(null, points.map(function (p) { return p.respondents; }));
    points.forEach(function (point, i) {
      var radius = MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * Math.sqrt(point.respondents / most);
      var marker = L.circleMarker(latLngs[i], {
        radius: radius,
        color: "#161616",
        weight: 1,
        fillColor: point.color,
        fillOpacity: 0.85
      }).bindPopup(popup(point)).addTo(map);
      var path = marker.getElement && marker.getElement();
      if (path) {
        /* Atteignable au clavier : Tab, puis Entrée ou Espace ouvre la bulle. */
        path.setAttribute("tabindex", "0");
        path.setAttribute("role", "button");
        path.setAttribute("aria-label", describe(point));
        path.addEventListener("keydown", function (evt) {
          if (evt.key === "Enter" || evt.key === " ") {
            evt.preventDefault();
            marker.openPopup();
          }
        });
      }
    });
    map.on("focus", function () { map.scrollWheelZoom.enable(); });
    map.on("blur", function () { map.scrollWheelZoom.disable(); });
  }

  function initAll() {
    Array.prototype.forEach.call(document.querySelectorAll("div[data-needs-map]"), init);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
