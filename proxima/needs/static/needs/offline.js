/*
 * The offline tablet page (needs:offline).
 *
 * - A service worker (offline-sw.js, served at /besoins/terrain/sw.js) keeps this page and its
 *   files, so the page opens without network once it has been opened online.
 * - "Mettre à jour" downloads the open surveys and the agent's households through the API and
 *   keeps them in IndexedDB.
 * - Each questionnaire filled in is queued in IndexedDB with a client id (crypto.randomUUID),
 *   then sent when the network is there (the "online" event, or the button). An item leaves the
 *   queue only when the server confirmed it: 201 (recorded) or 200 (already recorded under this
 *   id). A refused item stays, with the server's message, to be corrected or deleted; nothing
 *   queued is lost on a network error, a closed tab or an expired session.
 * - Conditions: questions whose condition does not hold are hidden, evaluated by conditions.js
 *   on the trees the server parsed; each condition is also written in words. The server checks
 *   everything again.
 */
(function () {
  "use strict";

  var app = document.getElementById("offline-app");
  if (!app || !window.indexedDB || !window.fetch) return;
  app.hidden = false;
  var API = app.dataset.api;
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var conditions = window.ProximaConditions;
  var el = function (id) { return document.getElementById(id); };
  var db = null;
  var surveys = [];
  var households = {}; // survey id -> list
  var editing = null; // the queued item being corrected
  var syncing = false;
  var syncAgain = false; // something was saved while a sync ran: sync once more when it ends

  /* ---------- IndexedDB ---------- */

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open("proxima-terrain", 1);
      request.onupgradeneeded = function () {
        var d = request.result;
        d.createObjectStore("surveys", { keyPath: "id" });
        d.createObjectStore("households", { keyPath: "survey" });
        d.createObjectStore("queue", { keyPath: "client_id" });
        d.createObjectStore("meta", { keyPath: "name" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function store(name, mode, work) {
    return new Promise(function (resolve, reject) {
      var transaction = db.transaction(name, mode);
      var result = work(transaction.objectStore(name));
      transaction.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
      transaction.onerror = function () { reject(transaction.error); };
      transaction.onabort = function () { reject(transaction.error); };
    });
  }

  var getAll = function (name) { return store(name, "readonly", function (s) { return s.getAll(); }); };
  var put = function (name, value) { return store(name, "readwrite", function (s) { s.put(value); }); };
  var remove = function (name, key) { return store(name, "readwrite", function (s) { s.delete(key); }); };

  function replaceAll(name, values) {
    return store(name, "readwrite", function (s) {
      s.clear();
      values.forEach(function (v) { s.put(v); });
    });
  }

  /* ---------- Messages ---------- */

  function say(text) { el("message").textContent = text; }

  function showNetwork() {
    el("net-state").textContent = navigator.onLine ? "En ligne" : "Hors connexion : les réponses restent sur la tablette";
  }

  function today() {
    var now = new Date();
    return [now.getFullYear(), String(now.getMonth() + 1).padStart(2, "0"), String(now.getDate()).padStart(2, "0")].join("-");
  }

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16)); // pages served over plain http (no randomUUID)
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  /* ---------- Downloading surveys and households ---------- */

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(r.status === 401 ? "Session expirée : reconnectez-vous, puis revenez sur cette page." : "Erreur " + r.status);
      return r.json();
    });
  }

  function downloadHouseholds(survey, offset, items) {
    return getJson(API + "/households?survey=" + survey.id + "&limit=500&offset=" + offset).then(function (page) {
      items = items.concat(page.items);
      if (items.length < page.count && page.items.length) return downloadHouseholds(survey, offset + page.items.length, items);
      return { survey: survey.id, items: items };
    });
  }

  function refresh() {
    say("Mise à jour en cours…");
    return getJson(API + "/surveys")
      .then(function (downloaded) {
        return Promise.all(downloaded.map(function (s) { return downloadHouseholds(s, 0, []); })).then(function (lists) {
          return replaceAll("surveys", downloaded)
            .then(function () { return replaceAll("households", lists); })
            .then(function () { return put("meta", { name: "updated", value: new Date().toISOString() }); });
        });
      })
      .then(load)
      .then(function () { say("Enquêtes et ménages à jour."); })
      .catch(function (error) { say("Mise à jour impossible (" + error.message + ") : les données déjà sur la tablette restent utilisables."); });
  }

  function load() {
    return Promise.all([getAll("surveys"), getAll("households"), getAll("meta")]).then(function (results) {
      surveys = results[0];
      households = {};
      results[1].forEach(function (list) { households[list.survey] = list.items; });
      var updated = results[2].filter(function (m) { return m.name === "updated"; })[0];
      el("data-state").textContent = updated
        ? "Données du " + new Date(updated.value).toLocaleString("fr-FR")
        : "Aucune donnée sur la tablette : mettez à jour une fois connecté.";
      renderSurveys();
      return renderQueue();
    });
  }

  /* ---------- The form ---------- */

  function option(value, label, disabled) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    o.disabled = !!disabled;
    return o;
  }

  function currentSurvey() {
    var id = Number(el("survey").value);
    return surveys.filter(function (s) { return s.id === id; })[0] || null;
  }

  function renderSurveys() {
    var select = el("survey");
    var chosen = select.value;
    select.replaceChildren(option("", surveys.length ? "Choisir une enquête" : "Aucune enquête sur la tablette"));
    surveys.forEach(function (s) { select.appendChild(option(s.id, s.title + " (version " + s.version + ")")); });
    select.value = chosen;
    renderHouseholds();
    renderQuestions({});
  }

  function queuedHouseholds() {
    return getAll("queue").then(function (items) {
      return items.map(function (i) { return i.survey + ":" + i.household; });
    });
  }

  function renderHouseholds() {
    var survey = currentSurvey();
    var select = el("household");
    return queuedHouseholds().then(function (queued) {
      // Keep the household being filled in (a sync ending in the background re-renders this list).
      var chosen = editing ? String(editing.household) : select.value;
      select.replaceChildren(option("", "Choisir un ménage"));
      if (!survey) return;
      (households[survey.id] || []).forEach(function (h) {
        var waiting = queued.indexOf(survey.id + ":" + h.id) !== -1;
        var note = h.answered ? " (a déjà répondu)" : waiting ? " (réponse en attente d'envoi)" : "";
        var label = [h.reference, h.site, h.address, h.name].filter(Boolean).join(" · ") + note;
        var editingThis = editing && editing.household === h.id;
        select.appendChild(option(h.id, label, (h.answered || waiting) && !editingThis));
      });
      var still = Array.from(select.options).some(function (o) { return o.value === chosen && !o.disabled; });
      select.value = still ? chosen : "";
    });
  }

  function questionBlock(q, answers) {
    var id = "q-" + q.name;
    var block = document.createElement("div");
    block.className = "question field";
    block.dataset.name = q.name;
    var help = document.createElement("div");
    help.className = "help";
    help.id = id + "_aide";
    [q.condition_text ? "À remplir seulement si " + q.condition_text + "." : "", q.hint, q.rule_text ? "Règle : " + q.rule_text : ""]
      .filter(Boolean)
      .forEach(function (text) {
        var p = document.createElement("p");
        p.textContent = text;
        help.appendChild(p);
      });
    var error = document.createElement("p");
    error.className = "error";
    error.id = id + "_erreur";
    error.hidden = true;
    var title = q.label + (q.required ? " (réponse obligatoire" + (q.condition_text ? " dans ce cas)" : ")") : "");
    var value = answers[q.name];
    if (q.choices.length) {
      var fieldset = document.createElement("fieldset");
      fieldset.setAttribute("aria-describedby", help.id + " " + error.id);
      var legend = document.createElement("legend");
      legend.textContent = title;
      var list = document.createElement("div");
      list.className = "choices";
      var chosen = Array.isArray(value) ? value : value ? String(value).split(" ") : [];
      q.choices.forEach(function (c, i) {
        var label = document.createElement("label");
        label.className = "choice";
        var input = document.createElement("input");
        input.type = q.kind === "multiple_choice" ? "checkbox" : "radio";
        input.name = id;
        input.id = id + "_" + i;
        input.value = c.value;
        input.checked = chosen.indexOf(c.value) !== -1;
        label.htmlFor = input.id;
        var span = document.createElement("span");
        span.textContent = c.label;
        label.append(input, " ", span);
        list.appendChild(label);
      });
      fieldset.append(legend, help, error, list);
      block.appendChild(fieldset);
    } else {
      var labelEl = document.createElement("label");
      labelEl.htmlFor = id;
      labelEl.textContent = title;
      var input = document.createElement(q.kind === "text" ? "textarea" : "input");
      if (q.kind === "date") input.type = "date";
      else if (q.kind === "number") { input.type = "text"; input.inputMode = "decimal"; }
      input.id = id;
      input.name = id;
      input.value = value || "";
      input.setAttribute("aria-describedby", help.id + " " + error.id);
      block.append(labelEl, help, error, input);
    }
    return block;
  }

  function renderQuestions(answers) {
    var container = el("questions");
    container.replaceChildren();
    var survey = currentSurvey();
    if (!survey) return;
    survey.sections.forEach(function (section) {
      var part = document.createElement("section");
      part.className = "survey-section";
      part.dataset.name = section.name;
      var heading = document.createElement("h3");
      heading.textContent = section.title;
      part.appendChild(heading);
      if (section.condition_text) {
        var p = document.createElement("p");
        p.className = "condition";
        p.textContent = "Partie à remplir seulement si " + section.condition_text + ".";
        part.appendChild(p);
      }
      section.questions.forEach(function (q) { part.appendChild(questionBlock(q, answers)); });
      container.appendChild(part);
    });
    applyConditions();
  }

  /* The answers as the form holds them, only for questions shown (a hidden question's answer is blank). */
  function readAnswers(survey) {
    var answers = {};
    var known = {};
    survey.sections.forEach(function (section) {
      section.questions.forEach(function (q) {
        var block = el("questions").querySelector('.question[data-name="' + q.name + '"]');
        if (!block || block.hidden) return;
        var value;
        if (q.choices.length) {
          value = Array.from(block.querySelectorAll("input:checked")).map(function (i) { return i.value; });
          if (q.kind !== "multiple_choice") value = value[0] || "";
        } else {
          value = block.querySelector("input, textarea").value.trim();
        }
        var text = Array.isArray(value) ? value.join(" ") : value;
        if (text !== "") {
          answers[q.name] = value;
          known[q.name] = text;
        }
      });
    });
    return { answers: answers, known: known };
  }

  function applyConditions() {
    var survey = currentSurvey();
    if (!survey) return;
    var known = {};
    survey.sections.forEach(function (section) {
      var part = el("questions").querySelector('section[data-name="' + section.name + '"]');
      var sectionShown = conditions.holds(section.relevant_tree, known);
      part.hidden = !sectionShown;
      section.questions.forEach(function (q) {
        var block = part.querySelector('.question[data-name="' + q.name + '"]');
        var shown = sectionShown && conditions.holds(q.relevant_tree, known);
        block.hidden = !shown;
        if (!shown) return;
        var values = q.choices.length
          ? Array.from(block.querySelectorAll("input:checked")).map(function (i) { return i.value; }).join(" ")
          : block.querySelector("input, textarea").value.trim();
        if (values !== "") known[q.name] = values;
      });
    });
  }

  /* The checks the tablet can make alone: required answers and constraints. The server checks again. */
  function check(survey, known) {
    var errors = {};
    survey.sections.forEach(function (section) {
      section.questions.forEach(function (q) {
        var block = el("questions").querySelector('.question[data-name="' + q.name + '"]');
        if (block.hidden) return;
        var value = known[q.name] || "";
        if (value === "" && q.required) errors[q.name] = "Cette question demande une réponse.";
        else if (value !== "" && q.constraint_tree && !conditions.holds(q.constraint_tree, known, value)) {
          errors[q.name] = q.rule_text ? "Réponse à revoir : " + q.rule_text : "Réponse à revoir.";
        }
      });
    });
    return errors;
  }

  function showErrors(errors) {
    var first = null;
    el("questions").querySelectorAll(".question").forEach(function (block) {
      var message = errors[block.dataset.name];
      var error = block.querySelector(".error");
      error.hidden = !message;
      error.textContent = message || "";
      block.classList.toggle("has-error", !!message);
      block.querySelectorAll("input, textarea").forEach(function (i) {
        if (message) i.setAttribute("aria-invalid", "true");
        else i.removeAttribute("aria-invalid");
      });
      if (message && !first) first = block.querySelector("input, textarea");
    });
    if (first) first.focus();
    return !first;
  }

  function resetForm() {
    editing = null;
    el("cancel-edit").hidden = true;
    el("household").value = "";
    el("channel").selectedIndex = 0;
    el("collected_on").value = today();
    renderQuestions({});
    return renderHouseholds();
  }

  function save(event) {
    event.preventDefault();
    var survey = currentSurvey();
    var householdId = Number(el("household").value);
    if (!survey || !householdId || !el("collected_on").value) {
      say("Choisissez l'enquête, le ménage et la date avant d'enregistrer.");
      (!survey ? el("survey") : !householdId ? el("household") : el("collected_on")).focus();
      return;
    }
    var read = readAnswers(survey);
    if (!showErrors(check(survey, read.known))) {
      say("Des réponses sont à revoir : voir les messages sous les questions.");
      return;
    }
    var household = (households[survey.id] || []).filter(function (h) { return h.id === householdId; })[0];
    var item = {
      client_id: editing ? editing.client_id : newClientId(),
      survey: survey.id,
      household: householdId,
      channel: el("channel").value,
      collected_on: el("collected_on").value,
      answers: read.answers,
      label: (household ? household.reference : "ménage " + householdId) + " · " + survey.title,
      error: "",
      saved_at: new Date().toISOString(),
    };
    put("queue", item)
      .then(resetForm)
      .then(renderQueue)
      .then(function () {
        say("Réponses de " + item.label + " enregistrées sur la tablette.");
        if (navigator.onLine) sync();
      });
  }

  /* ---------- The queue and its sync ---------- */

  function renderQueue() {
    return getAll("queue").then(function (items) {
      el("queue-count").textContent = items.length;
      var list = el("queue");
      list.replaceChildren();
      if (!items.length) {
        var empty = document.createElement("li");
        empty.textContent = "Aucune réponse en attente.";
        list.appendChild(empty);
      }
      items.sort(function (a, b) { return a.saved_at < b.saved_at ? -1 : 1; });
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = item.error ? "failed" : "";
        var title = document.createElement("strong");
        title.textContent = item.label;
        li.append(title, " · recueilli le " + item.collected_on.split("-").reverse().join("/"));
        if (item.error) {
          var error = document.createElement("p");
          error.className = "error";
          error.textContent = "Refusée : " + item.error;
          var fix = document.createElement("button");
          fix.type = "button";
          fix.className = "button secondary";
          fix.textContent = "Corriger";
          fix.addEventListener("click", function () { correct(item); });
          var drop = document.createElement("button");
          drop.type = "button";
          drop.className = "button danger";
          drop.textContent = "Supprimer";
          drop.addEventListener("click", function () {
            if (window.confirm("Supprimer définitivement ces réponses de la tablette ?")) {
              remove("queue", item.client_id).then(renderQueue).then(renderHouseholds);
            }
          });
          li.append(error, fix, " ", drop);
        } else {
          li.append(" · en attente d'envoi");
        }
        list.appendChild(li);
      });
    });
  }

  function correct(item) {
    editing = item;
    el("survey").value = item.survey;
    renderHouseholds().then(function () {
      el("household").value = item.household;
      el("channel").value = item.channel;
      el("collected_on").value = item.collected_on;
      renderQuestions(item.answers);
      el("cancel-edit").hidden = false;
      el("entry").scrollIntoView();
      el("survey").focus();
      say("Correction de " + item.label + " : le même identifiant sera envoyé, sans risque de doublon.");
    });
  }

  function describeRefusal(body) {
    if (!body || !body.errors) return (body && body.detail) || "refusée par le serveur.";
    return Object.keys(body.errors).map(function (name) {
      return (name === "__all__" ? "" : name + " : ") + body.errors[name].join(" ");
    }).join(" ; ");
  }

  /* A fresh CSRF token, read from this page downloaded again (after a new login the old one is void). */
  function freshToken() {
    return fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var match = html.match(/name="csrf-token" content="([^"]+)"/);
        if (match) csrfToken = match[1];
      });
  }

  function post(item, retried) {
    var body = {
      survey: item.survey,
      household: item.household,
      channel: item.channel,
      answers: item.answers,
      client_id: item.client_id,
      collected_on: item.collected_on,
    };
    return fetch(API + "/responses", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (response.status === 403 && !retried) return freshToken().then(function () { return post(item, true); });
      return response;
    });
  }

  function sync() {
    if (syncing) {
      syncAgain = true;
      return Promise.resolve();
    }
    syncing = true;
    syncAgain = false;
    var sent = 0;
    return getAll("queue")
      .then(function (items) {
        return items.reduce(function (previous, item) {
          return previous.then(function (go) {
            if (!go) return false;
            return post(item).then(function (response) {
              if (response.status === 201 || response.status === 200) {
                sent += 1;
                markAnswered(item);
                return remove("queue", item.client_id).then(function () { return true; });
              }
              if (response.status === 401 || response.status === 403) {
                say("Session expirée : reconnectez-vous, puis revenez sur cette page. Les réponses restent sur la tablette.");
                return false;
              }
              if (response.status !== 422 && response.status !== 404) {
                // Not a refusal (a server or proxy error, 5xx or 429): kept as it is, sent again later.
                throw new Error("HTTP " + response.status);
              }
              return response.json().catch(function () { return null; }).then(function (data) {
                item.error = response.status === 404
                  ? "ce ménage ou cette enquête n'est pas dans votre périmètre."
                  : describeRefusal(data);
                return put("queue", item).then(function () { return true; });
              });
            });
          });
        }, Promise.resolve(true));
      })
      .then(function () {
        if (sent) say(sent + " réponse(s) envoyée(s).");
      })
      .catch(function (error) {
        var reason = /^HTTP /.test(error.message) ? "Serveur indisponible (" + error.message + ")" : "Réseau indisponible";
        say((sent ? sent + " réponse(s) envoyée(s). " : "") + reason + " : les réponses restent sur la tablette et partiront plus tard.");
        syncAgain = false; // the next "online" event, page load or button press will try again
      })
      .then(function () {
        syncing = false;
        return renderQueue().then(renderHouseholds);
      })
      .then(function () {
        if (syncAgain && navigator.onLine) return sync();
      });
  }

  function markAnswered(item) {
    var list = households[item.survey] || [];
    list.forEach(function (h) { if (h.id === item.household) h.answered = true; });
    return put("households", { survey: item.survey, items: list });
  }

  /* ---------- Start ---------- */

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.worker, { scope: app.dataset.scope }).catch(function () {
      say("Cette page ne pourra pas s'ouvrir hors connexion sur ce navigateur.");
    });
  }
  window.addEventListener("online", function () { showNetwork(); sync(); });
  window.addEventListener("offline", showNetwork);
  el("refresh").addEventListener("click", refresh);
  el("sync").addEventListener("click", sync);
  el("entry").addEventListener("submit", save);
  el("cancel-edit").addEventListener("click", resetForm);
  el("survey").addEventListener("change", function () { renderHouseholds(); renderQuestions({}); });
  el("questions").addEventListener("change", applyConditions);
  el("questions").addEventListener("input", applyConditions);
  showNetwork();
  el("collected_on").value = today();
  openDb()
    .then(function (opened) { db = opened; return load(); })
    .then(function () {
      if (navigator.onLine) return (surveys.length ? Promise.resolve() : refresh()).then(sync);
    })
    .catch(function (error) { say("Stockage de la tablette indisponible : " + error.message); });
})();
