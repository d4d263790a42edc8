// Lesson editor: debounced server-side preview (~300 ms) and autosave, image upload at the cursor.
// No framework; the launch token goes in the Authorization header, CSRF in X-CSRF-Token.
(function () {
  "use strict";
  var root = document.getElementById("pp-editor");
  if (!root) return;
  var source = document.getElementById("pp-source");
  var revision = document.getElementById("pp-revision");
  var status = document.getElementById("pp-save-status");
  var preview = document.getElementById("pp-preview");
  var problemsBox = document.getElementById("pp-problems-box");
  var d = root.dataset;
  var PREVIEW_DELAY = 300;
  var SAVE_DELAY = 1200;
  var previewTimer = null;
  var saveTimer = null;
  var previewSeq = 0;
  var saving = false;
  var dirty = false;   // typed while a save was on its way: save again when it returns
  var pending = false; // changes the server does not have yet

  function headers(json) {
    var h = { "Authorization": "Bearer " + d.token, "X-CSRF-Token": d.csrf, "Accept": "application/json" };
    if (json) h["Content-Type"] = "application/json";
    return h;
  }

  function post(url, body, keepalive) {
    var data = JSON.stringify(body);
    // keepalive lets a save started while the page unloads finish (browsers cap it at 64 KB).
    return fetch(url, { method: "POST", headers: headers(true), body: data, credentials: "omit",
                        keepalive: Boolean(keepalive) && data.length < 60000 })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; }); });
  }

  function showProblems(problems) {
    var list = document.createElement("ul");
    list.className = "pp-problems";
    list.id = "pp-problems";
    if (!problems.length) {
      var ok = document.createElement("li");
      ok.className = "pp-problem pp-problem-none";
      ok.textContent = d.msgNoProblems;
      list.appendChild(ok);
    }
    problems.forEach(function (p) {
      var item = document.createElement("li");
      item.className = "pp-problem pp-problem-" + p.severity;
      if (p.line) {
        var line = document.createElement("button");
        line.type = "button";
        line.className = "pp-problem-line";
        line.textContent = d.msgLine.replace("{n}", p.line);
        line.addEventListener("click", function () { goToLine(p.line); });
        item.appendChild(line);
        item.appendChild(document.createTextNode(" "));
      }
      var kind = document.createElement("span");
      kind.className = "pp-problem-kind";
      kind.textContent = (p.severity === "error" ? d.msgError : d.msgWarning) + ": ";
      item.appendChild(kind);
      item.appendChild(document.createTextNode(p.message + (p.hint ? " (" + p.hint + ")" : "")));
      list.appendChild(item);
    });
    problemsBox.replaceChildren(list);
  }

  function goToLine(n) {
    var lines = source.value.split("\n");
    var start = 0;
    for (var i = 0; i < n - 1 && i < lines.length; i++) start += lines[i].length + 1;
    source.focus();
    source.setSelectionRange(start, start + (lines[n - 1] || "").length);
  }

  function refreshPreview() {
    var seq = ++previewSeq;
    var sent = source.value;
    post(d.previewUrl, { source: sent }).then(function (res) {
      if (seq !== previewSeq || !res.ok) return; // an older answer arriving late is ignored
      // Sanitised on the server by content/ (nh3 allowlist) before it is sent.
      if (res.data.ok) preview.innerHTML = res.data.html;
      showProblems(res.data.problems);
      // The front-matter fields (lesson-fields.js) follow the source this answer is about.
      root.dispatchEvent(new CustomEvent("pp:preview", { detail: { source: sent, data: res.data } }));
    }).catch(function () { /* preview is best effort; saving reports connectivity */ });
  }

  // The preview's knowledge checks would post to the editor's own URL (a 405 page, the
  // draft left behind): answers are only checked in a course.
  preview.addEventListener("submit", function (event) { event.preventDefault(); });

  function save(keepalive) {
    clearTimeout(saveTimer);
    if (saving) { dirty = true; return; }
    saving = true;
    dirty = false;
    pending = false;
    status.textContent = d.msgSaving;
    post(d.saveUrl, { source: source.value, revision: Number(revision.value) }, keepalive).then(function (res) {
      saving = false;
      if (res.ok) {
        revision.value = res.data.revision;
      } else {
        pending = true;
        status.textContent = d.msgFailed.replace("{reason}", res.data.error || res.status);
        return;
      }
      if (dirty) save();
      else status.textContent = pending ? d.msgUnsaved : d.msgSaved; // typed while it was saving
    }).catch(function () {
      saving = false;
      pending = true;
      status.textContent = d.msgOffline;
    });
  }

  source.addEventListener("input", function () {
    clearTimeout(previewTimer);
    clearTimeout(saveTimer);
    if (!pending) status.textContent = d.msgUnsaved; // never "All changes saved" over unsaved text
    pending = true;
    previewTimer = setTimeout(refreshPreview, PREVIEW_DELAY);
    saveTimer = setTimeout(save, SAVE_DELAY);
  });

  window.addEventListener("beforeunload", function (event) {
    if (pending || dirty) {
      if (!saving) save(true);
      event.preventDefault();
    }
  });

  var uploadForm = document.getElementById("pp-upload-form");
  var uploadStatus = document.getElementById("pp-upload-status");
  if (uploadForm) {
    uploadForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var h = headers(false);
      h["X-Requested-With"] = "fetch";
      fetch(d.uploadUrl, { method: "POST", headers: h, body: new FormData(uploadForm), credentials: "omit" })
        .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
        .then(function (res) {
          if (!res.ok) { uploadStatus.textContent = res.data.error || res.data.message; return; }
          var at = source.selectionStart || source.value.length;
          var text = "\n" + res.data.markdown + "\n";
          source.value = source.value.slice(0, at) + text + source.value.slice(at);
          source.dispatchEvent(new Event("input"));
          uploadStatus.textContent = d.msgUploaded;
          uploadForm.reset();
        })
        .catch(function () { uploadStatus.textContent = d.msgOffline; });
    });
  }
})();
