// Certificates of a course: "Make the missing PDFs" calls the prepare endpoint again and again
// (each call renders one bounded batch) and shows the progress; then it offers the download.
// Without this script the same form posts once per press, and the download works anyway.
(function () {
  "use strict";
  var box = document.getElementById("pp-cert-zip");
  var form = document.getElementById("pp-cert-prepare-form");
  if (!box || !form) return;
  var d = box.dataset;
  var bar = document.getElementById("pp-cert-progress");
  var text = document.getElementById("pp-cert-progress-text");
  var button = document.getElementById("pp-cert-prepare");
  var download = document.getElementById("pp-cert-download");

  function show(message, ready, total) {
    bar.max = total;
    bar.value = ready;
    bar.textContent = ready + " / " + total;
    text.textContent = message.replace("{ready}", ready).replace("{total}", total);
  }

  function stop(reason) {
    button.disabled = false;
    text.textContent = d.msgFailed.replace("{reason}", reason);
  }

  function step(before) {
    fetch(d.prepareUrl, {
      method: "POST", credentials: "omit",
      headers: { "Authorization": "Bearer " + d.token, "X-CSRF-Token": d.csrf, "Accept": "application/json" }
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    }).then(function (res) {
      if (!res.ok) { stop(res.data.error || res.status); return; }
      var ready = res.data.rendered, total = res.data.total;
      if (res.data.done) {
        show(d.msgDone, ready, total);
        form.hidden = true;
        download.focus();
        return;
      }
      if (ready <= before) { stop(d.msgProgress.replace("{ready}", ready).replace("{total}", total)); return; }
      show(d.msgWorking, ready, total);
      step(ready);
    }).catch(function () { stop(d.msgOffline); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    show(d.msgWorking, Number(bar.value), Number(bar.max));
    step(Number(bar.value));
  });
})();
