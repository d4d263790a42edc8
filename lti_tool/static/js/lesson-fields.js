// Lesson editor, "Lesson details" fields: editing a field asks the server to rewrite that key
// of the source's front matter (the editor then previews and autosaves it like typed text);
// editing the source updates the fields from the preview answer. No framework.
(function () {
  "use strict";
  var root = document.getElementById("pp-editor");
  var form = document.getElementById("pp-fields-form");
  var source = document.getElementById("pp-source");
  if (!root || !form || !source) return;
  var d = root.dataset;
  var f = form.dataset;
  var status = document.getElementById("pp-fields-status");
  var DELAY = 300;
  var timer = null;
  var waiting = {};   // field -> value not sent yet
  var inFlight = {};  // field -> value on its way
  var busy = false;

  function isField(el) {
    return el && el.name && el.form === form && el.type !== "hidden" && el.type !== "submit";
  }

  function valueOf(el) { return el.type === "checkbox" ? el.checked : el.value; }

  function setValue(el, value) {
    if (el.type === "checkbox") { el.checked = value === true; return; }
    if (el.value === value) return;
    if (el.tagName === "SELECT" && !Array.prototype.some.call(el.options, function (o) { return o.value === value; })) {
      var option = document.createElement("option");  // a value the source has that the list lacks
      option.value = value;
      option.textContent = value;
      el.appendChild(option);
    }
    el.value = value;
  }

  function say(text) { if (status.textContent !== text) status.textContent = text; }

  function keep(fields) { // put unsent fields back, unless edited again meanwhile
    Object.keys(fields).forEach(function (k) { if (!(k in waiting)) waiting[k] = fields[k]; });
  }

  // Replace the textarea's text; the caret and scroll stay where they were in the body.
  function replaceSource(text) {
    var old = source.value;
    var same = 0;
    while (same < old.length && same < text.length && old[same] === text[same]) same++;
    var delta = text.length - old.length;
    var shift = function (i) { return i <= same ? i : Math.max(same, i + delta); };
    var start = shift(source.selectionStart), end = shift(source.selectionEnd), top = source.scrollTop;
    source.value = text;
    source.setSelectionRange(start, end);
    source.scrollTop = top;
    source.dispatchEvent(new Event("input")); // preview + autosave, as if typed
  }

  function send() {
    clearTimeout(timer);
    if (busy || !Object.keys(waiting).length) return;
    var fields = waiting;
    var sent = source.value;
    waiting = {};
    inFlight = fields;
    busy = true;
    fetch(f.url, {
      method: "POST", credentials: "omit",
      headers: { "Authorization": "Bearer " + d.token, "X-CSRF-Token": d.csrf,
                 "Accept": "application/json", "Content-Type": "application/json" },
      body: JSON.stringify({ source: sent, fields: fields })
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    }).then(function (res) {
      busy = false;
      inFlight = {};
      if (!res.ok) {
        keep(fields);
        var first = (res.data.problems || [])[0];
        var reason = (res.data.error || res.status) + (first ? " " + d.msgLine.replace("{n}", first.line) + ": " + first.message : "");
        say(f.msgRefused.replace("{reason}", reason));
        return;
      }
      if (source.value !== sent) { keep(fields); send(); return; } // typed meanwhile: again on the newer text
      say("");
      if (res.data.changed) replaceSource(res.data.source);
      send();
    }).catch(function () {
      busy = false;
      inFlight = {};
      keep(fields);
      say(f.msgOffline);
    });
  }

  function edited(event) {
    var el = event.target;
    if (!isField(el)) return;
    waiting[el.name] = valueOf(el);
    clearTimeout(timer);
    var typed = el.type !== "checkbox" && el.tagName !== "SELECT";
    timer = setTimeout(send, typed ? DELAY : 0);
  }

  form.addEventListener("input", edited); // fires for typing, ticking, choosing and spinning
  form.addEventListener("submit", function (event) { event.preventDefault(); send(); });

  root.addEventListener("pp:preview", function (event) {
    if (event.detail.source !== source.value) return; // about text that has changed since
    var fields = event.detail.data.fields;
    if (!fields) { say(f.msgUnreadable); return; }
    if (status.textContent === f.msgUnreadable) say("");
    Object.keys(fields).forEach(function (name) {
      var el = form.elements[name];
      // Never overwrite what the person is typing or has not sent yet.
      if (!isField(el) || name in waiting || name in inFlight || el === document.activeElement) return;
      setValue(el, fields[name]);
    });
  });
})();
