/*
 * Proxima — cartes Leaflet en amélioration progressive.
 *
 * Usage dans un gabarit :
 *   {{ points|json_script:"points-data" }}
 *   <div id="map" data-map-points="points-data" aria-label="Carte des logements"></div>
 *   ... puis un tableau HTML des mêmes points (.map-fallback) pour tous les publics.
 *
 * Le script JSON contient un tableau de points :
 *   [{"lat": 48.85, "lon": 2.35, "label": "…", "url": "/…", "detail": "…"}, …]
 *
 * Sans Leaflet, sans points valides ou sans JavaScript, rien n'est rendu et la
 * feuille de style masque le conteneur vide ([data-map-points]:not(.map-ready)).
 * Les données ne passent jamais par innerHTML : les bulles sont construites avec
 * textContent.
 */
(function () {
  "use strict";

  var TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
  var ATTRIBUTION =
    '&copy; <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>';
  var COLOR = "#000091";
  var MAX_FIT_ZOOM = 13;
  var READY_CLASS = "map-ready";
  var instances = new WeakMap();

  function prefersReducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  function readPoints(el) {
    var id = el.getAttribute("data-map-points");
    var source = id ? document.getElementById(id) : null;
    if (!source) return [];
    var data;
    try {
      data = JSON.parse(source.textContent);
    } catch (e) {
      return [];
    }
    if (!Array.isArray(data)) return [];
    return data.filter(function (p) {
      if (!p || typeof p !== "object") return false;
      var lat = Number(p.lat);
      var lon = Number(p.lon);
      return (
        p.lat !== null && p.lon !== null && p.lat !== "" && p.lon !== "" &&
        isFinite(lat) && isFinite(lon) &&
        Math.abs(lat) <= 90 && Math.abs(lon) <= 180
      );
    });
  }

  /* N'accepte que des liens http(s) ou relatifs (pas de « javascript: »). */
  function safeUrl(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      var parsed = new URL(url, document.baseURI);
      if (parsed.protocol === "http:" || parsed.protocol === "https:" ||
          parsed.protocol === window.location.protocol) return parsed.href;
    } catch (e) {
      /* URL invalide : pas de lien */
    }
    return null;
  }

  function labelOf(point) {
    return point.label == null || point.label === "" ? "Point sans nom" : String(point.label);
  }

  function buildPopup(point) {
    var box = document.createElement("div");
    var href = safeUrl(point.url);
    var title = document.createElement(href ? "a" : "strong");
    if (href) title.href = href;
    title.textContent = labelOf(point);
    box.appendChild(title);
    if (point.detail != null && point.detail !== "") {
      var detail = document.createElement("p");
      detail.textContent = String(point.detail);
      box.appendChild(detail);
    }
    return box;
  }

  /* Rend un cercle SVG atteignable au clavier (Tab, puis Entrée ou Espace). */
  function makeKeyboardAccessible(map, marker, point) {
    var path = marker.getElement && marker.getElement();
    if (!path) return; /* rendu canvas : pas d'élément individuel */
    path.setAttribute("tabindex", "0");
    path.setAttribute("role", "button");
    path.setAttribute("aria-label", labelOf(point));
    path.addEventListener("keydown", function (evt) {
      if (evt.key !== "Enter" && evt.key !== " ") return;
      evt.preventDefault();
      marker.openPopup(); /* ferme d'abord une éventuelle autre bulle */
      map._proximaReturnFocus = path;
      var popupEl = marker.getPopup() && marker.getPopup().getElement();
      var target = popupEl && popupEl.querySelector(".leaflet-popup-content a, .leaflet-popup-close-button");
      if (target) target.focus();
    });
  }

  function initMap(el) {
    if (instances.has(el) || el.classList.contains(READY_CLASS)) return;
    if (typeof window.L === "undefined" || typeof window.L.map !== "function") return;
    var points = readPoints(el);
    if (!points.length) return;

    var L = window.L;
    var reduce = prefersReducedMotion();

    /* Le conteneur doit être visible avant la création de la carte. */
    el.classList.add(READY_CLASS);
    if (!el.hasAttribute("role")) el.setAttribute("role", "region");
    if (!el.hasAttribute("aria-label") && !el.hasAttribute("aria-labelledby")) {
      el.setAttribute(
        "aria-label",
        "Carte interactive : flèches pour déplacer, + et − pour zoomer, Tab pour parcourir les points"
      );
    }

    var map;
    try {
      map = L.map(el, {
        keyboard: true,
        zoomControl: false,
        scrollWheelZoom: false, /* activé seulement quand la carte a le focus */
        zoomAnimation: !reduce,
        fadeAnimation: !reduce,
        markerZoomAnimation: !reduce,
        inertia: !reduce
      });
    } catch (e) {
      el.classList.remove(READY_CLASS);
      return;
    }

    if (reduce) {
      /* Pas d'animation de déplacement (clavier, ouverture de bulle). */
      var panBy = map.panBy;
      map.panBy = function (offset, options) {
        return panBy.call(this, offset, L.extend({}, options, { animate: false }));
      };
    }

    L.control.zoom({ zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière" }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    /* Le serveur de tuiles vient des réglages (PROXIMA_TILE_URL), transmis par la page. */
    L.tileLayer(el.getAttribute("data-tile-url") || TILE_URL, {
      maxZoom: 19,
      attribution: el.getAttribute("data-tile-attribution") || ATTRIBUTION,
    }).addTo(map);

    var latLngs = points.map(function (point) { return [Number(point.lat), Number(point.lon)]; });
    /* La vue doit exister avant l'ajout des marqueurs pour que leurs éléments SVG soient créés. */
    map.fitBounds(L.latLngBounds(latLngs), { padding: [24, 24], maxZoom: MAX_FIT_ZOOM, animate: false });

    points.forEach(function (point, i) {
      var latLng = latLngs[i];
      var marker = L.circleMarker(latLng, {
        radius: 8,
        color: COLOR,
        weight: 2,
        fillColor: COLOR,
        fillOpacity: 0.6
      })
        .bindPopup(buildPopup(point))
        .addTo(map);
      makeKeyboardAccessible(map, marker, point);
    });

    map.on("focus", function () { map.scrollWheelZoom.enable(); });
    map.on("blur", function () { map.scrollWheelZoom.disable(); });

    map.on("popupopen", function (evt) {
      var close = evt.popup.getElement() && evt.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", "Fermer la bulle");
        close.setAttribute("title", "Fermer la bulle");
      }
    });
    map.on("popupclose", function (evt) {
      var back = map._proximaReturnFocus;
      map._proximaReturnFocus = null;
      var popupEl = evt.popup.getElement();
      /* Ne rend le focus au point que s'il était dans la bulle (ou perdu). */
      if (back && (!document.activeElement || document.activeElement === document.body ||
          (popupEl && popupEl.contains(document.activeElement)))) {
        back.focus();
      }
    });
    /* Échap ferme la bulle même quand le focus est dans la bulle. */
    el.addEventListener("keydown", function (evt) {
      if (evt.key === "Escape" && map._proximaReturnFocus) {
        map.closePopup();
      }
    });

    var observer = null;
    if (typeof ResizeObserver === "function") {
      observer = new ResizeObserver(function () { map.invalidateSize(); });
      observer.observe(el);
    }
    instances.set(el, { map: map, observer: observer });
  }

  function initAll(root) {
    if (!root || !root.querySelectorAll) return;
    if (root.matches && root.matches("div[data-map-points]")) initMap(root);
    Array.prototype.forEach.call(root.querySelectorAll("div[data-map-points]"), initMap);
  }

  function destroy(el) {
    var inst = instances.get(el);
    if (!inst) return;
    if (inst.observer) inst.observer.disconnect();
    inst.map.remove();
    instances.delete(el);
    el.classList.remove(READY_CLASS);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  } else {
    initAll(document);
  }

  /* Contenu inséré par htmx : initialiser les nouvelles cartes, libérer les anciennes. */
  document.addEventListener("htmx:load", function (evt) { initAll(evt.target); });
  document.addEventListener("htmx:beforeCleanupElement", function (evt) {
    if (evt.target && instances.has(evt.target)) destroy(evt.target);
  });
})();
